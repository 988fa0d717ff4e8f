package verify_test

import (
	"encoding/json"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/internal/course"
	"github.com/racekit/racekit/pkg/internal/verify"
)

var lostUpdate, _ = course.Find("01")

var _ = Describe("ParseExpect", func() {
	It("reads the comment, the result and the outputs", func() {
		about, pass, out, race, err := verify.ParseExpect("# lock only IncRef\nresult: fail\noutput: lost update\n\noutput: DecRef\n")
		Expect(err).NotTo(HaveOccurred())
		Expect(about).To(Equal("lock only IncRef"))
		Expect(pass).To(BeFalse())
		Expect(out).To(Equal([]string{"lost update", "DecRef"}))
		Expect(race).To(BeFalse(), "a wrong fix is built without -race unless it says so")
	})

	It("reads race: yes, for a wrong fix only the race detector rejects", func() {
		_, _, _, race, err := verify.ParseExpect("result: fail\nrace: yes\noutput: DATA RACE\n")
		Expect(err).NotTo(HaveOccurred())
		Expect(race).To(BeTrue())
	})

	When("the file is malformed", func() {
		DescribeTable("names the line and the problem",
			func(text, want string) {
				_, _, _, _, err := verify.ParseExpect(text)
				Expect(err).To(MatchError(ContainSubstring(want)))
			},
			Entry("no result", "# x\noutput: y\n", `no "result: pass|fail" line`),
			Entry("a bad result", "result: maybe\n", `line 1: result must be pass or fail, got "maybe"`),
			Entry("a result twice", "result: pass\nresult: fail\n", "line 2: result given twice"),
			Entry("an unknown key", "result: pass\nwant: x\n", `line 2: unknown key "want"`),
			Entry("a line without a key", "result: pass\nhello\n", `line 2: want "result: pass|fail"`),
			Entry("an empty output", "result: fail\noutput:\n", "line 2: output needs the text"),
			Entry("a bad race", "result: fail\nrace: maybe\n", `line 2: race must be yes or no, got "maybe"`),
		)
	})
})

var _ = Describe("FailsForItsReason", func() {
	good := "[FAILED] lost update: two threads... Next: HINTS.md, hint 1.\n  1. A  IncRef  reads foo.refcount -> 1, writes 2\n  replay this schedule: A*3 B*3 A B A B\nFAIL\n"

	It("accepts a failure that names the concept, the interleaving, the schedule and the hints", func() {
		Expect(verify.FailsForItsReason(lostUpdate, 1, good)).To(Succeed())
	})

	It("rejects a run that passed", func() {
		Expect(verify.FailsForItsReason(lostUpdate, 0, good)).To(MatchError(ContainSubstring("a non-zero exit status (it passed)")))
	})

	It("rejects a failure that does not teach", func() {
		err := verify.FailsForItsReason(lostUpdate, 1, "--- FAIL: TestLostUpdate\nexpected 1, got 2\n")
		Expect(err).To(MatchError(ContainSubstring(`the concept phrase "lost update"`)))
		Expect(err).To(MatchError(ContainSubstring("a numbered interleaving")))
		Expect(err).To(MatchError(ContainSubstring("a pointer to HINTS.md")))
	})

	It("rejects a build failure", func() {
		err := verify.FailsForItsReason(lostUpdate, 1, "# github.com/racekit/racekit/lessons/01-lost-update [github.com/racekit/racekit/lessons/01-lost-update.test]\n./object.go:3:1: syntax error\nFAIL\n")
		Expect(err).To(MatchError(ContainSubstring("failed to build")))
	})
})

var _ = Describe("Passed", func() {
	It("accepts a run where every spec ran and passed", func() {
		Expect(verify.Passed(0, "Ran 7 of 7 Specs in 0.1 seconds\nSUCCESS!\nPASS\n")).To(Succeed())
	})
	It("rejects an exit status of zero with no specs run (an early exit)", func() {
		Expect(verify.Passed(0, "PASS\n")).To(MatchError(ContainSubstring("did not report running any specs")))
	})
	It("rejects skipped specs", func() {
		Expect(verify.Passed(0, "Ran 3 of 7 Specs in 0.1 seconds\n")).To(MatchError("only 3 of 7 specs ran"))
	})
	It("rejects a data race report", func() {
		Expect(verify.Passed(0, "WARNING: DATA RACE\nRan 7 of 7 Specs\n")).To(MatchError(ContainSubstring("data race")))
	})
})

