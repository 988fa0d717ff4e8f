package grade_test

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/internal/course"
	"github.com/racekit/racekit/pkg/internal/grade"
)

var _ = Describe("a class", func() {
	Describe("ClassFolders", func() {
		It("lists the learner folders by name, and says what else it left out and why", func() {
			dir := GinkgoT().TempDir()
			for _, d := range []string{"zoe/lessons", "amir/lessons", "kim", ".git", "_old"} {
				Expect(os.MkdirAll(filepath.Join(dir, d), 0o755)).To(Succeed())
			}
			Expect(os.WriteFile(filepath.Join(dir, "roster.csv"), nil, 0o644)).To(Succeed())
			Expect(os.Symlink(filepath.Join(dir, "zoe"), filepath.Join(dir, "zoe2"))).To(Succeed())

			learners, skipped, err := grade.ClassFolders(dir)
			Expect(err).NotTo(HaveOccurred())
			Expect(learners).To(Equal([]string{"amir", "kim", "zoe"}), "every plain folder but hidden ones, sorted")
			Expect(skipped).To(ConsistOf(
				"kim: no lessons/ folder (is it a racekit checkout?); every lesson is graded an error",
				"roster.csv: not a folder",
				"zoe2: a link, not a folder; copy or clone the learner's checkout into the class folder"))
		})

		It("is an error for a folder with no learner in it", func() {
			_, _, err := grade.ClassFolders(GinkgoT().TempDir())
			Expect(err).To(MatchError(ContainSubstring("holds no learner folder")))
		})
	})

	Describe("the class reports", func() {
		lessons := course.InKit()[:2]
		result := func(statuses ...grade.Status) grade.Result {
			var r grade.Result
			for i, s := range statuses {
				r.Add(grade.Lesson{Slug: lessons[i].Slug, Lesson: lessons[i], Status: s, MaxScore: 1, Score: map[grade.Status]int{grade.Pass: 1}[s]})
			}
			return r
		}
		c := grade.Class{Lessons: lessons, Learners: []grade.Learner{
			{Name: "ana", Result: result(grade.Pass, grade.Fail)},
			{Name: "=HYPERLINK(\"http://x\")", Result: result(grade.Error, grade.Pass)},
			{Name: "b|o*b", Result: result(grade.Pass, grade.Pass)},
		}, Built: 5, Reused: 1}

		It("writes the CSV a spreadsheet reads, with no learner's name taken for a formula", func() {
			var b bytes.Buffer
			Expect(grade.WriteClassCSV(&b, c)).To(Succeed())
			rows, err := csv.NewReader(&b).ReadAll()
			Expect(err).NotTo(HaveOccurred())
			Expect(rows).To(Equal([][]string{
				{"learner", "01-lost-update", "02-premature-free", "score", "max_score", "points", "max_points"},
				{"ana", "pass", "fail", "1", "2", "1", "2"},
				{`'=HYPERLINK("http://x")`, "error", "pass", "1", "2", "1", "2"},
				{"b|o*b", "pass", "pass", "2", "2", "2", "2"},
			}), "a name that starts like a formula gets a ' before it")
		})

		It("writes a markdown table whose names cannot break its cells", func() {
			var b bytes.Buffer
			Expect(grade.WriteClassMarkdown(&b, c)).To(Succeed())
			Expect(b.String()).To(And(
				ContainSubstring("| ana | ✅ pass | ❌ fail | 1/2 | 1/2 |"),
				ContainSubstring(`| b\|o\*b | ✅ pass | ✅ pass | 2/2 | 2/2 |`),
				ContainSubstring("| passed | 2 | 2 | | |"),
				ContainSubstring("Lessons built and run: 5; the same code as one graded before, that verdict reused: 1")))
		})
	})
})
