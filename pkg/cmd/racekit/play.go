package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/charmbracelet/x/term"

	"github.com/racekit/racekit/pkg/interleave"
	"github.com/racekit/racekit/pkg/internal/course"
	"github.com/racekit/racekit/pkg/internal/grade"
	"github.com/racekit/racekit/pkg/internal/play"
	"github.com/racekit/racekit/pkg/internal/testrun"
)

// runPlay carries out racekit play: the learner is the scheduler of one of
// a lesson's scenarios, run against their own code. The lesson is built as
// check builds it (the kit's specs, the learner's files); its test binary
// runs its specs until the scenario asked for starts, and then lets the
// game (package play) choose every step. What the game reached is printed
// when it ends, so that it stays on the terminal.
func runPlay(ctx context.Context, e *env, args []string) error {
	fs := e.flags("play")
	start := fs.String("replay", "", `a schedule to start from, e.g. "A*3 B*3"`)
	rest, err := e.parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		return usagef("play takes a lesson, and optionally a word of a scenario's name, e.g. %s", cmdline("play", 1))
	}
	l, err := e.lesson(rest[:1], false)
	if err != nil {
		return err
	}
	scenario := strings.Join(rest[1:], " ")
	schedule, err := interleave.ParseSchedule(*start)
	if err != nil {
		return usagef("the schedule %q does not read as one: %v", *start, strings.TrimPrefix(err.Error(), "interleave: "))
	}
	if !term.IsTerminal(os.Stdin.Fd()) || !term.IsTerminal(os.Stdout.Fd()) {
		return usagef("play is a game for a terminal, and this is not one; to print one schedule's trace, use %s", cmdline("replay", l.Number, `"A*3 B*3 A B A B"`))
	}
	e.out.printf("%s %s: building it and running its specs under -race up to the scenario...\n", e.out.paint(bold, e.out.tr("playing")), l.Dir())
	if err := e.warmFirst(ctx, l); err != nil {
		return err
	}
	var game *play.Model
	g := grade.Grader{Kit: e.root, Exec: func(ctx context.Context, bin, dir string) error {
		s, hello, err := play.Start(ctx, bin, dir, testrun.MinimalEnv(), scenario, checkTimeout)
		if err != nil {
			return err
		}
		game = play.New(hello, play.Options{
			Title: fmt.Sprintf("lesson %d (%s)", l.Number, l.Slug), Send: s.Send, Tr: e.out.tr,
			Source: sourceLines(l.LessonDir(e.root)), Start: schedule,
		})
		return s.Play(ctx, game, os.Stdin, os.Stdout)
	}}
	res, err := g.Lesson(ctx, e.root, l)
	var none *play.NoScenario
	switch {
	case errors.As(err, &none):
		return e.noScenario(l, scenario, none)
	case err != nil:
		return err
	case res.Status == grade.Error || res.Status == grade.Fail:
		head, rest := errorHead(res.Message)
		e.out.printf("%s%s\n", e.out.paint(yellow+";"+bold, "✗ "+head), indent(rest, "  "))
		return errFailed
	}
	e.playedOut(l, game)
	return nil
}

// playedOut prints, once the game's screen is gone, what the learner
// reached: the run that broke the scenario, as the spec prints it, with
// its schedule; or the exploration's word that it cannot be broken.
func (e *env) playedOut(l course.Lesson, game *play.Model) {
	p := e.out
	reached, explored := game.Reached(), game.Explored()
	switch {
	case reached != nil:
		p.printf("%s %s\n\n%s\n\n", p.paint(red+";"+bold, p.tr("💥 goal reached:")), reached.Broke, reached.Failure)
		p.printf("%s\n", p.tr("show it again: %s", cmdline("replay", l.Number, `"`+interleave.Schedule(reached.Schedule).String()+`"`)))
	case explored != nil && !explored.Reachable && explored.Exhaustive:
		p.printf("%s %s\n", p.paint(green+";"+bold, p.tr("✓ the goal cannot be reached with your code:")), explored.Coverage)
	case explored != nil && !explored.Reachable:
		p.printf("%s %s\n", p.paint(green+";"+bold, p.tr("✓ the exploration found no schedule that reaches the goal with your code:")), explored.Coverage)
	default:
		p.printf("%s\n", p.tr("the goal was not reached; your last schedule was %s", play.ScheduleText(game.Schedule())))
	}
}

// noScenario explains that the specs ran no scenario to play.
func (e *env) noScenario(l course.Lesson, asked string, none *play.NoScenario) error {
	switch {
	case none.TimedOut:
		return fmt.Errorf("lesson %d's specs did not reach a scenario to play within %v: one of them may hang; %s shows where",
			l.Number, checkTimeout, cmdline("check", l.Number))
	case none.Exit != nil && len(none.Named) == 0:
		return fmt.Errorf("lesson %d's test binary ended (%v) before its specs ran any scenario; %s says why. Its output ended with:\n%s",
			l.Number, none.Exit, cmdline("check", l.Number), none.LastLines(15))
	}
	var names []string
	for _, m := range none.Named {
		name := m.Scenario
		if m.Goal != "" {
			name += " (goal: " + m.Goal + ")"
		}
		if !slices.Contains(names, name) { // a spec may run a scenario twice
			names = append(names, name)
		}
	}
	list := ""
	if len(names) > 0 {
		list = e.out.tr("; the scenarios its specs ran are:") + "\n  " + strings.Join(names, "\n  ")
	}
	if asked != "" {
		return usagef("no scenario of lesson %d that its specs reached has %q in its name%s", l.Number, asked, list)
	}
	if !playable(l.SolutionDir(e.root)) {
		return fmt.Errorf("lesson %d's specs give no scenario a goal to play for; step through one anyway with %s, "+
			"or print one schedule's trace with %s%s", l.Number, cmdline("play", l.Number, "WORD"), cmdline("replay", l.Number, `"SCHEDULE"`), list)
	}
	return fmt.Errorf("lesson %d's specs stopped before the scenario with a goal: a spec that fails stops the ones after it, and %s shows which%s",
		l.Number, cmdline("check", l.Number), list)
}

// playable reports whether the lesson's specs, in the kit's folder dir,
// give a scenario a goal (a Goal field in a composite literal), so that
// racekit play has one to play without being told which.
func playable(dir string) bool {
	names, err := course.SpecFiles(dir)
	if err != nil {
		return false
	}
	for _, name := range names {
		f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(dir, name), nil, 0)
		if err != nil {
			continue
		}
		found := false
		ast.Inspect(f, func(n ast.Node) bool {
			if kv, ok := n.(*ast.KeyValueExpr); ok {
				if id, ok := kv.Key.(*ast.Ident); ok && id.Name == "Goal" {
					found = true
				}
			}
			return !found
		})
		if found {
			return true
		}
	}
	return false
}

// sourceLines returns a function that reads a line of a file of the
// lesson's folder dir, for the game's lanes; files are read once.
func sourceLines(dir string) func(file string, line int) string {
	files := map[string][]string{}
	return func(file string, line int) string {
		lines, ok := files[file]
		if !ok {
			if f, err := os.Open(filepath.Join(dir, filepath.Base(file))); err == nil {
				sc := bufio.NewScanner(f)
				for sc.Scan() {
					lines = append(lines, sc.Text())
				}
				f.Close()
			}
			files[file] = lines
		}
		if line < 1 || line > len(lines) {
			return ""
		}
		return lines[line-1]
	}
}
