package main

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/racekit/racekit/pkg/interleave"
	"github.com/racekit/racekit/pkg/internal/grade"
)

// runReplay carries out racekit replay: one schedule of one of a lesson's
// scenarios, run against the learner's code and printed as the numbered
// trace, for a learner who wants to see an interleaving or an instructor
// who shows one on a projector. The lesson is built and its specs run as
// check runs them (the kit's specs, the learner's files); the specs show
// the schedule when interleave.EnvReplaySchedule asks, and nothing of the
// run is recorded as a check.
func runReplay(ctx context.Context, e *env, args []string) error {
	fs := e.flags("replay")
	scenario := fs.String("scenario", "", "the scenario to replay: a word or phrase of its name (default: the one the schedule fits best)")
	rest, err := e.parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 2 {
		return usagef("replay takes a lesson and a schedule, e.g. %s", cmdline("replay", 1, `"A*3 B*3 A B A B"`))
	}
	l, err := e.lesson(rest[:1], false)
	if err != nil {
		return err
	}
	schedule, err := interleave.ParseSchedule(rest[1])
	if err != nil {
		return usagef("the schedule %q does not read as one: %v", rest[1], strings.TrimPrefix(err.Error(), "interleave: "))
	}
	e.out.printf("%s %s, schedule %s: building it and running its specs under -race...\n\n", e.out.paint(bold, e.out.tr("replaying")), l.Dir(), schedule)
	if err := e.warmFirst(ctx, l); err != nil {
		return err
	}
	g := grade.Grader{Kit: e.root, Timeout: checkTimeout, Env: []string{
		interleave.EnvReplaySchedule + "=" + schedule.String(),
		interleave.EnvReplayScenario + "=" + *scenario,
	}}
	res, err := g.Lesson(ctx, e.root, l)
	if err != nil {
		return err
	}
	runs, scenarios := replayed(res.Output)
	switch {
	case len(runs) > 0:
		e.out.printf("%s\n", bestRun(runs))
		if len(runs) > 1 {
			e.out.printf("\n%s\n", e.out.paint(dim, e.out.tr("(the schedule fits this scenario best of the %d it was replayed in; --scenario picks another)", len(runs))))
		}
		return nil
	case res.Status == grade.Error:
		// It did not build, or crashed before any scenario ran.
		head, rest := errorHead(res.Message)
		e.out.printf("%s%s\n", e.out.paint(yellow+";"+bold, "✗ "+head), indent(rest, "  "))
		return errFailed
	case *scenario != "" && len(scenarios) > 0:
		return usagef("no scenario of lesson %d has %q in its name; its scenarios are:\n  %s", l.Number, *scenario, strings.Join(scenarios, "\n  "))
	default:
		return fmt.Errorf("lesson %d's specs ran no scenario under the scheduler, so there is nothing to replay", l.Number)
	}
}

// replayed finds, in a test binary's output, the runs printed between
// interleave.ReplayBegin and interleave.ReplayEnd (without them), and the
// names of the scenarios the specs ran, in order.
func replayed(output string) (runs, scenarios []string) {
	for rest := output; ; {
		_, after, ok := strings.Cut(rest, interleave.ReplayBegin+"\n")
		if !ok {
			break
		}
		run, tail, _ := strings.Cut(after, "\n"+interleave.ReplayEnd)
		runs, rest = append(runs, run), tail
	}
	for line := range strings.Lines(output) {
		if name, ok := strings.CutPrefix(strings.TrimRight(line, "\n"), interleave.ScenarioLine); ok {
			scenarios = append(scenarios, name)
		}
	}
	return runs, scenarios
}

// bestRun picks, of the runs a schedule was replayed in (one per scenario),
// the one it fits best: followed to the end (no note says a step could not
// be), then one that broke (it shows the bug the schedule was printed
// for), then the first scenario name in alphabetical order, so that the
// choice does not depend on the order the specs ran in.
func bestRun(runs []string) string {
	rank := func(run string) int {
		r := 0
		if strings.Contains(run, "\n  note: ") {
			r += 2
		}
		if strings.Contains(run, "\n  passed; schedule: ") {
			r++
		}
		return r
	}
	return slices.MinFunc(runs, func(a, b string) int {
		return cmp.Or(cmp.Compare(rank(a), rank(b)), strings.Compare(a, b))
	})
}
