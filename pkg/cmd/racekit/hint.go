package main

import (
	"context"
	"path/filepath"

	"github.com/racekit/racekit/pkg/internal/course"
	"github.com/racekit/racekit/pkg/internal/hints"
	"github.com/racekit/racekit/pkg/internal/i18n"
	"github.com/racekit/racekit/pkg/internal/progress"
)

// runHint carries out racekit hint: the next hint of a lesson's HINTS.md,
// one more each time, counted in the progress file. Once every hint has
// been shown it shows the last again and points at the solution. With
// --again it shows the hints already seen and counts nothing.
func runHint(ctx context.Context, e *env, args []string) error {
	fs := e.flags("hint")
	again := fs.Bool("again", false, "show the hints you have already seen, without revealing a new one")
	l, err := e.parseLesson(fs, args, true)
	if err != nil {
		return err
	}
	hs, err := hints.Load(e.hintsFile(l))
	if err != nil {
		return err
	}
	st, err := progress.Load(e.root)
	if err != nil {
		return err
	}
	lp := st.Of(l)
	// progress.Load turns away a negative count; one larger than the
	// number of hints (HINTS.md lost some since) counts as all of them.
	seen := min(max(lp.HintsShown, 0), len(hs))

	if *again {
		if seen == 0 {
			e.out.printf("No hint of lesson %d (%s) shown yet; %s shows the first.\n", l.Number, l.Slug, e.suggest("hint", l.Number))
			return nil
		}
		for _, h := range hs[:seen] {
			e.showHint(l, h, len(hs))
		}
		return nil
	}

	if seen == len(hs) {
		e.out.printf("You have seen all %d hints of lesson %d; here is the last one again.\n\n", len(hs), l.Number)
		e.showHint(l, hs[len(hs)-1], len(hs))
		e.pointAtSolution(l, st)
		return nil
	}
	h := hs[seen]
	lp.HintsShown = seen + 1
	st.Set(l, lp)
	if err := st.Save(e.root); err != nil {
		return err
	}
	e.showHint(l, h, len(hs))
	if h.Number == len(hs) {
		e.out.printf("That was the last hint.\n")
		e.pointAtSolution(l, st)
	} else {
		e.out.printf("Need more? Run %s again for hint %d of %d; %s shows the ones you have seen.\n",
			e.suggest("hint", l.Number), h.Number+1, len(hs), e.suggest("hint", l.Number, "--again"))
	}
	return nil
}

// showHint prints hint h of lesson l, which has total hints.
func (e *env) showHint(l course.Lesson, h hints.Hint, total int) {
	p := e.out
	p.printf("%s\n\n", p.paint(bold, p.tr("Lesson %d, %s: hint %d of %d", l.Number, p.text(l.Title), h.Number, total)))
	p.printf("%s\n\n", h.Body)
}

// hintsFile is lesson l's hints file in the learner's language: HINTS.ko.md
// for Korean when the lesson has one, else HINTS.md. The two hold the same
// hints in the same order (the kit's tests check it), so the count of hints
// seen holds for both.
func (e *env) hintsFile(l course.Lesson) string {
	if e.out.lang == i18n.Korean {
		if ko := filepath.Join(l.LessonDir(e.root), hints.KoreanFileName); !missing(ko) {
			return ko
		}
	}
	return filepath.Join(l.LessonDir(e.root), hints.FileName)
}

// pointAtSolution tells a learner who has seen every hint of lesson l where
// the solution is.
func (e *env) pointAtSolution(l course.Lesson, st *progress.State) {
	if st.Of(l).Status == progress.Passed {
		e.out.printf("To compare your code with the kit's solution: %s\n", e.suggest("solution", l.Number))
		return
	}
	e.out.printf("Still stuck? %s shows the solution as a diff against your files.\n", e.suggest("solution", l.Number, "--force"))
}
