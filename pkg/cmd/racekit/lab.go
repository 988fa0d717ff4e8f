package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
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
	// SVG is the path the experiment's picture was written to with --svg:
	// DIR/<name>.svg, DIR as given on the command line (so relative to the
	// working directory when DIR is); "" without --svg.
	SVG string `json:"svg"`
}

// runLab carries out racekit lab: alone it lists the experiments; with
// experiments named it runs each one and prints its table and reading;
// with flags and none named it runs every experiment.
func runLab(ctx context.Context, e *env, args []string) error {
	fs := e.flags("lab")
	quick := fs.Bool("quick", false, "smaller counts: each experiment finishes in about a second")
	cpython := fs.Bool("cpython", false, "run each experiment on python3 (found on PATH) as well")
	jsonFile := fs.String("json", "", "also write the rows to `FILE` as JSON")
	svgDir := fs.String("svg", "", "also draw each experiment as `DIR`/<experiment>.svg (DIR is made if needed)")
	names, err := e.parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	xs, err := experimentsToRun(names, fs.NFlag() > 0)
	if err != nil {
		return err
	}
	if xs == nil {
		e.listExperiments()
		return nil
	}
	o := lab.Options{Quick: *quick}
	if *cpython {
		path, err := exec.LookPath("python3")
		if err != nil {
			return errors.New("--cpython runs the experiments on python3, but there is no python3 on PATH; install it, or run without --cpython for the VM alone")
		}
		if o.CPython, err = lab.ResolvePython(ctx, path); err != nil {
			return err
		}
	}
	if *svgDir != "" {
		if err := svgFolder(*svgDir); err != nil {
			return err
		}
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
		entry := labExperiment{Name: x.Name, Rows: res.Rows}
		if *svgDir != "" {
			if entry.SVG, err = writePicture(*svgDir, x, res); err != nil {
				return err
			}
			e.out.printf("wrote %s\n", entry.SVG)
		}
		report.Experiments = append(report.Experiments, entry)
	}
	if *jsonFile != "" {
		if err := writeJSON(*jsonFile, report); err != nil {
			return err
		}
		e.out.printf("\nwrote %s\n", *jsonFile)
	}
	return nil
}

// experimentsToRun returns the experiments racekit lab runs: the ones
// named, in the order named; every one when none is named but a flag is
// set (racekit lab --quick); or nil, to list them, when racekit lab is
// given nothing at all. An unknown name is a usage error.
func experimentsToRun(names []string, flagsSet bool) ([]lab.Experiment, error) {
	if len(names) == 0 {
		if !flagsSet {
			return nil, nil
		}
		return lab.Experiments, nil
	}
	var xs []lab.Experiment
	for _, name := range names {
		x, ok := lab.Find(name)
		if !ok {
			return nil, usagef("no experiment %q; the experiments are %s", name, strings.Join(lab.Names(), ", "))
		}
		xs = append(xs, x)
	}
	return xs, nil
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
	p.printf("run them all, on python3 too, with pictures: %s\n", e.suggest("lab", "--cpython", "--svg", "lab-pictures"))
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
	bar := e.ratioBars(res.Rows)
	for _, r := range res.Rows {
		seed := "-"
		if r.SeedRatio > 0 {
			seed = fmt.Sprintf("%.2f×", r.SeedRatio)
		}
		lost := "-"
		if r.Of > 0 {
			lost = r.LostOf()
		}
		p.printf("  %-*s  %-7s  %8.3fs  %5.2f×  %6s%s%s\n", labelW, r.Label, r.Runtime, r.Seconds, r.Ratio, seed, column(lost), bar(r))
	}
	p.printf("%s %s\n", p.paint(cyan, "reading:"), res.Reading)
}

// svgFolder makes dir, the folder of --svg, if it is not there, and checks
// that it is a folder racekit can write to, before any experiment runs.
func svgFolder(dir string) error {
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return usagef("--svg %s: that is a file; --svg takes a folder to write the pictures to", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return usagef("--svg %s: cannot make the folder: %v", dir, err)
	}
	probe, err := os.CreateTemp(dir, ".racekit-lab-*")
	if err != nil {
		return usagef("--svg %s: cannot write there: %v", dir, err)
	}
	probe.Close()
	return os.Remove(probe.Name())
}

// writePicture writes x's picture of res to dir/<name>.svg and returns
// that path.
func writePicture(dir string, x lab.Experiment, res lab.Result) (string, error) {
	svg, err := lab.Picture(x, res)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, x.Name+".svg")
	if err := os.WriteFile(path, svg, 0o644); err != nil {
		return "", err
	}
	return path, nil
}

// barWidth is the most cells a table's bar takes: the row with the largest
// ratio.
const barWidth = 16

// ratioBar draws v as a bar of block characters, width cells long for
// largest and shorter in proportion, to an eighth of a cell: "████▌". It is
// "" when v or largest is not positive.
func ratioBar(v, largest float64, width int) string {
	if v <= 0 || largest <= 0 {
		return ""
	}
	eighths := int(math.Round(min(v/largest, 1) * float64(width) * 8))
	bar := strings.Repeat("█", eighths/8)
	if part := eighths % 8; part > 0 {
		bar += string([]rune("▏▎▍▌▋▊▉")[part-1])
	}
	return bar
}

// ratioBars returns what showExperiment prints after each row: on a
// terminal, a gap and a bar of the row's ratio (ratioBar, the largest
// ratio of rows barWidth cells), in the colour of its runtime; elsewhere
// nothing, so that piped output stays plain columns.
func (e *env) ratioBars(rows []lab.Row) func(lab.Row) string {
	if !isTerminal(e.out.w) {
		return func(lab.Row) string { return "" }
	}
	largest := 0.0
	for _, r := range rows {
		largest = max(largest, r.Ratio)
	}
	return func(r lab.Row) string {
		style := cyan
		if r.Runtime == lab.CPython {
			style = yellow
		}
		return "  " + e.out.paint(style, ratioBar(r.Ratio, largest, barWidth))
	}
}

// writeJSON writes v to path as indented JSON.
func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}
