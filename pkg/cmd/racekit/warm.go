package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/racekit/racekit/pkg/internal/course"
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
	stale, err := staleDeps(ctx, e.root, pkgs...)
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
	work, err := os.MkdirTemp("", "racekit-warm-")
	if err != nil {
		return fmt.Errorf("warm: %w", err)
	}
	defer os.RemoveAll(work)
	for _, l := range lessons {
		began := e.now()
		stop := e.out.elapsed(fmt.Sprintf("  lesson %d, %s", l.Number, l.Dir()))
		err := prebuild(ctx, e.root, l, work)
		stop()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			return err
		}
		e.out.printf("  lesson %d, %s: built in %.1f s\n", l.Number, l.Dir(), e.now().Sub(began).Seconds())
	}
	e.out.printf("warm in %.1f s: checking these lessons now compiles only the learner's own code\n",
		e.now().Sub(start).Seconds())
	return nil
}

// lessonCount is "1 lesson" or "9 lessons".
func lessonCount(n int) string {
	if n == 1 {
		return "1 lesson"
	}
	return fmt.Sprintf("%d lessons", n)
}

// prebuild compiles lesson l's solution into a test binary in work, with
// the flags a check's build uses (-race, and go test's vet checks), so
// that every package a check of l imports is in the build cache. The
// binary itself is thrown away: a check links its own.
func prebuild(ctx context.Context, root string, l course.Lesson, work string) error {
	err := testrun.Compile(ctx, testrun.Build{
		Dir: root, Package: "./solutions/" + l.Dir(), Race: true,
		Output: filepath.Join(work, l.Package+".test"),
	})
	if err != nil {
		return fmt.Errorf("the kit's solutions/%s does not build under -race: %w", l.Dir(), err)
	}
	return nil
}

// slowBuild is how many packages missing from the build cache make a
// build likely to take more than a few seconds. A cold cache misses about
// 320 for one lesson (the standard library rebuilt with the race detector,
// Ginkgo and Gomega) and takes a minute or two on two cores; a pull that
// changed the kit's pkg/ misses at most the 9 kit packages a lesson
// imports, a few seconds' work.
const slowBuild = 20

// likelySlow reports whether a build whose missing packages are stale (as
// staleDeps finds them) is likely to be slow enough to deserve a word
// first: when the race detector's runtime must be compiled, every package
// above it must be too, and so must any build missing slowBuild packages
// or more.
func likelySlow(stale []string) bool {
	for _, p := range stale {
		if p == "runtime" {
			return true
		}
	}
	return len(stale) >= slowBuild
}

// staleDeps returns the import paths of the packages a race-enabled test
// build of pkgs (./relative to root) would compile because the build cache
// lacks them. It asks `go list -deps -test -race`, which hashes the
// sources and looks in the cache without compiling anything: about 0.4 s
// warm, 0.8 s cold. It leaves out test mains, which are linked afresh
// every time, and pkgs as built without their test files: a test build
// compiles a package with internal test files only with them, as the
// variant "p [p.test]", which is counted.
func staleDeps(ctx context.Context, root string, pkgs ...string) ([]string, error) {
	args := append([]string{"list", "-e", "-deps", "-test", "-race",
		"-f", `{{if .Stale}}{{.ImportPath}}{{"\t"}}{{.Dir}}{{"\n"}}{{end}}`}, pkgs...)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list cannot say what the build cache lacks: %w\n%s", err, strings.TrimSpace(stderr.String()))
	}
	named := make([]string, len(pkgs))
	for i, p := range pkgs {
		named[i] = filepath.Join(root, p)
	}
	var stale []string
	for line := range strings.Lines(string(out)) {
		// "p", "p [p.test]" (p with its test files) or "p.test" (the main).
		path, dir, _ := strings.Cut(strings.TrimSpace(line), "\t")
		switch {
		case path == "", strings.HasSuffix(path, ".test"):
		case !strings.Contains(path, " [") && slices.Contains(named, dir):
		default:
			stale = append(stale, path)
		}
	}
	return stale, nil
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
