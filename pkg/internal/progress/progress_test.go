package progress_test

import (
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/internal/course"
	"github.com/racekit/racekit/pkg/internal/progress"
)

var _ = Describe("the progress file", func() {
	var root string
	lesson1, lesson2, lesson3 := course.Lessons[0], course.Lessons[1], course.Lessons[2]

	BeforeEach(func() { root = GinkgoT().TempDir() })

	When("it does not exist yet", func() {
		It("loads as a fresh start", func() {
			s, err := progress.Load(root)
			Expect(err).NotTo(HaveOccurred(), "a learner who has done nothing has no file, and that is not an error")
			Expect(s.Lessons).To(BeEmpty(), "nothing is recorded")
			Expect(s.Of(lesson1)).To(Equal(progress.Lesson{Status: progress.NotRun}), "a lesson never checked reads as not yet run, with no hints shown")
		})
	})

	When("it is not JSON", func() {
		It("gets an error that names the file and says how to start afresh", func() {
			Expect(os.MkdirAll(filepath.Join(root, progress.Dir), 0o755)).To(Succeed())
			Expect(os.WriteFile(progress.Path(root), []byte("{not json"), 0o644)).To(Succeed())
			_, err := progress.Load(root)
			Expect(err).To(MatchError(ContainSubstring(progress.Path(root))), "the learner must know which file is broken")
			Expect(err).To(MatchError(ContainSubstring("delete it")), "and what to do about it")
		})
	})

	When("it records a negative number of hints shown", func() {
		It("gets an error that names the file, the lesson and the count, and says how to put it right", func() {
			Expect(os.MkdirAll(filepath.Join(root, progress.Dir), 0o755)).To(Succeed())
			Expect(os.WriteFile(progress.Path(root), []byte(`{"lessons": {"01-lost-update": {"hints_shown": -3}}}`), 0o644)).To(Succeed())
			_, err := progress.Load(root)
			Expect(err).To(MatchError(ContainSubstring(progress.Path(root))), "the learner must know which file is wrong")
			Expect(err).To(MatchError(ContainSubstring("-3 hints of 01-lost-update")), "and which lesson's count, and what it says")
			Expect(err).To(MatchError(ContainSubstring("set its hints_shown to 0")), "and what to do about it")
		})
	})

	When("it records more hints shown than a lesson has", func() {
		It("loads the count as it is, since a lesson's HINTS.md may have lost hints since", func() {
			Expect(os.MkdirAll(filepath.Join(root, progress.Dir), 0o755)).To(Succeed())
			Expect(os.WriteFile(progress.Path(root), []byte(`{"lessons": {"01-lost-update": {"hints_shown": 99}}}`), 0o644)).To(Succeed())
			s, err := progress.Load(root)
			Expect(err).NotTo(HaveOccurred(), "only the hint command knows how many hints there are, and it stops at the last")
			Expect(s.Of(lesson1).HintsShown).To(Equal(99), "the count is read as written")
		})
	})

	When("it holds null", func() {
		It("loads as a fresh start that can be written to", func() {
			Expect(os.MkdirAll(filepath.Join(root, progress.Dir), 0o755)).To(Succeed())
			Expect(os.WriteFile(progress.Path(root), []byte(`{"lessons": null}`), 0o644)).To(Succeed())
			s, err := progress.Load(root)
			Expect(err).NotTo(HaveOccurred())
			Expect(func() { s.Set(lesson1, progress.Lesson{HintsShown: 1}) }).NotTo(Panic(), "Load never returns a nil map")
		})
	})

	It("saves and loads back what was recorded", func() {
		at := time.Date(2026, 5, 1, 12, 30, 0, 0, time.UTC)
		s, err := progress.Load(root)
		Expect(err).NotTo(HaveOccurred())
		s.Checked(lesson1, true, at)
		s.Set(lesson2, progress.Lesson{HintsShown: 2})
		s.Checked(lesson2, false, at)
		Expect(s.Save(root)).To(Succeed(), "Save creates .racekit/ when it is missing")

		back, err := progress.Load(root)
		Expect(err).NotTo(HaveOccurred())
		Expect(back.Of(lesson1)).To(Equal(progress.Lesson{Status: progress.Passed, CheckedAt: at}))
		Expect(back.Of(lesson2)).To(Equal(progress.Lesson{Status: progress.Failing, CheckedAt: at, HintsShown: 2}),
			"a check keeps the hints already shown")
		Expect(back.Of(lesson3).Status).To(Equal(progress.NotRun))

		entries, err := os.ReadDir(filepath.Join(root, progress.Dir))
		Expect(err).NotTo(HaveOccurred())
		Expect(entries).To(HaveLen(1), "Save leaves no temporary file behind")
	})

	It("keeps the folder-name keys a person can read", func() {
		s := &progress.State{}
		s.Checked(lesson1, true, time.Time{})
		Expect(s.Save(root)).To(Succeed(), "a zero State can be saved")
		data, err := os.ReadFile(progress.Path(root))
		Expect(err).NotTo(HaveOccurred())
		Expect(string(data)).To(ContainSubstring(`"01-lost-update"`), "lessons are keyed by folder name")
		Expect(string(data)).NotTo(ContainSubstring("checked_at"), "a zero time is left out")
	})
})

var _ = Describe("Next", func() {
	lessons := course.Lessons[:3]

	It("is the first lesson when nothing has passed", func() {
		l, ok := (&progress.State{}).Next(lessons)
		Expect(ok).To(BeTrue())
		Expect(l.Number).To(Equal(1), "a fresh learner starts at lesson 1")
	})

	It("skips the lessons that passed and stops at the first failing or unrun one", func() {
		s := &progress.State{}
		s.Checked(lessons[0], true, time.Time{})
		s.Checked(lessons[2], true, time.Time{})
		l, ok := s.Next(lessons)
		Expect(ok).To(BeTrue())
		Expect(l.Number).To(Equal(2), "lesson 2 was never run, though lesson 3 passed")

		s.Checked(lessons[1], false, time.Time{})
		l, _ = s.Next(lessons)
		Expect(l.Number).To(Equal(2), "a failing lesson is still next")
	})

	It("reports false when every lesson passed", func() {
		s := &progress.State{}
		for _, l := range lessons {
			s.Checked(l, true, time.Time{})
		}
		_, ok := s.Next(lessons)
		Expect(ok).To(BeFalse(), "nothing is left to do")
	})
})
