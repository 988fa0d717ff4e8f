package main

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/aymanbagabas/go-udiff"

	"github.com/racekit/racekit/pkg/internal/course"
	"github.com/racekit/racekit/pkg/internal/progress"
)

// runSolution carries out racekit solution: the solution's exercise files
// as a unified diff against the learner's, once the lesson has passed (or
// with --force). It writes nothing.
func runSolution(ctx context.Context, e *env, args []string) error {
	flags := e.flags("solution")
	force := flags.Bool("force", false, "show the solution even though the lesson has not passed yet")
	l, err := e.parseLesson(flags, args, false)
	if err != nil {
		return err
	}
	st, err := progress.Load(e.root)
	if err != nil {
		return err
	}
	if status := st.Of(l).Status; status != progress.Passed && !*force {
		why := e.errOut.tr("its last check failed")
		if status == progress.NotRun {
			why = e.errOut.tr("it has not been checked yet")
		}
		e.errOut.printf("Lesson %d (%s) has not passed (%s), so racekit keeps its solution back:\n", l.Number, l.Slug, why)
		e.errOut.printf("working it out is the lesson. Try %s, then %s.\n", e.errOut.paint(cyan, cmdline("hint", l.Number)), e.errOut.paint(cyan, cmdline("check", l.Number)))
		e.errOut.printf("To see the solution anyway: %s\n", e.errOut.paint(cyan, cmdline("solution", l.Number, "--force")))
		return errFailed
	}

	lessonDir, solutionDir := l.LessonDir(e.root), l.SolutionDir(e.root)
	yours, err := course.ExerciseFiles(lessonDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	theirs, err := course.ExerciseFiles(solutionDir)
	if err != nil {
		return err
	}
	names := slices.Compact(slices.Sorted(slices.Values(append(slices.Clone(yours), theirs...))))

	p := e.out
	p.printf("%s\n", p.paint(bold, p.tr("The solution of lesson %s, as a diff against your files", l.Dir())))
	p.printf("(%s lines are yours, %s lines the solution's)\n", p.paint(red, "-"), p.paint(green, "+"))
	for _, name := range names {
		mine, mineErr := os.ReadFile(filepath.Join(lessonDir, name))
		sol, solErr := os.ReadFile(filepath.Join(solutionDir, name))
		if mineErr == nil && solErr == nil && bytes.Equal(mine, sol) {
			p.printf("\n%s: same as yours\n", name)
			continue
		}
		from, to := path.Join("lessons", l.Dir(), name), path.Join("solutions", l.Dir(), name)
		switch {
		case mineErr != nil && solErr != nil:
			return errors.Join(mineErr, solErr)
		case mineErr != nil:
			p.printf("\n%s: only in the solution\n", name)
			from = "/dev/null"
		case solErr != nil:
			p.printf("\n%s: only in your lesson; the solution has no such file\n", name)
			to = "/dev/null"
		default:
			p.printf("\n%s:\n", name)
		}
		e.printDiff(udiff.Unified(from, to, string(mine), string(sol)))
	}
	return nil
}

// printDiff prints a unified diff, + lines green and - lines red when the
// output is coloured.
func (e *env) printDiff(diff string) {
	p := e.out
	for _, line := range strings.SplitAfter(diff, "\n") {
		text := strings.TrimSuffix(line, "\n")
		style := ""
		switch {
		case strings.HasPrefix(text, "+++"), strings.HasPrefix(text, "---"):
			style = bold
		case strings.HasPrefix(text, "@@"):
			style = cyan
		case strings.HasPrefix(text, "+"):
			style = green
		case strings.HasPrefix(text, "-"):
			style = red
		}
		if style != "" {
			text = p.paint(style, text)
		}
		p.printf("%s", text)
		if strings.HasSuffix(line, "\n") {
			p.printf("\n")
		}
	}
}
