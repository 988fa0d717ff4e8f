package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/racekit/racekit/pkg/internal/course"
	"github.com/racekit/racekit/pkg/internal/grade"
	"github.com/racekit/racekit/pkg/internal/testrun"
)

// runWarm carries out racekit warm: it fills the go command's build cache
// with every lesson's race-enabled test build, so that no learner's first
// check waits a minute or two for the compiler. It builds the kit's
// solutions, whose specs and imports are the lessons', into a temporary
// folder: nothing in lessons/ is read or written. A second run finds
// everything cached, builds nothing and says so.
func runWarm(ctx context.Context, e *env, args []string) error {
	fs := e.flags("warm")
	rest, err := e.parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	lessons := course.InKit()
	if len(rest) > 0 {
		if lessons, err = e.lessons(rest); err != nil {
			return err
		}
	}
	start := e.now()
	pkgs := make([]string, len(lessons))
	for i, l := range lessons {
		pkgs[i] = "./solutions/" + l.Dir()
	}
	stale, err := testrun.StaleDeps(ctx, e.root, pkgs...)
	if err != nil {
		return err
	}
	if len(stale) == 0 {
		e.out.printf("the build cache already holds the race-enabled build of %s; nothing to build (looked in %.1f s)\n",
			lessonCount(len(lessons)), e.now().Sub(start).Seconds())
		return nil
	}
	e.out.printf("%s %s under -race, with the race detector's runtime and the kit's packages they import (%d packages not in the build cache yet)\n",
		e.out.paint(bold, "building"), lessonCount(len(lessons)), len(stale))
	if err := e.prebuildAll(ctx, lessons); err != nil {
		return err
	}
	e.out.printf("warm in %.1f s: checking these lessons now compiles only the learner's own code\n",
		e.now().Sub(start).Seconds())
	return nil
}

// prebuildAll prebuilds lessons one after the other, a line each with the
// seconds it took (and, on a terminal, the seconds as they pass). One at a
// time on purpose: two go commands building on a cold cache at once each
// compile the same standard library and kit packages.
func (e *env) prebuildAll(ctx context.Context, lessons []course.Lesson) error {
	work, err := os.MkdirTemp("", "racekit-warm-")
	if err != nil {
		return fmt.Errorf("warm: %w", err)
	}
	defer os.RemoveAll(work)
	for _, l := range lessons {
		began := e.now()
		stop := e.out.elapsed(fmt.Sprintf("  lesson %d, %s", l.Number, l.Dir()))
		err := grade.Prebuild(ctx, e.root, l, work)
		stop()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			return err
		}
		e.out.printf("  lesson %d, %s: built in %.1f s\n", l.Number, l.Dir(), e.now().Sub(began).Seconds())
	}
	return nil
}

// warmForGrading prebuilds lessons (prebuildAll) when the build cache
// lacks enough of what they import for the first builds to be slow
// (likelySlow), saying so first: grading builds two lessons at once, and
// on a cold cache both would compile the same packages. When the cache
// cannot be asked, it does nothing and grading goes on as it would.
func (e *env) warmForGrading(ctx context.Context, lessons []course.Lesson) error {
	pkgs := make([]string, len(lessons))
	for i, l := range lessons {
		pkgs[i] = "./solutions/" + l.Dir()
	}
	stale, err := testrun.StaleDeps(ctx, e.root, pkgs...)
	if err != nil || !testrun.LikelySlow(stale) {
		return ctx.Err()
	}
	e.out.printf("the build cache lacks %d packages the lessons import (a cold cache): building them once, lesson by lesson, before grading\n", len(stale))
	if err := e.prebuildAll(ctx, lessons); err != nil {
		return err
	}
	e.out.println()
	return nil
}

// lessonCount is "1 lesson" or "9 lessons".
func lessonCount(n int) string {
	if n == 1 {
		return "1 lesson"
	}
	return fmt.Sprintf("%d lessons", n)
}

// elapsed shows, when p writes to a terminal, label followed by the
// seconds since the call, redrawn on one line every second, until the
// returned stop is called, which clears the line. Elsewhere (a pipe, a
// file) it shows nothing, so a log holds no carriage returns.
func (p *printer) elapsed(label string) (stop func()) {
	if !isTerminal(p.w) {
		return func() {}
	}
	return ticker(p.w, label, time.Second)
}

// ticker writes label and the whole seconds elapsed to w every interval,
// each time over the last, until stop is called; stop clears the line and
// returns once nothing more will be written.
func ticker(w io.Writer, label string, interval time.Duration) (stop func()) {
	done, finished := make(chan struct{}), make(chan struct{})
	start := time.Now()
	go func() {
		defer close(finished)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			fmt.Fprintf(w, "\r\x1b[K%s: building... %d s", label, int(time.Since(start).Seconds()))
			select {
			case <-done:
				fmt.Fprint(w, "\r\x1b[K")
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); <-finished }
}
