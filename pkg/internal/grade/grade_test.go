package grade_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/internal/course"
	"github.com/racekit/racekit/pkg/internal/grade"
)

var _ = Describe("Grader.Grade", func() {
	kit, err := course.Root()
	if err != nil {
		It("runs inside the kit", func() { Fail(err.Error()) })
		return
	}
	cases, err := loadCorpus(kit)
	if err != nil {
		It("reads the corpus of submissions", func() { Fail(err.Error()) })
		return
	}

	var names []string // the cases' names
	for _, c := range cases {
		names = append(names, c.Name)
	}

	It("has a corpus case for every kind of submission issue 4 names", func() {
		Expect(names).To(ContainElements(
			"does-not-compile", "deadlocks", "panics", "crashes", "loops-forever", "exit-in-init",
			"gutted-spec", "extra-skip-test", "framework-in-exercise", "data-race",
			"starter-untouched", "fully-solved", "missing-lesson",
			"forged-report", "sets-ginkgo-flags", "norace-directive", "race-disable", "editor-files", "no-exercise-files",
		), "each kind of bad submission needs a case in %s that shows how it is graded", corpusDir)
	})

	It("has a corpus case for every way issue 11 names of passing a lesson without solving it", func() {
		Expect(names).To(ContainElements(
			"changes-spec-options", "changes-spec-options-04", // exercise code changes the specs' own variables
			"knows-it-is-scheduled", "asks-who-called", "ends-goroutines-early", "reads-the-clock", "line-directive", // code that knows it is being tested
			"log-caller-depth-01", "clock-through-timer-06", "clock-through-context-and-log-06", // found by a second reader
			"typecheck-bomb-in-ignored-file", "closes-stderr", "gil-timeline-clock-06", "prints-a-lock-06", // a file the build leaves out must not stall the grader; a closed stderr hides a race report
			"shadow-count-01", "shadow-count-02", "computes-in-go", "sleep-shortcut", "shorter-countdown", // specs that trusted what the code says about itself
		), "each way to pass without solving the lesson needs a case in %s that shows it does not pass", corpusDir)
	})

	It("has a corpus case for every attack on the grader itself that issue 11 names", func() {
		Expect(names).To(ContainElements(
			"link-spec-to-stdin", "link-spec-to-zero", "link-spec-to-folder", "link-spec-to-nowhere", "link-lesson-folder", "special-files",
			"generics-bomb", "memory-hog", "goroutine-bomb", "floods-output", "huge-panic", "huge-message", "huge-exercise-file",
			"reads-the-environment", "escapes-in-message",
		), "each way a submission could hang, exhaust or fool the grader needs a case in %s that shows it is graded, not obeyed", corpusDir)
	})

	for _, c := range cases {
		It(fmt.Sprintf("grades %s (%s) as %s", c.Name, c.About, c.Status), func(ctx SpecContext) {
			sub := GinkgoT().TempDir()
			Expect(c.assemble(kit, sub)).To(Succeed(), "the case's submission must be put together from %s/expect.txt", c.Dir)
			before, err := takeSnapshot(sub)
			Expect(err).NotTo(HaveOccurred(), "the submission must be readable to be compared after grading")
			kitBefore := map[string]snapshot{}
			for _, l := range c.Lessons {
				for _, dir := range []string{l.LessonDir(kit), l.SolutionDir(kit)} {
					kitBefore[dir], err = takeSnapshot(dir)
					Expect(err).NotTo(HaveOccurred(), "the kit's folders must be readable to be compared after grading")
				}
			}

			g := grade.Grader{Kit: kit, Timeout: c.Timeout, BuildTimeout: c.BuildTimeout, BuildMemory: c.BuildMemory, Memory: c.Memory}
			resident, measured := startPeakMemory()
			r, err := g.Grade(ctx, sub, c.Lessons)
			Expect(err).NotTo(HaveOccurred(), "a bad submission is a result to report, never an error of grading itself")
			AddReportEntry("result", describe(r))
			if measured {
				peak := max(peakMemory(), resident)
				AddReportEntry("grader's memory", fmt.Sprintf("peak %d MiB resident while grading, %d MiB above the %d MiB before", peak>>20, (peak-resident)>>20, resident>>20))
				Expect(peak-resident).To(BeNumerically("<", int64(500<<20)),
					"grading a submission, whatever it holds, may add at most 500 MB to the grader's resident memory")
			}

			var js, md strings.Builder
			Expect(grade.WriteJSON(&js, r)).To(Succeed(), "every result can be written as JSON")
			Expect(js.Len()).To(BeNumerically("<", len(r.Lessons)<<20), "a lesson's JSON is bounded, whatever the submission printed or panicked with")
			Expect(grade.WriteSummary(&md, r)).To(Succeed(), "every result can be written as a job summary")
			Expect(md.String()).NotTo(ContainSubstring("<"), "no HTML of a submission reaches the job summary unescaped")
			Expect(md.String()).NotTo(ContainSubstring("\x1b"), "nor a terminal escape")

			after, err := takeSnapshot(sub)
			Expect(err).NotTo(HaveOccurred(), "grading must not remove or lock the submission")
			Expect(before.changes(after)).To(BeEmpty(), "grading must leave the submission byte for byte as it was")
			for dir, snap := range kitBefore {
				now, err := takeSnapshot(dir)
				Expect(err).NotTo(HaveOccurred(), "grading must not remove or lock the kit's %s", dir)
				Expect(snap.changes(now)).To(BeEmpty(), "grading must not touch the kit's own %s", dir)
			}

			Expect(r.Status).To(Equal(c.Status), "the whole result is as bad as its worst lesson:\n%s", describe(r))
			Expect(r.Lessons).To(HaveLen(len(c.Lessons)), "one result per lesson asked for")
			if c.Score != nil {
				Expect([]int{r.Score, r.MaxScore}).To(Equal(c.Score), "score and max_score count the lessons that passed and the lessons graded")
			}
			for i, l := range r.Lessons {
				want := c.Lessons[i]
				Expect(l.Slug).To(Equal(want.Slug), "lessons come back in the order they were asked for")
				Expect(l.Title).To(Equal(want.Title), "a lesson's result carries its title from the course catalogue")
				Expect(l.Status).To(Equal(c.Status), "lesson %s:\n%s", want.Dir(), l.Message)
				Expect(l.MaxScore).To(Equal(1), "every lesson is worth one point")
				Expect(l.Score).To(Equal(map[bool]int{true: 1, false: 0}[l.Status == grade.Pass]), "a lesson scores its point only when it passed")
				Expect(l.Message).NotTo(BeEmpty(), "every lesson says why it passed or not")
				Expect(len(l.Message)).To(BeNumerically("<=", grade.MaxMessage+100), "a lesson's message is bounded, whatever the submission did")
				for _, s := range l.Specs {
					Expect(len(s.Message)).To(BeNumerically("<=", grade.MaxMessage+100), "so is each spec's message")
				}
				if l.Status != grade.Pass {
					Expect(l.Specs).To(ContainElement(HaveField("Status", BeElementOf(grade.Fail, grade.Error))),
						"a lesson that did not pass lists a spec that failed, so that JSON and JUnit readers see why")
				} else {
					Expect(l.Specs).NotTo(BeEmpty(), "a passing lesson lists the specs that passed")
					Expect(l.Specs).To(HaveEach(HaveField("Status", grade.Pass)), "a lesson passes only when every spec did")
				}
				for _, m := range c.Messages {
					m = strings.ReplaceAll(m, "{concept}", want.Concept)
					Expect(l.Message).To(ContainSubstring(m), "lesson %s's message should say %q", want.Dir(), m)
				}
				for _, s := range c.Specs {
					Expect(l.Specs).To(ContainElement(And(
						HaveField("Name", ContainSubstring(s.Name)),
						HaveField("Status", s.Status),
						HaveField("Message", And(containsAll(s.Messages)...)),
					)), "lesson %s should list a %s spec named %q whose message says %q; it has:\n%s", want.Dir(), s.Status, s.Name, s.Messages, describeSpecs(l.Specs))
				}
				for _, name := range c.NoSpecs {
					Expect(l.Specs).NotTo(ContainElement(HaveField("Name", ContainSubstring(name))),
						"lesson %s should not list a spec named %q", want.Dir(), name)
				}
			}
		})
	}
})

