package grade_test

import (
	"bytes"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/internal/course"
	"github.com/racekit/racekit/pkg/internal/grade"
)

var _ = Describe("points", func() {
	// sixLessons is a made-up grade of the first six lessons: four pass,
	// one fails and one could not run.
	sixLessons := func() grade.Result {
		var r grade.Result
		for i, st := range []grade.Status{grade.Pass, grade.Pass, grade.Fail, grade.Pass, grade.Pass, grade.Error} {
			l := course.Lessons[i]
			score := map[bool]int{true: 1}[st == grade.Pass]
			r.Add(grade.Lesson{Slug: l.Slug, Title: l.Title, Status: st, Score: score, MaxScore: 1, Lesson: l})
		}
		return r
	}
	const weights = "1=10, premature-free=10, 03-deadlock=20, 4=20, 5=15, 6=25"

	Describe("ParsePoints", func() {
		It("reads lesson=points, a lesson named by number, slug or folder", func() {
			p, err := grade.ParsePoints(weights)
			Expect(err).NotTo(HaveOccurred(), "every entry names a lesson and a whole number of points")
			Expect(p).To(Equal(grade.Points{
				"lost-update": 10, "premature-free": 10, "deadlock": 20,
				course.Lessons[3].Slug: 20, course.Lessons[4].Slug: 15, course.Lessons[5].Slug: 25,
			}), "each lesson's points are kept under its slug")
		})

		DescribeTable("refuses what is not a table of points, quoting the entry",
			func(list, want string) {
				_, err := grade.ParsePoints(list)
				Expect(err).To(MatchError(ContainSubstring(want)), "ParsePoints(%q) says what is wrong", list)
			},
			Entry("an entry with no =", "1=10,2", `"2" is not lesson=points (e.g. 1=10)`),
			Entry("points that are no number", "1=ten", `"1=ten": a lesson's points must be a whole number from 1 to 10000, got "ten"`),
			Entry("no points", "1=0", `got "0"`),
			Entry("negative points", "1=-5", `got "-5"`),
			Entry("fractional points", "1=2.5", `got "2.5"`),
			Entry("too many points", "1=10001", `got "10001"`),
			Entry("a lesson that does not exist", "12=10", `"12=10": course: no lesson "12"`),
			Entry("a lesson named twice", "1=10,lost-update=5", `"lost-update=5": lesson 01-lost-update is given points twice`),
			Entry("an empty entry", "1=10,,2=10", "empty entry"),
		)
	})

	Describe("ReadPoints", func() {
		It("reads a line per lesson, skipping blank lines and comments", func() {
			p, err := grade.ReadPoints(strings.NewReader("# racekit, autumn term\n\n1 = 10   # the warm-up\n  deadlock=20\n#4 = 99\n"))
			Expect(err).NotTo(HaveOccurred(), "the file is well formed")
			Expect(p).To(Equal(grade.Points{"lost-update": 10, "deadlock": 20}), "a commented-out line gives no points")
		})

		It("names the line of a mistake", func() {
			_, err := grade.ReadPoints(strings.NewReader("1 = 10\n\n3: 20\n"))
			Expect(err).To(MatchError(`grade: line 3: "3: 20" is not lesson=points (e.g. 1=10)`), "the error says where and what")
		})

		It("refuses a file with no points in it", func() {
			_, err := grade.ReadPoints(strings.NewReader("# nothing yet\n"))
			Expect(err).To(MatchError(ContainSubstring("no points")), "an empty table is a mistake, not a grade worth nothing")
		})
	})

	Describe("Result.Weigh", func() {
		It("makes each lesson worth its points, earned in full only when it passed", func() {
			p, err := grade.ParsePoints(weights)
			Expect(err).NotTo(HaveOccurred())
			r := sixLessons()
			w := r.Weigh(p)
			var earned, worth []int
			for _, l := range w.Lessons {
				earned, worth = append(earned, l.Points), append(worth, l.MaxPoints)
			}
			Expect(worth).To(Equal([]int{10, 10, 20, 20, 15, 25}), "each lesson is worth what the table gives it")
			Expect(earned).To(Equal([]int{10, 10, 0, 20, 15, 0}), "a lesson that failed or could not run earns nothing")
			Expect([]int{w.Points, w.MaxPoints}).To(Equal([]int{55, 100}), "the totals add the lessons' points")
			Expect([]int{w.Score, w.MaxScore}).To(Equal([]int{4, 6}), "score still counts lessons")
			Expect(w.Status).To(Equal(grade.Error), "weighing does not change the verdict")
			Expect([]int{r.Points, r.MaxPoints}).To(Equal([]int{4, 6}), "Weigh leaves r as it was: one point a lesson")
		})
	})

	Describe("WriteClassroomNotices", func() {
		It("writes Classroom's two notices for 4 of 6 lessons passed, weighed, exactly as its reporter does", func() {
			p, err := grade.ParsePoints(weights)
			Expect(err).NotTo(HaveOccurred())
			var buf bytes.Buffer
			Expect(grade.WriteClassroomNotices(&buf, sixLessons().Weigh(p))).To(Succeed(), "writing to memory cannot fail")
			Expect(buf.String()).To(Equal(
				"::notice title=Autograding complete::Points 55/100\n"+
					"::notice title=Autograding report::{\"totalPoints\":55,\"maxPoints\":100}\n"),
				"the reporter's core.notice(`Points ${totalPoints}/${maxPoints}`, {title: \"Autograding complete\"}), then core.notice(JSON.stringify({totalPoints, maxPoints}), {title: \"Autograding report\"})")
		})

		It("counts a point a lesson when the lessons were not weighed", func() {
			var buf bytes.Buffer
			Expect(grade.WriteClassroomNotices(&buf, sixLessons())).To(Succeed())
			Expect(buf.String()).To(HavePrefix("::notice title=Autograding complete::Points 4/6\n"), "every lesson is worth one point by default")
		})

		It("writes nothing for a result worth no points, as the reporter writes nothing", func() {
			var buf bytes.Buffer
			Expect(grade.WriteClassroomNotices(&buf, grade.Result{})).To(Succeed())
			Expect(buf.String()).To(BeEmpty(), "the reporter returns before its notices when maxPoints is 0")
		})
	})
})
