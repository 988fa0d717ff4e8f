package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/racekit/racekit/pkg/internal/course"
	"github.com/racekit/racekit/pkg/internal/grade"
)

// gradeClass carries out racekit grade --class: every learner folder of
// class graded with g, a row of the class table printed as each learner is
// done, and the reports written into out (class-grades beside the class
// folder when empty). A class that was graded is a success whatever the
// learners' grades; only bad input and grading that cannot go on are not.
func (e *env) gradeClass(ctx context.Context, g grade.Grader, class, out string, lessons []course.Lesson, points grade.Points, limits string) error {
	dir, err := filepath.Abs(class)
	if err != nil {
		return err
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return usagef("--class %s: no such folder", class)
	}
	learners, skipped, err := grade.ClassFolders(dir)
	if err != nil {
		return usagef("--class %s: %v", class, strings.TrimPrefix(err.Error(), "grade: "))
	}
	if out == "" {
		out = dir + "-grades"
	}
	if out, err = filepath.Abs(out); err != nil {
		return err
	}
	if rel, err := filepath.Rel(dir, out); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return usagef("--out %s is inside the class folder %s: the next grading would take it for a learner; write the reports beside the class folder", out, class)
	}
	// Make the folder and try a file now, so that a bad --out fails before
	// any lesson is graded.
	if err := os.MkdirAll(out, 0o755); err != nil {
		return usagef("cannot write the reports: %v", err)
	}
	if err := probeWritable(filepath.Join(out, "class.csv")); err != nil {
		return usagef("cannot write the reports: %v", err)
	}

	e.out.printf("grading %s × %s of %s %s\n\n", plural(len(learners), "learner"), plural(len(lessons), "lesson"), dir, limits)
	for _, s := range skipped {
		e.out.printf("  note: %s\n", printable(s))
	}
	if len(skipped) > 0 {
		e.out.println()
	}
	if err := e.warmForGrading(ctx, lessons); err != nil {
		return err
	}
	width := len("learner")
	for _, name := range learners {
		width = max(width, len([]rune(printable(name))))
	}
	width = min(width, 24)
	head := fmt.Sprintf("  %-*s ", width, "learner")
	for _, l := range lessons {
		head += fmt.Sprintf(" %-5s", fmt.Sprintf("%02d", l.Number))
	}
	e.out.printf("%s\n", e.out.paint(bold, head+"  lessons"))

	// A progress line for a person watching: only on a terminal.
	tty := isTerminal(e.out.w)
	done, now := 0, 0
	g.Graded = func(grade.Lesson) {
		if done++; tty {
			e.out.printf("\r\x1b[K  grading %s (%d of %d): %d of %d lessons", printable(learners[now]), now+1, len(learners), done, len(lessons))
		}
	}
	start := e.now()
	c, err := g.GradeClass(ctx, dir, learners, lessons, points, func(lr grade.Learner) {
		if tty {
			e.out.printf("\r\x1b[K")
		}
		name := printable(lr.Name)
		if r := []rune(name); len(r) > width {
			name = string(r[:width-1]) + "…"
		}
		row := fmt.Sprintf("  %-*s ", width, name)
		for _, l := range lr.Result.Lessons {
			row += " " + e.out.classCell(grade.ClassMark(l, false))
		}
		r := lr.Result
		row += fmt.Sprintf("  %d/%d", r.Score, r.MaxScore)
		if points != nil {
			row += fmt.Sprintf(", %d/%d points", r.Points, r.MaxPoints)
		}
		e.out.printf("%s\n", row)
		done, now = 0, now+1
	})
	if tty {
		e.out.printf("\r\x1b[K")
	}
	if err != nil {
		return err
	}
	row := fmt.Sprintf("  %-*s ", width, "passed")
	for _, n := range c.Passed() {
		row += fmt.Sprintf(" %-5d", n)
	}
	e.out.printf("%s\n\n", e.out.paint(dim, strings.TrimRight(row, " ")))
	e.out.printf("graded %s in %s: %d built and run, %d the same code as a lesson graded before (that verdict reused), %d turned away before a build\n",
		plural(len(learners)*len(lessons), "lesson"), e.now().Sub(start).Round(time.Second), c.Built, c.Reused, c.TurnedAway)

	written, err := grade.WriteClass(out, c)
	if err != nil {
		return err
	}
	e.out.printf("wrote %s, %s and a JSON file per learner (NAME.json, %d) in %s\n",
		filepath.Base(written[0]), filepath.Base(written[1]), len(written)-2, out)
	return nil
}

// classCell is a class table's cell for mark (grade.ClassMark's word),
// padded and coloured as statusWord colours a status; todo is dim.
func (p *printer) classCell(mark string) string {
	if mark == "todo" {
		return p.paint(dim, fmt.Sprintf("%-5s", mark))
	}
	return p.statusWord(grade.Status(mark))
}