// containsAll is a ContainSubstring matcher for each of texts; with none,
// one that matches any string.
func containsAll(texts []string) []OmegaMatcher {
	out := []OmegaMatcher{BeAssignableToTypeOf("")}
	for _, t := range texts {
		out = append(out, ContainSubstring(t))
	}
	return out
}

// describe is a result as a few readable lines, for failure messages.
func describe(r grade.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s, %d of %d\n", r.Status, r.Score, r.MaxScore)
	for _, l := range r.Lessons {
		fmt.Fprintf(&b, "  %s: %s: %s\n%s", filepath.Base(l.Dir), l.Status, l.Message, describeSpecs(l.Specs))
	}
	return b.String()
}

// describeSpecs lists specs one a line, for failure messages.
func describeSpecs(specs []grade.Spec) string {
	var b strings.Builder
	for _, s := range specs {
		fmt.Fprintf(&b, "  %s: %s\n    %s\n", s.Status, s.Name, strings.ReplaceAll(s.Message, "\n", "\n    "))
	}
	return b.String()
}

var _ = Describe("Grader.Lesson", func() {
	When("an exercise file is a link rather than a plain file", func() {
		It("is an error that names the file, without reading through the link", func(ctx SpecContext) {
			kit, err := course.Root()
			Expect(err).NotTo(HaveOccurred(), "the spec runs inside the kit")
			lesson := course.InKit()[0]
			sub := GinkgoT().TempDir()
			Expect(corpusCase{Base: "solution"}.assemble(kit, sub)).To(Succeed(), "the solution makes a submission")
			object := filepath.Join(lesson.LessonDir(sub), "object.go")
			elsewhere := filepath.Join(GinkgoT().TempDir(), "object.go")
			Expect(os.Rename(object, elsewhere)).To(Succeed())
			Expect(os.Symlink(elsewhere, object)).To(Succeed(), "this spec needs symbolic links")

			l, err := grade.Grader{Kit: kit}.Lesson(ctx, sub, lesson)
			Expect(err).NotTo(HaveOccurred(), "a link is the submission's problem, not grading's")
			Expect(l.Status).To(Equal(grade.Error), "a link could point anywhere (/dev/zero, another learner's file), so it is not graded:\n%s", l.Message)
			Expect(l.Message).To(ContainSubstring("object.go: not a plain file (a link)"), "the message names the file, and what it is")
		})
	})
})

var _ = Describe("Grader.Grade, for several lessons at once", func() {
	It("hands each lesson's outcome to Graded and to the result in the order asked for, however many run at once", func(ctx SpecContext) {
		kit, err := course.Root()
		Expect(err).NotTo(HaveOccurred(), "the spec runs inside the kit")
		lessons := course.InKit()
		slices.Reverse(lessons)
		var seen []string
		g := grade.Grader{Kit: kit, Parallel: len(lessons), Graded: func(l grade.Lesson) { seen = append(seen, l.Slug) }}
		r, err := g.Grade(ctx, GinkgoT().TempDir(), lessons) // an empty submission: every lesson's folder is missing
		Expect(err).NotTo(HaveOccurred(), "missing lessons are the submission's problem")
		var want, got []string
		for i, l := range lessons {
			want = append(want, l.Slug)
			got = append(got, r.Lessons[i].Slug)
		}
		Expect(seen).To(Equal(want), "Graded sees every lesson once, in the order asked for")
		Expect(got).To(Equal(want), "and so does the result")
		Expect(r.Status).To(Equal(grade.Error), "no lesson could run")
	})

	It("stops at the first lesson it cannot grade, with that lesson's error, and hands on no outcome", func(ctx SpecContext) {
		kit, err := course.Root()
		Expect(err).NotTo(HaveOccurred(), "the spec runs inside the kit")
		var seen []string
		// A kit with no specs at all: grading cannot go on for any lesson.
		g := grade.Grader{Kit: GinkgoT().TempDir(), Parallel: -1, Graded: func(l grade.Lesson) { seen = append(seen, l.Slug) }}
		_, err = g.Grade(ctx, kit, course.InKit())
		Expect(err).To(MatchError(ContainSubstring("has no specs for")), "the error is the lesson's own, not a bare context canceled")
		Expect(seen).To(BeEmpty(), "the first lesson could not be graded, so none was handed on")
	})

	It("is an error for a submission that is not a folder", func(ctx SpecContext) {
		kit, err := course.Root()
		Expect(err).NotTo(HaveOccurred(), "the spec runs inside the kit")
		_, err = grade.Grader{Kit: kit}.Grade(ctx, filepath.Join(GinkgoT().TempDir(), "nowhere"), course.InKit())
		Expect(err).To(MatchError(ContainSubstring("is not a folder")), "grading cannot start without a submission")
	})
})

// startPeakMemory resets the process's peak resident memory (VmHWM, on
// Linux) and returns what is resident now; measured is false where the
// peak cannot be reset, and nothing is measured.
func startPeakMemory() (resident int64, measured bool) {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		return 0, false
	}
	return procStatus("VmRSS"), true
}

// peakMemory is the process's peak resident memory since startPeakMemory.
func peakMemory() int64 { return procStatus("VmHWM") }

// procStatus reads a "Name: N kB" line of /proc/self/status, in bytes.
func procStatus(name string) int64 {
	data, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			var kb int64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), &kb)
			return kb << 10
		}
	}
	return 0
}
