package main

import (
	"context"
	"strings"

	"github.com/racekit/racekit/pkg/internal/course"
	"github.com/racekit/racekit/pkg/internal/i18n"
	"github.com/racekit/racekit/pkg/internal/progress"
)

// comingLater is the status of a lesson of the course that is not in this
// version of the kit.
const comingLater = "coming later"

// runStatus carries out racekit status, which is also racekit with no
// arguments: the course as a table with each lesson's last result, then the
// one command to run next.
func runStatus(ctx context.Context, e *env, args []string) error {
	fs := e.flags("status")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("status takes no arguments, got %q; to check a lesson, run %s", strings.Join(fs.Args(), " "), cmdline("check", fs.Arg(0)))
	}
	st, err := progress.Load(e.root)
	if err != nil {
		return err
	}

	p := e.out
	// Columns are padded by terminal width: a Hangul title takes two
	// columns a letter.
	slugW, titleW := i18n.Width(p.tr("lesson")), i18n.Width(p.tr("title"))
	for _, l := range course.Lessons {
		slugW, titleW = max(slugW, len(l.Slug)), max(titleW, i18n.Width(p.text(l.Title)))
	}
	p.printf("%s\n\n", p.paint(bold, p.tr("racekit: race conditions, told through CPython's global interpreter lock")))
	p.printf("   %-2s  %s  %s  %s\n", "#", i18n.Pad(p.tr("lesson"), slugW), i18n.Pad(p.tr("title"), titleW), p.tr("status"))
	for _, l := range course.Lessons {
		p.printf("  %2d.  %-*s  %s  %s\n", l.Number, slugW, l.Slug, i18n.Pad(p.text(l.Title), titleW), e.statusWord(l, st))
	}
	p.println()

	next, ok := st.Next(course.InKit())
	if !ok {
		p.printf("%s every lesson in this kit has passed. ", p.paint(green+";"+bold, p.tr("Well done:")))
		if later := len(course.Lessons) - len(course.InKit()); later > 0 {
			p.printf("The %d lessons marked %q come with a later version of the kit.\n", later, p.text(comingLater))
		} else {
			p.printf("That is the whole course.\n")
		}
		return nil
	}
	if st.Of(next).Status == progress.Failing {
		p.printf("next: fix lessons/%s, then run %s\n", next.Dir(), e.suggest("check", next.Number))
	} else {
		p.printf("next: read lessons/%s/README.md, then run %s\n", next.Dir(), e.suggest("check", next.Number))
	}
	p.printf("%s\n", p.paint(dim, p.tr("stuck? %s shows a hint, one more each time", cmdline("hint", next.Number))))
	return nil
}

// statusWord is lesson l's status for the table, coloured.
func (e *env) statusWord(l course.Lesson, st *progress.State) string {
	if !l.InKit {
		return e.out.paint(dim, e.out.text(comingLater))
	}
	s := st.Of(l).Status
	switch s {
	case progress.Passed:
		return e.out.paint(green, e.out.text(string(s)))
	case progress.Failing:
		return e.out.paint(red, e.out.text(string(s)))
	default:
		return e.out.paint(dim, e.out.text(string(s)))
	}
}
