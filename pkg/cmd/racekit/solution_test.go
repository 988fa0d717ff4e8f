package main_test

import (
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/internal/course"
)

var _ = Describe("racekit solution", func() {
	var kit string
	lesson := course.Lessons[0]
	BeforeEach(func() { kit = tempKit() })

	// the diff of the untouched starter's object.go against the solution's
	// starts with these lines.
	const header = "--- lessons/01-lost-update/object.go\n+++ solutions/01-lost-update/object.go\n@@ "

	When("the lesson has not passed", func() {
		It("refuses without --force, naming check and --force, and shows the diff with it", func() {
			for _, checks := range []map[int]bool{{}, {1: false}} {
				record(kit, checks)
				r := run(kit, "solution", "1")
				Expect(r.code).To(Equal(1), "a refusal exits 1")
				Expect(r.out).To(BeEmpty(), "no part of the solution is shown")
				Expect(r.err).To(And(
					ContainSubstring("go run ./pkg/cmd/racekit check 1"),
					ContainSubstring("go run ./pkg/cmd/racekit solution 1 --force")),
					"the learner is told how to pass, and how to see the solution anyway")
			}

			before := snapshot(filepath.Join(kit, "lessons"))
			for _, args := range [][]string{{"solution", "1", "--force"}, {"solution", "--force", "lost-update"}} {
				r := run(kit, args...)
				Expect(r.code).To(Equal(0), "%v: %s", args, r.err)
				Expect(r.out).To(ContainSubstring(header), "%v shows object.go as a unified diff from the learner's file to the solution's", args)
				Expect(r.out).To(ContainSubstring("\n+\tmu "), "the diff adds the solution's mutex")
				Expect(r.out).NotTo(ContainSubstring(escapeCode), "output that is not a terminal has no colour codes")
			}
			Expect(snapshot(filepath.Join(kit, "lessons"))).To(Equal(before), "solution writes nothing")
		})
	})

	When("the lesson passed", func() {
		It("shows the diff without --force, with files only on one side and identical ones named", func() {
			record(kit, map[int]bool{1: true})
			solved, err := os.ReadFile(filepath.Join(lesson.SolutionDir(kit), "object.go"))
			Expect(err).NotTo(HaveOccurred())
			Expect(os.WriteFile(lessonFile(kit, 1, "object.go"), solved, 0o644)).To(Succeed())
			Expect(os.WriteFile(lessonFile(kit, 1, "helper.go"), []byte("package lostupdate\n"), 0o644)).To(Succeed())
			Expect(os.Remove(lessonFile(kit, 1, "doc.go"))).To(Succeed())

			r := run(kit, "solution", "1")
			Expect(r.code).To(Equal(0), r.err)
			Expect(r.out).To(ContainSubstring("\nobject.go: same as yours\n"), "an identical file gets no diff")
			Expect(r.out).NotTo(ContainSubstring(header), "and no diff header")
			Expect(r.out).To(ContainSubstring("helper.go: only in your lesson; the solution has no such file\n--- lessons/01-lost-update/helper.go\n+++ /dev/null\n"),
				"a file of the learner's own is shown as removed")
			Expect(r.out).To(ContainSubstring("\n-package lostupdate\n"))
			Expect(r.out).To(ContainSubstring("doc.go: only in the solution\n--- /dev/null\n+++ solutions/01-lost-update/doc.go\n"),
				"a file the learner lacks is shown as added")
			Expect(r.out).NotTo(ContainSubstring("object_test.go"), "specs are the same on both sides by design, and not shown")
		})
	})

	When("it writes to a terminal", func() {
		It("colours + lines green and - lines red, unless NO_COLOR is set", func() {
			out := onTerminal(kit, nil, "solution", "1", "--force")
			Expect(out).To(ContainSubstring("\x1b[32m+\tmu "), "added lines are green")
			Expect(out).To(MatchRegexp(`\x1b\[31m-[^-]`), "removed lines are red")
			Expect(onTerminal(kit, []string{"NO_COLOR=1"}, "solution", "1", "--force")).NotTo(ContainSubstring(escapeCode), "NO_COLOR turns colour off")
		})
	})

	It("lists the lessons for an unknown one, and needs one", func() {
		r := run(kit, "solution", "no-such-lesson", "--force")
		Expect(r.code).To(Equal(2), "a lesson the kit does not have is bad usage")
		Expect(r.err).To(ContainSubstring("1 or lost-update, 2 or premature-free"), "the learner sees the lessons there are")
		r = run(kit, "solution")
		Expect(r.code).To(Equal(2), "solution needs a lesson")
	})
})
