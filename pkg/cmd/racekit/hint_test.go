package main_test

import (
	"os"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/internal/course"
	"github.com/racekit/racekit/pkg/internal/hints"
	"github.com/racekit/racekit/pkg/internal/progress"
)

var _ = Describe("racekit hint", func() {
	var (
		kit string
		hs  []hints.Hint // lesson 1's hints
	)
	BeforeEach(func() {
		kit = tempKit()
		var err error
		hs, err = hints.Load(lessonFile(kit, 1, hints.FileName))
		Expect(err).NotTo(HaveOccurred())
		Expect(len(hs)).To(BeNumerically(">=", 2), "these specs need a lesson with several hints")
	})

	shown := func() int {
		st, err := progress.Load(kit)
		Expect(err).NotTo(HaveOccurred())
		return st.Of(course.Lessons[0]).HintsShown
	}

	It("shows the next hint each time, counts it, and repeats the last once all are shown", func() {
		for i, h := range hs {
			r := run(kit, "hint", "1")
			Expect(r.code).To(Equal(0), r.err)
			Expect(r.out).To(ContainSubstring("Lesson 1, Lost update: hint %d of %d\n", h.Number, len(hs)), "run %d shows hint %d", i+1, h.Number)
			Expect(r.out).To(ContainSubstring(h.Body), "the hint's whole text is shown")
			if i > 0 {
				Expect(r.out).NotTo(ContainSubstring(hs[i-1].Body), "a new run shows only the new hint")
			}
			Expect(shown()).To(Equal(i+1), "the progress file counts the hints shown")
			if h.Number < len(hs) {
				Expect(r.out).To(ContainSubstring("again for hint %d of %d", h.Number+1, len(hs)), "the learner knows another hint is there")
			} else {
				Expect(r.out).To(ContainSubstring("That was the last hint."), "the learner knows no hint is left")
			}
		}

		r := run(kit, "hint", "lost-update")
		Expect(r.code).To(Equal(0))
		last := hs[len(hs)-1]
		Expect(r.out).To(ContainSubstring("You have seen all %d hints of lesson 1; here is the last one again.", len(hs)), "the learner is told there is no new hint")
		Expect(r.out).To(ContainSubstring(last.Body), "the last hint is shown again")
		Expect(r.out).To(ContainSubstring("go run ./pkg/cmd/racekit solution 1 --force"), "an unpassed lesson points at the solution with --force")
		Expect(shown()).To(Equal(len(hs)), "the count stops at the number of hints")
	})

	It("points at the solution without --force once the lesson passed", func() {
		record(kit, map[int]bool{1: true})
		for range hs {
			run(kit, "hint", "1")
		}
		r := run(kit, "hint", "1")
		Expect(r.out).To(ContainSubstring("go run ./pkg/cmd/racekit solution 1\n"), "a passed lesson's solution needs no --force")
		Expect(shown()).To(Equal(len(hs)), "a check result and the hint count live side by side")
	})

	It("with --again shows the hints seen so far and counts nothing", func() {
		r := run(kit, "hint", "1", "--again")
		Expect(r.out).To(ContainSubstring("No hint of lesson 1 (lost-update) shown yet"), "there is nothing to show again")
		Expect(shown()).To(Equal(0), "--again reveals nothing new")

		run(kit, "hint", "1")
		run(kit, "hint", "1")
		r = run(kit, "hint", "--again", "1")
		Expect(r.out).To(And(ContainSubstring(hs[0].Body), ContainSubstring(hs[1].Body)), "both hints seen are shown again")
		if len(hs) > 2 {
			Expect(r.out).NotTo(ContainSubstring(hs[2].Body), "a hint not yet seen stays hidden")
		}
		Expect(shown()).To(Equal(2), "--again does not advance")
	})

	It("defaults to the first lesson not passed", func() {
		record(kit, map[int]bool{1: true})
		r := run(kit, "hint")
		Expect(r.out).To(ContainSubstring("Lesson 2, Premature free: hint 1 of"), "lesson 1 passed, so lesson 2 is the learner's")
	})

	When("the progress file was edited by hand", func() {
		// setShown writes a hint count for lesson 1 into the progress file,
		// as a learner editing it by hand might.
		setShown := func(n int) {
			st, err := progress.Load(kit)
			Expect(err).NotTo(HaveOccurred())
			st.Set(course.Lessons[0], progress.Lesson{HintsShown: n})
			Expect(st.Save(kit)).To(Succeed())
		}

		It("exits 2 for a negative hint count, naming the file and how to put it right", func() {
			setShown(-3)
			for _, args := range [][]string{{"hint", "1"}, {"hint", "1", "--again"}} {
				r := run(kit, args...)
				Expect(r.code).To(Equal(2), "racekit %v turns the count away instead of crashing", args)
				Expect(r.err).NotTo(ContainSubstring("panic"), "a hand-edited file never crashes racekit")
				Expect(r.err).To(And(ContainSubstring(progress.Path(kit)), ContainSubstring("set its hints_shown to 0")),
					"the learner learns which file is wrong and what to do")
			}
		})

		It("treats a count larger than the number of hints as every hint seen", func() {
			setShown(len(hs) + 5)
			r := run(kit, "hint", "1")
			Expect(r.code).To(Equal(0), r.err)
			Expect(r.out).To(ContainSubstring("You have seen all %d hints of lesson 1; here is the last one again.", len(hs)), "no hint beyond the last is asked for")
			Expect(r.out).To(ContainSubstring(hs[len(hs)-1].Body), "the last hint is shown again")

			r = run(kit, "hint", "1", "--again")
			Expect(r.code).To(Equal(0), r.err)
			for _, h := range hs {
				Expect(r.out).To(ContainSubstring("hint %d of %d\n", h.Number, len(hs)), "--again shows each of the hints there are, once")
			}
			Expect(r.out).NotTo(ContainSubstring("hint %d of", len(hs)+1), "and none that is not there")
		})
	})

	It("names the file and line of a broken HINTS.md", func() {
		Expect(os.WriteFile(lessonFile(kit, 1, hints.FileName), []byte("# Hints\n\n## Hint 2\n\ntext\n"), 0o644)).To(Succeed())
		r := run(kit, "hint", "1")
		Expect(r.code).To(Equal(2), "the hint cannot be shown")
		Expect(r.err).To(ContainSubstring("HINTS.md line 3: hint 2 comes where hint 1 should"), "the message says where the file is wrong")
		Expect(shown()).To(Equal(0), "nothing was counted")
	})

	It("lists the lessons for an unknown one", func() {
		r := run(kit, "hint", "nope")
		Expect(r.code).To(Equal(2), "an unknown lesson is bad usage")
		Expect(r.err).To(ContainSubstring("1 or lost-update"), "the learner sees the lessons there are")
	})
})
