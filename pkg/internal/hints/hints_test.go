package hints_test

import (
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/internal/course"
	"github.com/racekit/racekit/pkg/internal/hints"
)

// lines joins its arguments into a file, one a line.
func lines(ls ...string) []byte { return []byte(strings.Join(ls, "\n") + "\n") }

var _ = Describe("Parse", func() {
	When("the file has a title, an intro and numbered hints", func() {
		It("returns the hints in order, with their bodies and heading lines", func() {
			hs, err := hints.Parse("HINTS.md", lines(
				"# Hints for lesson 09",
				"",
				"Read one at a time.",
				"",
				"## Hint 1",
				"",
				"First.",
				"",
				"## Hint 2",
				"Second, line one.",
				"",
				"Second, line two.",
				"",
				"",
			))
			Expect(err).NotTo(HaveOccurred())
			Expect(hs).To(Equal([]hints.Hint{
				{Number: 1, Line: 5, Body: "First."},
				{Number: 2, Line: 9, Body: "Second, line one.\n\nSecond, line two."},
			}), "the title and intro are not a hint, and a body loses only its surrounding blank lines")
		})
	})

	When("a hint holds a code block with a line that looks like a heading", func() {
		It("keeps the line in the hint's body", func() {
			hs, err := hints.Parse("HINTS.md", lines(
				"## Hint 1",
				"```python",
				"## Hint 7 is a Python comment here",
				"```",
				"~~~",
				"## Not a heading either",
				"~~~",
			))
			Expect(err).NotTo(HaveOccurred(), "headings inside code fences are code")
			Expect(hs).To(HaveLen(1))
			Expect(hs[0].Body).To(ContainSubstring("## Hint 7 is a Python comment here"), "the fenced line belongs to hint 1")
			Expect(hs[0].Body).To(ContainSubstring("## Not a heading either"), "~~~ fences count too")
		})
	})

	When("a hint has deeper headings", func() {
		It("keeps them in the body", func() {
			hs, err := hints.Parse("HINTS.md", lines("## Hint 1", "### A detail", "text"))
			Expect(err).NotTo(HaveOccurred())
			Expect(hs[0].Body).To(Equal("### A detail\ntext"), "only second-level headings start a hint")
		})
	})

	When("the file has Windows line endings", func() {
		It("reads it like any other", func() {
			hs, err := hints.Parse("HINTS.md", []byte("## Hint 1\r\none\r\n## Hint 2\r\ntwo\r\n"))
			Expect(err).NotTo(HaveOccurred())
			Expect(hs).To(Equal([]hints.Hint{{1, 1, "one"}, {2, 3, "two"}}), "a \\r is not part of a line")
		})
	})

	DescribeTable("rejects a file it cannot show hint by hint, naming the file and the line",
		func(text []byte, want string) {
			_, err := hints.Parse("lessons/09-x/HINTS.md", text)
			Expect(err).To(MatchError(want), "the author needs to know which line to fix")
		},
		Entry("no hints at all", lines("# Hints", "", "Nothing here yet."),
			`hints: lessons/09-x/HINTS.md has no hints; start each with a "## Hint 1", "## Hint 2" ... heading`),
		Entry("an empty file", []byte{},
			`hints: lessons/09-x/HINTS.md has no hints; start each with a "## Hint 1", "## Hint 2" ... heading`),
		Entry("numbers out of order", lines("## Hint 1", "a", "## Hint 3", "c"),
			`hints: lessons/09-x/HINTS.md line 3: hint 3 comes where hint 2 should; number the hints 1, 2, 3 in order`),
		Entry("a first hint that is not 1", lines("# T", "## Hint 2", "b"),
			`hints: lessons/09-x/HINTS.md line 2: hint 2 comes where hint 1 should; number the hints 1, 2, 3 in order`),
		Entry("a repeated number", lines("## Hint 1", "a", "## Hint 1", "b"),
			`hints: lessons/09-x/HINTS.md line 3: hint 1 comes where hint 2 should; number the hints 1, 2, 3 in order`),
		Entry("a hint without a number", lines("## Hint 1", "a", "## Hint two", "b"),
			`hints: lessons/09-x/HINTS.md line 3: "## Hint two" does not number its hint; write "## Hint 2"`),
		Entry("another second-level heading", lines("## Hint 1", "a", "## Notes", "b"),
			`hints: lessons/09-x/HINTS.md line 3: "## Notes" is not a hint heading; every second-level heading must read "## Hint 2"`),
		Entry("an empty hint", lines("## Hint 1", "", "## Hint 2", "b"),
			`hints: lessons/09-x/HINTS.md line 1: hint 1 is empty; write the hint below its heading`),
		Entry("an empty last hint", lines("## Hint 1", "a", "## Hint 2", "   "),
			`hints: lessons/09-x/HINTS.md line 3: hint 2 is empty; write the hint below its heading`),
	)
})

var _ = Describe("Load", func() {
	It("names a missing file", func() {
		_, err := hints.Load(filepath.Join(GinkgoT().TempDir(), "HINTS.md"))
		Expect(err).To(MatchError(ContainSubstring("hints: open ")), "the error says which file it could not open")
		Expect(err).To(MatchError(ContainSubstring("HINTS.md")))
	})

	It("reads every HINTS.md in the kit", func() {
		root, err := course.Root()
		Expect(err).NotTo(HaveOccurred())
		for _, l := range course.InKit() {
			hs, err := hints.Load(filepath.Join(l.LessonDir(root), hints.FileName))
			Expect(err).NotTo(HaveOccurred(), "racekit hint must be able to show lesson %s's hints", l.Dir())
			Expect(len(hs)).To(BeNumerically(">=", 2), "lesson %s's hints reveal more step by step", l.Dir())
		}
	})

	It("reads a file by path and names it in errors", func() {
		path := filepath.Join(GinkgoT().TempDir(), "HINTS.md")
		Expect(os.WriteFile(path, lines("# T", "## Hint 2", "b"), 0o644)).To(Succeed())
		_, err := hints.Load(path)
		Expect(err).To(MatchError(ContainSubstring(path+" line 2:")), "Load passes the path to Parse")
	})
})
