package verify_test

import (
	"context"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/internal/course"
	"github.com/racekit/racekit/pkg/internal/verify"
)

// The checks' failures, on small copies of the kit: the course spec sees
// them pass on the real one.
var _ = Describe("the checks", func() {
	// copyDir copies the files of the folder rel below the real kit to the
	// same place below dst.
	copyDir := func(dst, rel string) {
		Expect(os.MkdirAll(filepath.Join(dst, rel), 0o755)).To(Succeed())
		entries, err := os.ReadDir(filepath.Join(root, rel))
		Expect(err).NotTo(HaveOccurred())
		for _, e := range entries {
			data, err := os.ReadFile(filepath.Join(root, rel, e.Name()))
			Expect(err).NotTo(HaveOccurred())
			Expect(os.WriteFile(filepath.Join(dst, rel, e.Name()), data, 0o644)).To(Succeed())
		}
	}
	// runCheck runs the check named name from checks.
	runCheck := func(checks []verify.Check, name string) error {
		for _, c := range checks {
			if c.Name == name {
				return c.Run(context.Background())
			}
		}
		Fail("no check named " + name)
		return nil
	}

	Describe("KitChecks", func() {
		It("names the lessons missing from lessons/ and the folders the catalogue does not list", func() {
			kit := GinkgoT().TempDir()
			for _, l := range course.InKit()[1:] {
				Expect(os.MkdirAll(l.LessonDir(kit), 0o755)).To(Succeed())
			}
			Expect(os.MkdirAll(filepath.Join(kit, "lessons", "10-next-lesson"), 0o755)).To(Succeed())
			err := runCheck(verify.KitChecks(kit), "has every lesson of the catalogue that is in the kit, and no other")
			Expect(err).To(MatchError(And(
				ContainSubstring("it lacks 01-lost-update"),
				ContainSubstring("it has 10-next-lesson, which the catalogue in pkg/internal/course does not list as in the kit"))),
				"a maintainer adding a lesson learns which side to update")
		})

		It("finds a lesson without a pristine starter", func() {
			kit := GinkgoT().TempDir()
			Expect(os.MkdirAll(filepath.Join(kit, "testdata", "starters"), 0o755)).To(Succeed())
			err := runCheck(verify.KitChecks(kit), "has a pristine starter in testdata/starters for every lesson in the kit, and no other")
			Expect(err).To(MatchError(ContainSubstring("it lacks 01-lost-update, 02-premature-free")), "racekit reset has nothing to restore those from")
		})
	})

	Describe("a Lesson", func() {
		var kit string
		var v *verify.Lesson
		lesson := course.InKit()[0]

		BeforeEach(func() {
			kit = GinkgoT().TempDir()
			for _, dir := range []string{"lessons", "solutions", filepath.Join("testdata", "starters")} {
				copyDir(kit, filepath.Join(dir, lesson.Dir()))
			}
			v = &verify.Lesson{Root: kit, Lesson: lesson, Runs: 1, MaxProcs: []int{1, 2, 8}}
		})

		It("names its repeated checks after its runs and GOMAXPROCS", func() {
			var names []string
			for _, c := range v.Checks() {
				names = append(names, c.Name)
			}
			Expect(names).To(ContainElements(
				"fails on the starter 4 runs out of 4 at GOMAXPROCS 1, 2 and 8 and pinned to one CPU, with -race",
				"passes on the solution 4 runs out of 4 at GOMAXPROCS 1, 2 and 8 and pinned to one CPU, without -race"),
				"racekit verify --runs and the kit's tests name the same checks")
		})

		It("says a spec that differs from the solution's, by file", func() {
			Expect(os.WriteFile(filepath.Join(lesson.SolutionDir(kit), "object_test.go"), []byte("package lostupdate_test\n"), 0o644)).To(Succeed())
			Expect(v.SpecsMatchSolution()).To(MatchError("verify: solutions/01-lost-update/object_test.go must be a byte-identical copy of lessons/01-lost-update/object_test.go, but it differs"))
		})

		It("says a pristine starter that lacks a file, or holds one that is not an exercise file", func() {
			Expect(os.Remove(filepath.Join(lesson.StarterDir(kit), "doc.go"))).To(Succeed())
			Expect(v.PristineStarter()).To(MatchError(ContainSubstring("lessons/01-lost-update has the exercise files doc.go, object.go, but testdata/starters/01-lost-update has object.go")))
			copyDir(kit, filepath.Join("testdata", "starters", lesson.Dir()))
			Expect(os.WriteFile(filepath.Join(lesson.StarterDir(kit), "notes.txt"), nil, 0o644)).To(Succeed())
			Expect(v.PristineStarter()).To(MatchError(ContainSubstring("testdata/starters/01-lost-update/notes.txt is not an exercise file")), "reset restores every file there")
		})

		It("says an empty HINTS.md", func() {
			Expect(os.WriteFile(filepath.Join(lesson.LessonDir(kit), "HINTS.md"), []byte("\n"), 0o644)).To(Succeed())
			Expect(v.Docs()).To(MatchError("verify: lessons/01-lost-update/HINTS.md is empty"))
		})

		It("refuses to run a binary before Prepare built it", func() {
			Expect(v.StarterFails(context.Background())).To(MatchError(ContainSubstring("call Prepare first")), "a check never runs a stale or missing binary")
		})
	})
})
