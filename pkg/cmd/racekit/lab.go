package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/racekit/racekit/pkg/internal/lab"
)

// labReport is the file racekit lab --json writes, for plotting elsewhere.
type labReport struct {
	Experiments []labExperiment `json:"experiments"`
}

// labExperiment is one experiment's rows in a labReport.
type labExperiment struct {
	Name string    `json:"name"`
	Rows []lab.Row `json:"rows"`
	SVG  string    `json:"svg"` // the picture's file; "" until --svg exists
}

// runLab carries out racekit lab: with no experiment named it lists them,
// otherwise it runs each one named and prints its table and reading.
func runLab(ctx context.Context, e *env, args []string) error {
	fs := e.flags("lab")
	quick := fs.Bool("quick", false, "smaller counts: each experiment finishes in about a second")
	cpython := fs.Bool("cpython", false, "run each experiment on python3 (found on PATH) as well")
	jsonFile := fs.String("json", "", "also write the rows to `FILE` as JSON")
	names, err := e.parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(names) == 0 {
		e.listExperiments()
		return nil
	}
	var xs []lab.Experiment
	for _, name := range names {
		x, ok := lab.Find(name)
		if !ok {
			return usagef("no experiment %q; the experiments are %s", name, strings.Join(lab.Names(), ", "))
		}
		xs = append(xs, x)
	}
	o := lab.Options{Quick: *quick}
	if *cpython {
		path, err := exec.LookPath("python3")
		if err != nil {
			return errors.New("--cpython runs the experiments on python3, but there is no python3 on PATH; install it, or run without --cpython for the VM alone")
		}
		o.CPython = path
	}

	// The progress line is for a person watching: only on a terminal.
	tty := isTerminal(e.errOut.w)
	progress := func(step string) {
		if tty {
			e.errOut.printf("\r\x1b[K  running %s", step)
		}
	}
	report := labReport{Experiments: []labExperiment{}}
	for i, x := range xs {
		if i > 0 {
			e.out.println()
		}
		res, err := x.Run(ctx, o, func(step string) { progress(x.Name + ": " + step) })
		if tty {
			e.errOut.printf("\r\x1b[K")
		}
		if err != nil {
			return fmt.Errorf("experiment %s: %w", x.Name, err)
		}
		e.showExperiment(x, res)
		report.Experiments = append(report.Experiments, labExperiment{Name: x.Name, Rows: res.Rows})
	}
	if *jsonFile != "" {
		if err := writeJSON(*jsonFile, report); err != nil {
			return err
		}
		e.out.printf("\nwrote %s\n", *jsonFile)
	}
	return nil
}

// listExperiments prints every experiment with its source and what it shows.
func (e *env) listExperiments() {
	p := e.out
	p.printf("%s\n\n", p.paint(bold, "racekit lab: the source material's experiments, on the VM and on CPython"))
	nameW, srcW := len("experiment"), len("from")
	for _, x := range lab.Experiments {
		nameW, srcW = max(nameW, len(x.Name)), max(srcW, len(x.Source))
	}
	p.printf("  %-*s  %-*s  %s\n", nameW, "experiment", srcW, "from", "shows")
	for _, x := range lab.Experiments {
		p.printf("  %-*s  %-*s  %s\n", nameW, x.Name, srcW, x.Source, x.Shows)
	}
	p.println()
	p.printf("run one: %s\n", e.suggest("lab", "--quick", lab.Experiments[0].Name))
}

// showExperiment prints an experiment's table and its reading.
func (e *env) showExperiment(x lab.Experiment, res lab.Result) {
	p := e.out
	p.printf("%s %s\n", p.paint(bold, x.Name), p.paint(dim, "("+x.Source+")"))
	labelW, lostW := len("run"), 0 // lostW: the lost column's width, 0 (no column) when no row counts updates
	for _, r := range res.Rows {
		labelW = max(labelW, len(r.Label))
		if r.Of > 0 {
			lostW = max(lostW, len("lost"), len(r.LostOf()))
		}
	}
	column := func(s string) string { // the lost column, with its gap before it
		if lostW == 0 {
			return ""
		}
		return fmt.Sprintf("  %*s", lostW, s)
	}
	p.printf("  %-*s  %-7s  %9s  %6s  %6s%s\n", labelW, "run", "runtime", "time", "ratio", "seed", column("lost"))
	for _, r := range res.Rows {
		seed := "-"
		if r.SeedRatio > 0 {
			seed = fmt.Sprintf("%.2f×", r.SeedRatio)
		}
		lost := "-"
		if r.Of > 0 {
			lost = r.LostOf()
		}
		p.printf("  %-*s  %-7s  %8.3fs  %5.2f×  %6s%s\n", labelW, r.Label, r.Runtime, r.Seconds, r.Ratio, seed, column(lost))
	}
	p.printf("%s %s\n", p.paint(cyan, "reading:"), res.Reading)
}

// writeJSON writes v to path as indented JSON.
func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}
