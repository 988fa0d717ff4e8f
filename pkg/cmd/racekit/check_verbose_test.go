package main_test

import (
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/internal/course"
)

var _ = Describe("racekit check -v", func() {
	// withFiles returns a kit whose lesson 1 has the .go files of dir
	// (a solution or a fixture) laid over its starter.
	withFiles := func(dir string) string {
		kit := tempKit()
		entries, err := os.ReadDir(dir)
		Expect(err).NotTo(HaveOccurred())
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".go") && !strings.HasSuffix(e.Name(), "_test.go") {
				data, err := os.ReadFile(filepath.Join(dir, e.Name()))
				Expect(err).NotTo(HaveOccurred())
				Expect(os.WriteFile(filepath.Join(course.Lessons[0].LessonDir(kit), e.Name()), data, 0o644)).To(Succeed())
			}
		}
		return kit
	}

	When("the exploration finds a wrong fix out", func() {
		It("shows how the schedules it ran ended, the verdict unchanged", func() {
			kit := withFiles(filepath.Join(kitRoot, "testdata", "fixtures", "01-lost-update", "lock-decref-only"))
			plain := run(kit, "check", "1")
			r := run(kit, "check", "1", "-v")
			Expect(r.code).To(Equal(1), "a wrong fix fails with -v as without")
			Expect(plain.code).To(Equal(1))
			failed := func(out string) string { s, _, _ := strings.Cut(out, "\nExplorations:"); return s }
			Expect(failed(r.out)).To(ContainSubstring("✗ failed: 1 of 7 specs failed"))
			Expect(plain.out).To(ContainSubstring("✗ failed: 1 of 7 specs failed"), "the same spec fails without -v")
			Expect(r.out).To(ContainSubstring("three goroutines take and drop references while a fourth reads the count"), "the exploring spec is named")
			Expect(r.out).To(MatchRegexp(`explored \d+ schedules: a schedule broke the scenario \(the simplest found has 0 preemptions\)`))
			Expect(r.out).To(MatchRegexp(`outcomes, by schedules run:\n    data race on foo\.refcount: \d+ schedules\n`), "DecRef alone is locked: IncRef still races")
			Expect(r.out).To(MatchRegexp(`foo leaks: \d+ schedules`), "and some schedules lose a decrement")
			Expect(r.out).NotTo(ContainSubstring("passed: "), "with IncRef unlocked, no schedule of this scenario comes out right")
		})
	})

	When("the lesson is solved", func() {
		It("shows every exploration exhaustive, and every schedule passed", func() {
			r := run(withFiles(course.Lessons[0].SolutionDir(kitRoot)), "check", "1", "-v")
			Expect(r.code).To(Equal(0), r.out)
			Expect(r.out).To(MatchRegexp(`so every outcome \(exhaustive\)\n  outcomes, by schedules run:\n    passed: \d+ schedules\n`))
		})
	})

	When("the spec that fails comes before the explorations", func() {
		It("says no exploration ran, and why", func() {
			r := run(tempKit(), "check", "1", "-v")
			Expect(r.code).To(Equal(1))
			Expect(r.out).To(ContainSubstring("No exploration ran: the specs that explore every schedule come after the one that failed"))
		})
	})
})
