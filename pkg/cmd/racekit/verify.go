package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/racekit/racekit/pkg/internal/course"
	"github.com/racekit/racekit/pkg/internal/verify"
)

// runVerify carries out racekit verify: the kit's checks of its own course,
// the very list pkg/internal/verify's tests run, one line per check.
func runVerify(ctx context.Context, e *env, args []string) error {
	fs := e.flags("verify")
	runs := fs.Int("runs", verify.RunsEach, "how many times each starter and solution runs at each GOMAXPROCS and pinned to one CPU, with and without -race (1 for a quick pass; more to catch a spec that fails or passes by luck)")
	fixtureRuns := fs.Int("fixture-runs", 0, "how many times each fixture runs at each GOMAXPROCS and pinned to one CPU (0: once, at the machine's GOMAXPROCS)")
	names, err := e.parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if *runs < 1 {
		return usagef("--runs must be at least 1, got %d", *runs)
	}
	if *fixtureRuns < 0 {
		return usagef("--fixture-runs must be 0 (once) or more, got %d", *fixtureRuns)
	}
	lessons := course.InKit()
	if len(names) > 0 {
		if lessons, err = e.lessons(names); err != nil {
			return err
		}
	}

	t := tally{e: e, start: e.now()}
	what := "the course and its " + plural(len(lessons), "lesson")
	if len(names) > 0 {
		what = plural(len(lessons), "lesson")
	}
	each := "each starter and solution " + plural(*runs, "time")
	if *fixtureRuns > 0 {
		each += " and each fixture " + plural(*fixtureRuns, "time")
	}
	e.out.printf("%s %s, running %s at each GOMAXPROCS and pinned to one CPU\n",
		e.out.paint(bold, "verifying"), what, each)
	if len(names) == 0 {
		e.out.printf("\n%s\n", e.out.paint(bold, "the course"))
		for _, c := range verify.KitChecks(e.root) {
			t.check(ctx, "the course", c)
		}
	}
	for _, l := range lessons {
		if err := t.lesson(ctx, &verify.Lesson{Root: e.root, Lesson: l, Runs: *runs, FixtureRuns: *fixtureRuns}); err != nil {
			return err
		}
	}
	return t.summary()
}

// tally runs checks, prints one line for each and counts them.
type tally struct {
	e      *env
	start  time.Time
	passed int
	failed []string // "01-lost-update has specs ...", for the summary
}

// lesson prepares v, runs its checks and removes its binaries. It returns
// an error only when interrupted.
func (t *tally) lesson(ctx context.Context, v *verify.Lesson) error {
	p := t.e.out
	defer v.Close()
	p.printf("\n%s\n", p.paint(bold, v.Lesson.Dir()))
	what := "compiling the starter and the solution, with and without -race"
	if fixtures, _ := v.Fixtures(); len(fixtures) > 0 {
		what += ", and " + plural(len(fixtures), "fixture")
	}
	p.printf("  %s", p.paint(dim, what+"... "))
	start := t.e.now()
	err := v.Prepare(ctx)
	if ctx.Err() != nil {
		p.println()
		return t.interrupted()
	}
	if err != nil {
		p.printf("%s\n      %s\n", p.paint(red, "✗ failed"), indent(err.Error(), "      "))
	} else {
		p.printf("%s\n", p.paint(dim, fmt.Sprintf("done in %s", seconds(t.e.now().Sub(start)))))
	}
	for _, c := range v.Checks() {
		t.check(ctx, v.Lesson.Dir(), c)
		if ctx.Err() != nil {
			return t.interrupted()
		}
	}
	return nil
}

// check runs c and prints its line: a ✓ or a ✗ with the error below.
func (t *tally) check(ctx context.Context, subject string, c verify.Check) {
	p := t.e.out
	start := t.e.now()
	err := c.Run(ctx)
	if ctx.Err() != nil {
		return
	}
	// Only the checks that run binaries take long enough to be worth timing.
	took := ""
	if d := t.e.now().Sub(start); d >= time.Second {
		took = " " + p.paint(dim, "("+seconds(d)+")")
	}
	if err != nil {
		t.failed = append(t.failed, subject+" "+c.Name)
		p.printf("  %s %s%s\n      %s\n", p.paint(red, "✗"), c.Name, took, indent(err.Error(), "      "))
		return
	}
	t.passed++
	p.printf("  %s %s%s\n", p.paint(green, "✓"), c.Name, took)
}

// summary prints the total line, and the failed checks again, since their
// errors may have scrolled far away; it returns errFailed when any failed.
func (t *tally) summary() error {
	p := t.e.out
	took := seconds(t.e.now().Sub(t.start))
	total := t.passed + len(t.failed)
	if len(t.failed) == 0 {
		p.printf("\n%s in %s\n", p.paint(green+";"+bold, fmt.Sprintf("✓ all %s passed", plural(total, "check"))), took)
		return nil
	}
	p.printf("\n%s in %s; %d passed, these failed:\n", p.paint(red+";"+bold, fmt.Sprintf("✗ %d of %s failed", len(t.failed), plural(total, "check"))), took, t.passed)
	for _, f := range t.failed {
		p.printf("  %s %s\n", p.paint(red, "✗"), f)
	}
	return errFailed
}

// interrupted says how far verify got before Ctrl-C, and returns the error
// that ends the command.
func (t *tally) interrupted() error {
	t.e.out.printf("\ninterrupted after %s (%d passed, %d failed)\n", plural(t.passed+len(t.failed), "check"), t.passed, len(t.failed))
	return errors.New("interrupted")
}

// plural is "1 lesson", "6 lessons".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// seconds is a duration as "12.3 s".
func seconds(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }
