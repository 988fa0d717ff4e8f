package main

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/racekit/racekit/pkg/interleave"
	"github.com/racekit/racekit/pkg/internal/course"
	"github.com/racekit/racekit/pkg/internal/grade"
	"github.com/racekit/racekit/pkg/internal/progress"
	"github.com/racekit/racekit/pkg/internal/testrun"
)

// runCheck carries out racekit check.
func runCheck(ctx context.Context, e *env, args []string) error {
	fs := e.flags("check")
	timeout := fs.Duration("timeout", checkTimeout, "how long the lesson's specs may run before check stops them and shows where they wait")
	verbose := fs.Bool("v", false, "also show each exploration the specs ran: how much it covered, and how its schedules ended")
	l, err := e.parseLesson(fs, args, true)
	if err != nil {
		return err
	}
	if *timeout <= 0 {
		return usagef("--timeout must be positive, got %s", *timeout)
	}
	e.checkTimeout, e.verbose = *timeout, *verbose
	passed, err := checkLesson(ctx, e, l)
	if err != nil {
		return err
	}
	if !passed {
		return errFailed
	}
	return nil
}

// checkTimeout is how long check lets a lesson's specs run: long enough
// for the specs' own hang detection (10 s per call) to speak first.
const checkTimeout = 30 * time.Second

// checkLesson runs lesson l's spec under -race against the learner's files,
// prints what a learner can act on, and records the result in the progress
// file. It reports whether the lesson passed; an error means the check
// could not run at all (no go command, say), not that the lesson failed.
//
// It grades the learner's own checkout the way racekit grade does, so the
// learner sees what an instructor's CI will see: the kit's specs (from
// solutions/, byte-identical to the lesson's) with the learner's exercise
// files, and nothing in the checkout is written but the progress file.
func checkLesson(ctx context.Context, e *env, l course.Lesson) (passed bool, err error) {
	start := e.now()
	e.out.printf("%s %s: running its specs under -race...\n", e.out.paint(bold, e.out.tr("checking")), l.Dir())
	timeout := e.checkTimeout
	if timeout == 0 {
		timeout = checkTimeout
	}
	if err := e.warmFirst(ctx, l); err != nil {
		return false, err
	}
	g := grade.Grader{Kit: e.root, Timeout: timeout}
	if e.verbose {
		// The explorations count their outcomes, and go on after a
		// failure to count them all; the verdicts are the same.
		g.Env = []string{interleave.EnvOutcomes + "=1"}
	}
	res, err := g.Lesson(ctx, e.root, l)
	if err != nil {
		return false, err
	}
	e.showCheck(l, res)
	if e.verbose {
		e.showExplorations(res)
	}
	e.out.printf("%s\n", e.out.paint(dim, e.out.tr("(checked in %.1f s)", e.now().Sub(start).Seconds())))

	st, err := progress.Load(e.root)
	if err != nil {
		return false, err
	}
	st.Checked(l, res.Status == grade.Pass, e.now())
	if err := st.Save(e.root); err != nil {
		return false, err
	}
	if res.Status == grade.Pass {
		e.showNext(l, st)
	}
	return res.Status == grade.Pass, nil
}

// warmFirst says so when lesson l's build is likely to be slow (the
// build cache lacks the race detector's runtime, or many packages), and
// then builds what the cache lacks, showing the seconds on a terminal, so
// that the learner does not wait in silence for a minute or two. It asks
// the go command what the cache lacks rather than timing the build: the
// line comes before the wait, not a few seconds into it, and a check
// whose specs are slow or hung is not taken for a slow build. When the
// cache cannot be asked, or the prebuild fails, it says nothing and the
// check's own build reports what is wrong; only a cancelled ctx is an
// error.
func (e *env) warmFirst(ctx context.Context, l course.Lesson) error {
	stale, err := testrun.StaleDeps(ctx, e.root, "./lessons/"+l.Dir())
	if err != nil || !testrun.LikelySlow(stale) {
		return ctx.Err()
	}
	e.out.printf("%s\n", e.out.paint(dim, e.out.tr(
		"the first build compiles the race detector's runtime and the course's packages (%d not in the build cache yet): a minute or two on a cold cache",
		len(stale))))
	work, err := os.MkdirTemp("", "racekit-check-")
	if err != nil {
		return nil
	}
	defer os.RemoveAll(work)
	stop := e.out.elapsed("  " + l.Dir())
	_ = grade.Prebuild(ctx, e.root, l, work) // the check's own build says what went wrong
	stop()
	return ctx.Err()
}

// showCheck prints a lesson's result for the learner.
func (e *env) showCheck(l course.Lesson, res grade.Lesson) {
	p := e.out
	p.println()
	switch res.Status {
	case grade.Pass:
		p.printf("%s %s\n", p.paint(green+";"+bold, p.tr("✓ passed:")), res.Message)
	case grade.Error:
		// "does not build: ...", "hangs: ...", "crashed: ...": the message
		// says what kept the specs from finishing. Some have no colon ("the
		// submission has no lessons/03-deadlock folder").
		head, rest := errorHead(res.Message)
		p.printf("%s%s\n", p.paint(yellow+";"+bold, "✗ "+head), indent(rest, "  "))
	default:
		summary, _, _ := strings.Cut(res.Message, "\n")
		p.printf("%s %s\n", p.paint(red+";"+bold, p.tr("✗ failed:")), summary)
		skipped := 0
		for _, s := range res.Specs {
			switch s.Status {
			case grade.Fail:
				p.printf("\n%s\n", p.paint(bold, "── "+s.Name))
				p.printf("%s\n", indent("  "+s.Message, "  "))
			case grade.Skipped:
				skipped++
			}
		}
		if skipped > 0 {
			p.printf("\n%s\n", p.paint(dim, p.tr("%d later specs were skipped after the failure; they run once the specs before them pass.", skipped)))
		}
		if strings.Contains(res.Message, "ignored test files") {
			_, notes, _ := strings.Cut(res.Message, "ignored test files")
			p.printf("\nignored test files%s\n", notes)
		}
	}
	switch {
	case res.Status == grade.Pass:
	case missing(l.LessonDir(e.root)):
		p.printf("\nnext: lessons/%s is missing; %s brings back its starter code and specs (and %s its README.md and HINTS.md), then check again\n",
			l.Dir(), e.suggest("reset", l.Number), e.out.paint(cyan, "git checkout lessons/"+l.Dir()))
	default:
		p.printf("\nnext: fix lessons/%s, then check again; read its README.md, or for a hint: %s\n",
			l.Dir(), e.suggest("hint", l.Number))
		if showsSchedule(res) && playable(l.SolutionDir(e.root)) {
			p.printf("%s\n", p.tr("or be the scheduler yourself, and make it break: %s", e.suggest("play", l.Number)))
		}
	}
}

// showsSchedule reports whether a failing spec of res printed a schedule
// to replay: an interleaving broke the learner's code.
func showsSchedule(res grade.Lesson) bool {
	for _, s := range res.Specs {
		if s.Status == grade.Fail && strings.Contains(s.Message, "replay this schedule:") {
			return true
		}
	}
	return false
}

// showExplorations prints, for each spec of res that explored a scenario
// (its "exploration" report entry), the spec's name, how much the
// exploration covered and the outcome table.
func (e *env) showExplorations(res grade.Lesson) {
	p := e.out
	shown := 0
	for _, s := range res.Report.SpecReports {
		for _, entry := range s.ReportEntries {
			if entry.Name != "exploration" {
				continue
			}
			if shown++; shown == 1 {
				p.printf("\n%s\n", p.paint(bold, p.tr("Explorations: how much of each scenario the specs ran, and how its schedules ended")))
			}
			p.printf("\n%s\n", p.paint(bold, "── "+s.FullText()))
			p.printf("%s\n", indent("  "+entry.StringRepresentation(), "  "))
		}
	}
	if shown == 0 {
		p.printf("\n%s\n", p.paint(dim, p.tr("No exploration ran: the specs that explore every schedule come after the one that failed, and run once it passes.")))
	}
}

// errorHead splits the message of a lesson whose specs could not all run
// into the head check prints in colour, colon included ("does not
// build:"), and the rest. The head ends at the first line's first colon
// that ends the line or comes before a space, outside a quoted spec name;
// a first line with no such colon is the head entire.
func errorHead(msg string) (head, rest string) {
	first, _, _ := strings.Cut(msg, "\n")
	quoted := false
	for i := 0; i < len(first); i++ {
		switch c := first[i]; {
		case c == '\\' && quoted:
			i++ // an escaped character inside a quoted spec name
		case c == '"':
			quoted = !quoted
		case c == ':' && !quoted && (i+1 == len(first) || first[i+1] == ' '):
			return msg[:i+1], msg[i+1:]
		}
	}
	return first, msg[len(first):]
}

// missing reports whether path names nothing at all.
func missing(path string) bool {
	_, err := os.Stat(path)
	return errors.Is(err, fs.ErrNotExist)
}

// showNext congratulates and names the next lesson not yet passed.
func (e *env) showNext(l course.Lesson, st *progress.State) {
	next, ok := st.Next(course.InKit())
	if !ok {
		e.out.printf("\nWell done: that was the last lesson of the kit, and every lesson has passed.\n")
		return
	}
	e.out.printf("\nWell done! Next: lesson %d, %s. Read lessons/%s/README.md, then run %s\n",
		next.Number, e.out.text(next.Title), next.Dir(), e.suggest("check", next.Number))
}