var _ = Describe("course.Find", func() {
	It("finds a lesson by number, slug or folder", func() {
		for _, arg := range []string{"1", "01", "lost-update", "01-lost-update", "lessons/01-lost-update/"} {
			l, err := course.Find(arg)
			Expect(err).NotTo(HaveOccurred(), arg)
			Expect(l.Slug).To(Equal("lost-update"), arg)
		}
	})
	It("lists the valid lessons for an unknown one", func() {
		_, err := course.Find("lost-updates")
		Expect(err).To(MatchError(ContainSubstring(`course: no lesson "lost-updates"; the lessons are: 1 or lost-update, 2 or premature-free`)))
	})
})

var _ = Describe("ShowsRealOutput", func() {
	readme := "# Lesson\n\nProse with a list:\n\n1. `A` starts: not a trace line\n\n```\n  1. A  IncRef  reads foo.refcount -> 1, writes 2\n  2. B  IncRef  reads foo.refcount -> 2, writes 3\n```\n"

	It("accepts a README whose quoted trace lines the starter prints, whatever the spacing", func() {
		out := "[FAILED] lost update\n    1. A  IncRef  reads foo.refcount -> 1, writes 2\n    2. B  IncRef  reads foo.refcount -> 2, writes 3\n"
		Expect(verify.ShowsRealOutput(readme, out)).To(Succeed())
	})
	It("names a quoted line the starter no longer prints", func() {
		out := "    1. A  IncRef  reads foo.refcount -> 1, writes 2\n"
		Expect(verify.ShowsRealOutput(readme, out)).To(MatchError(ContainSubstring("2. B IncRef reads foo.refcount -> 2, writes 3")))
	})
	It("rejects a README that quotes no trace", func() {
		Expect(verify.ShowsRealOutput("# Lesson\n", "")).To(MatchError(ContainSubstring("quotes no numbered trace lines")))
	})
})

var _ = Describe("WriteOverlay", func() {
	It("makes each fixture's folder the lesson's package with the fixture's files over the starter's", func() {
		kit := GinkgoT().TempDir()
		lesson := lostUpdate.LessonDir(kit)
		fixture := filepath.Join(lostUpdate.FixturesDir(kit), "lock-incref-only")
		for _, dir := range []string{lesson, fixture} {
			Expect(os.MkdirAll(dir, 0o755)).To(Succeed())
		}
		for _, name := range []string{"doc.go", "object.go", "object_test.go", "README.md"} {
			Expect(os.WriteFile(filepath.Join(lesson, name), []byte(name), 0o644)).To(Succeed())
		}
		Expect(os.WriteFile(filepath.Join(fixture, "object.go"), []byte("fixed"), 0o644)).To(Succeed())
		Expect(os.WriteFile(filepath.Join(fixture, verify.ExpectFile), []byte("result: fail\n"), 0o644)).To(Succeed())

		fixtures, err := verify.Fixtures(kit, lostUpdate)
		Expect(err).NotTo(HaveOccurred())
		Expect(fixtures).To(HaveLen(1))
		Expect(fixtures[0].Package(kit)).To(Equal("./testdata/fixtures/01-lost-update/lock-incref-only"), "the folder is the package go test builds")

		path := filepath.Join(kit, "overlay.json")
		Expect(verify.WriteOverlay(kit, path, fixtures)).To(Succeed())
		data, err := os.ReadFile(path)
		Expect(err).NotTo(HaveOccurred())
		var overlay struct{ Replace map[string]string }
		Expect(json.Unmarshal(data, &overlay)).To(Succeed())
		Expect(overlay.Replace).To(Equal(map[string]string{
			filepath.Join(fixture, "doc.go"):         filepath.Join(lesson, "doc.go"),
			filepath.Join(fixture, "object_test.go"): filepath.Join(lesson, "object_test.go"),
			filepath.Join(fixture, "README.md"):      filepath.Join(lesson, "README.md"),
		}), "every file of the lesson the fixture does not replace, and nothing over the fixture's own files")
	})
})
