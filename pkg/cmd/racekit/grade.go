package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/racekit/racekit/pkg/course"
	"github.com/racekit/racekit/pkg/grade"
)

// runGrade carries out racekit grade.
func runGrade(ctx context.Context, e *env, args []string) error {
	fs := e.flags("grade")
	submission := fs.String("submission", e.root, "the submission's folder: a racekit checkout with the learner's lessons/ (default: this checkout)")
	jsonPath := fs.String("json", "", "write the result as JSON to this file")
	junitPath := fs.String("junit", "", "write the result as JUnit XML to this file")
	timeout := fs.Duration("timeout", grade.DefaultTimeout, "how long each lesson's specs may run")
	only := fs.String("lessons", "", "grade only these lessons, by number or slug, comma-separated (default: every lesson in the kit)")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected arguments %q: name the submission with --submission DIR", strings.Join(fs.Args(), " "))
	}
	if *timeout <= 0 {
		return usagef("--timeout must be positive, got %s", *timeout)
	}
	sub, err := filepath.Abs(*submission)
	if err != nil {
		return err
	}
	if st, err := os.Stat(sub); err != nil || !st.IsDir() {
		return usagef("--submission %s: no such folder", *submission)
	}
	if st, err := os.Stat(filepath.Join(sub, "lessons")); err != nil || !st.IsDir() {
		return usagef("--submission %s has no lessons/ folder: give the root of the learner's racekit checkout", *submission)
	}
	lessons := course.InKit()
	if *only != "" {
		if lessons, err = parseLessons(*only); err != nil {
			return err
		}
	}
	// Open the output files first, so that a bad path fails now and not
	// after every lesson has run.
	for _, p := range []string{*jsonPath, *junitPath} {
		if p == "" {
			continue
		}
		f, err := os.Create(p)
		if err != nil {
			return usagef("cannot write %v", err)
		}
		f.Close()
	}

	g := grade.Grader{Kit: e.root, Timeout: *timeout}
	e.out.printf("grading %d lessons of %s with the kit's specs (-race, at most %s each)\n\n", len(lessons), sub, *timeout)
	var r grade.Result
	for _, l := range lessons {
		lr, err := g.Lesson(ctx, sub, l)
		if err != nil {
			return err
		}
		r.Add(lr)
		e.out.printf("  %-22s %s  %s\n", l.Dir(), e.out.statusWord(lr.Status), indent(lr.Message, "  "+strings.Repeat(" ", 22+1+5+2)))
	}
	e.out.printf("\nscore: %d of %d lessons passed (%s)\n", r.Score, r.MaxScore, r.Status)

	if *jsonPath != "" {
		f, err := os.Create(*jsonPath)
		if err != nil {
			return err
		}
		if err := grade.WriteJSON(f, r); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		e.out.printf("wrote %s\n", *jsonPath)
	}
	if *junitPath != "" {
		if err := grade.WriteJUnit(*junitPath, r); err != nil {
			return err
		}
		e.out.printf("wrote %s\n", *junitPath)
	}
	if path := os.Getenv("GITHUB_STEP_SUMMARY"); path != "" {
		f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return fmt.Errorf("GITHUB_STEP_SUMMARY: %w", err)
		}
		werr := grade.WriteSummary(f, r)
		if err := f.Close(); werr != nil || err != nil {
			return fmt.Errorf("GITHUB_STEP_SUMMARY: %v", werr)
		}
	}
	if r.Status != grade.Pass {
		return errFailed
	}
	return nil
}

// parseLessons reads a comma-separated list of lesson names.
func parseLessons(list string) ([]course.Lesson, error) {
	var out []course.Lesson
	for _, name := range strings.Split(list, ",") {
		l, err := (&env{}).lesson([]string{strings.TrimSpace(name)}, false)
		if err != nil {
			return nil, fmt.Errorf("--lessons: %w", err)
		}
		out = append(out, l)
	}
	return out, nil
}

// indent puts prefix before every line of s but the first.
func indent(s, prefix string) string {
	return strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+prefix)
}

// statusWord is a grading status, padded and coloured.
func (p *printer) statusWord(s grade.Status) string {
	word := fmt.Sprintf("%-5s", s)
	switch s {
	case grade.Pass:
		return p.paint(green, word)
	case grade.Fail:
		return p.paint(red, word)
	default:
		return p.paint(yellow, word)
	}
}
