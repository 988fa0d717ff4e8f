package grade_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"slices"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/internal/course"
	"github.com/racekit/racekit/pkg/internal/grade"
)

// junitFile is the part of a JUnit XML file the specs read.
type junitFile struct {
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr"`
	Timestamp string      `xml:"timestamp,attr"`
	Cases     []junitCase `xml:"testcase"`
	// Properties are the suite's name=value pairs.
	Properties []struct {
		Name  string `xml:"name,attr"`
		Value string `xml:"value,attr"`
	} `xml:"properties>property"`
}

type junitCase struct {
	Name    string `xml:"name,attr"`
	Failure *struct {
		Message string `xml:"message,attr"`
		Text    string `xml:",chardata"`
	} `xml:"failure"`
	Error *struct {
		Message string `xml:"message,attr"`
		Text    string `xml:",chardata"`
	} `xml:"error"`
}

// Property returns the value of the suite's property name, or "".
func (s junitSuite) Property(name string) string {
	for _, p := range s.Properties {
		if p.Name == name {
			return p.Value
		}
	}
	return ""
}

// failed reports whether the test case has a failure or an error.
func (c junitCase) failed() bool { return c.Failure != nil || c.Error != nil }

var _ = Describe("writing a result", func() {
	lesson1, lesson2, lesson3 := course.Lessons[0], course.Lessons[1], course.Lessons[2]
	var r grade.Result

	BeforeEach(func(ctx SpecContext) {
		r = grade.Result{}
		r.Add(grade.Lesson{
			Slug: lesson1.Slug, Title: lesson1.Title, Status: grade.Pass, Score: 1, MaxScore: 1, Lesson: lesson1,
			Message: "all 1 specs passed under -race",
			Specs:   []grade.Spec{{Name: "Object counts", Status: grade.Pass}},
			Report: types.Report{SuiteDescription: lesson1.Dir(), SuiteSucceeded: true, SpecReports: types.SpecReports{
				{LeafNodeType: types.NodeTypeIt, LeafNodeText: "counts", State: types.SpecStatePassed},
			}},
		})
		r.Add(grade.Lesson{
			Slug: lesson2.Slug, Title: "Premature | free", Status: grade.Fail, MaxScore: 1, Lesson: lesson2,
			Message: "1 of 2 specs failed\nthe first: Object frees",
			Specs: []grade.Spec{
				{Name: "Object counts", Status: grade.Pass},
				{Name: "Object frees", Status: grade.Fail, Message: "premature free: foo was freed"},
			},
			Report: types.Report{SuiteDescription: lesson2.Dir(), SpecReports: types.SpecReports{
				{LeafNodeType: types.NodeTypeIt, LeafNodeText: "counts", State: types.SpecStatePassed},
				{LeafNodeType: types.NodeTypeIt, LeafNodeText: "frees", State: types.SpecStateFailed, Failure: types.Failure{Message: "premature free: foo was freed"}},
			}},
		})
		// A lesson that never ran, as the grader itself reports one: the
		// submission has no folder for it (which needs no compiling).
		kit, err := course.Root()
		Expect(err).NotTo(HaveOccurred(), "the specs run inside the kit")
		missing, err := grade.Grader{Kit: kit}.Lesson(ctx, GinkgoT().TempDir(), lesson3)
		Expect(err).NotTo(HaveOccurred(), "a missing lesson is a result, not an error of grading")
		Expect(missing.Status).To(Equal(grade.Error), "a lesson the submission does not have could not run")
		r.Add(missing)
	})

	Describe("WriteJSON", func() {
		It("writes exactly the keys of the documented schema", func() {
			var buf bytes.Buffer
			Expect(grade.WriteJSON(&buf, r)).To(Succeed(), "writing to memory cannot fail")
			var doc map[string]any
			Expect(json.Unmarshal(buf.Bytes(), &doc)).To(Succeed(), "WriteJSON writes one JSON object:\n%s", buf.String())

			Expect(keys(doc)).To(Equal([]string{"lessons", "max_points", "max_score", "points", "score", "status"}), "the top level has status, score, max_score, points, max_points and lessons, nothing more")
			Expect(doc).To(HaveKeyWithValue("status", "error"), "a lesson that could not run makes the whole result an error")
			Expect(doc).To(HaveKeyWithValue("score", BeNumerically("==", 1)))
			Expect(doc).To(HaveKeyWithValue("max_score", BeNumerically("==", 3)))
			Expect(doc).To(HaveKeyWithValue("points", BeNumerically("==", 1)), "unweighed, a lesson is worth one point")
			Expect(doc).To(HaveKeyWithValue("max_points", BeNumerically("==", 3)))

			lessons, ok := doc["lessons"].([]any)
			Expect(ok).To(BeTrue(), "lessons is a list")
			Expect(lessons).To(HaveLen(3), "one entry per lesson graded")
			for _, l := range lessons {
				lesson := l.(map[string]any)
				Expect(keys(lesson)).To(Equal([]string{"max_points", "max_score", "message", "points", "score", "slug", "specs", "status", "title"}),
					"a lesson has slug, title, status, score, max_score, points, max_points, message and specs; internals such as its report stay out")
				specs, ok := lesson["specs"].([]any)
				Expect(ok).To(BeTrue(), "specs is a list, never null, even for a lesson that never ran")
				Expect(specs).NotTo(BeEmpty(), "every lesson lists at least the spec that says why it did not pass")
				for _, s := range specs {
					Expect(keys(s.(map[string]any))).To(Equal([]string{"message", "name", "status"}), "a spec has name, status and message")
				}
			}
			second := lessons[1].(map[string]any)
			Expect(second).To(HaveKeyWithValue("slug", "premature-free"))
			Expect(second).To(HaveKeyWithValue("status", "fail"))
			Expect(second).To(HaveKeyWithValue("points", BeNumerically("==", 0)), "a failed lesson earns no points")
			Expect(second).To(HaveKeyWithValue("max_points", BeNumerically("==", 1)))
			Expect(second["specs"].([]any)[1]).To(HaveKeyWithValue("message", "premature free: foo was freed"))
		})
	})

	Describe("WriteJUnit", func() {
		read := func(r grade.Result) junitFile {
			GinkgoHelper()
			path := filepath.Join(GinkgoT().TempDir(), "junit.xml")
			Expect(grade.WriteJUnit(path, r)).To(Succeed(), "a result with lessons can be written")
			data, err := os.ReadFile(path)
			Expect(err).NotTo(HaveOccurred(), "WriteJUnit writes the file at path")
			var f junitFile
			Expect(xml.Unmarshal(data, &f)).To(Succeed(), "the file is XML:\n%s", data)
			return f
		}

		It("writes a test suite per lesson, named by its folder", func() {
			f := read(r)
			var names []string
			for _, s := range f.Suites {
				names = append(names, s.Name)
			}
			Expect(names).To(Equal([]string{"01-lost-update", "02-premature-free", "03-deadlock"}))
		})

		It("gives each suite its lesson's points as properties, and stays valid JUnit", func() {
			p, err := grade.ParsePoints("1=10,2=20,3=30")
			Expect(err).NotTo(HaveOccurred())
			f := read(r.Weigh(p))
			var got [][2]string
			for _, s := range f.Suites {
				got = append(got, [2]string{s.Property("points"), s.Property("max_points")})
			}
			Expect(got).To(Equal([][2]string{{"10", "10"}, {"0", "20"}, {"0", "30"}}), "each suite says what its lesson earned and was worth")
			Expect(f.Suites[1].Cases).NotTo(BeEmpty(), "the suites keep their test cases")
			Expect(f.Failures+f.Errors).To(Equal(2), "and their counts")
		})

		It("counts a failure or error for each lesson that did not pass, and none for the one that did", func() {
			f := read(r)
			Expect(f.Failures+f.Errors).To(Equal(2), "lessons 2 and 3 did not pass")
			Expect(f.Suites[0].Failures+f.Suites[0].Errors).To(Equal(0), "lesson 1 passed")
			Expect(f.Suites[1].Cases).To(ContainElement(And(HaveField("Name", ContainSubstring("frees")), WithTransform(junitCase.failed, BeTrue()))),
				"the failed spec is a failed test case")
		})

		It("shows a failing test case, with the reason, for a lesson that never ran", func() {
			f := read(r)
			third := f.Suites[2]
			Expect(third.Cases).To(ContainElement(WithTransform(junitCase.failed, BeTrue())),
				"a lesson with no report of its own must not read as an empty, passing suite")
			Expect(third.Failures + third.Errors).To(BeNumerically(">=", 1))
			var text string
			for _, c := range third.Cases {
				if c.Failure != nil {
					text += c.Failure.Message + c.Failure.Text
				}
				if c.Error != nil {
					text += c.Error.Message + c.Error.Text
				}
			}
			Expect(text).To(ContainSubstring("no lessons/03-deadlock folder"), "the test case says why")
			Expect(text).To(ContainSubstring("In [It] at: lessons/03-deadlock (found by racekit grade)"),
				"the failure is placed at the lesson, the way Ginkgo places one at a spec")
			Expect(text).NotTo(ContainSubstring("INVALID"), "the test case is shaped like one of Ginkgo's, not a zero value")
			Expect(third.Timestamp).NotTo(HavePrefix("0001-"), "the suite is stamped with the time it was graded, not the zero time")
		})

		It("counts a failure for a failed lesson made without a report, and leaves the result as it was", func() {
			var made grade.Result
			made.Add(grade.Lesson{Slug: lesson1.Slug, Title: lesson1.Title, Status: grade.Fail, MaxScore: 1, Lesson: lesson1, Message: "made by hand"})
			f := read(made)
			Expect(f.Suites).To(HaveLen(1), "one lesson, one test suite")
			Expect(f.Suites[0].Failures+f.Suites[0].Errors).To(Equal(1), "a failed lesson never reads as an empty, passing suite")
			Expect(made.Lessons[0].Report.SpecReports).To(BeEmpty(), "WriteJUnit writes r; it does not change it")
			Expect(made.Lessons[0].Specs).To(BeEmpty(), "nor its Specs")
		})

		It("refuses a result with no lessons", func() {
			Expect(grade.WriteJUnit(filepath.Join(GinkgoT().TempDir(), "junit.xml"), grade.Result{})).To(MatchError(ContainSubstring("no lessons")))
		})
	})

	Describe("WriteSummary", func() {
		It("writes a markdown table with a row per lesson, pipes escaped", func() {
			var buf bytes.Buffer
			Expect(grade.WriteSummary(&buf, r)).To(Succeed(), "writing to memory cannot fail")
			text := buf.String()
			Expect(text).To(HavePrefix("### racekit grade: error, 1 of 3 lessons, 1 of 3 points\n"), "the heading gives the status, the score and the points")

			var rows []string
			for _, line := range strings.Split(text, "\n") {
				if strings.HasPrefix(line, "| 0") {
					rows = append(rows, line)
				}
			}
			Expect(rows).To(HaveLen(3), "one row per lesson:\n%s", text)
			Expect(rows[0]).To(Equal("| 01-lost-update | Lost update | ✅ pass | 1/1 | all 1 specs passed under -race |"), "a row gives the folder, title, status, points and why")
			Expect(rows[1]).To(Equal(`| 02-premature-free | Premature \| free | ❌ fail | 0/1 | 1 of 2 specs failed |`),
				"a pipe in a cell is escaped so it does not split the row, and only the message's first line is shown")
			Expect(rows[2]).To(HavePrefix("| 03-deadlock | Deadlock | ⚠️ error | 0/1 | the submission has no lessons/03-deadlock folder"), "a lesson that could not run is an error row with its reason")
			Expect(text).To(ContainSubstring("| Lesson | Title | Status | Points | Why |\n|---|---|---|---|---|\n"), "the table has its header row")
		})

		It("shows the points each lesson earned and was worth once weighed", func() {
			p, err := grade.ParsePoints("1=10,2=20,3=30")
			Expect(err).NotTo(HaveOccurred())
			var buf bytes.Buffer
			Expect(grade.WriteSummary(&buf, r.Weigh(p))).To(Succeed(), "writing to memory cannot fail")
			text := buf.String()
			Expect(text).To(HavePrefix("### racekit grade: error, 1 of 3 lessons, 10 of 60 points\n"), "the heading adds the points")
			Expect(text).To(ContainSubstring("| 01-lost-update | Lost update | ✅ pass | 10/10 |"), "a lesson that passed earns all its points")
			Expect(text).To(ContainSubstring("| 02-premature-free | Premature \\| free | ❌ fail | 0/20 |"), "a lesson that failed earns none of them")
		})

		It("shows a message's HTML, markdown and control characters as text, never rendered", func() {
			l := r.Lessons[1]
			l.Message = "crashed: panic: \x1b[32mpass\x1b[0m <img src=\"https://example.com/x.png\"> **all passed** [more](https://example.com) ![i](x.png) `code` ~~no~~ :x: &amp;"
			var buf bytes.Buffer
			Expect(grade.WriteSummary(&buf, grade.Result{Lessons: []grade.Lesson{l}})).To(Succeed(), "writing to memory cannot fail")
			row := strings.Split(buf.String(), "\n")[4]
			Expect(row).To(HaveSuffix(`| crashed\: panic\: \x1b\[32mpass\x1b\[0m &lt;img src="https\://example.com/x.png"&gt; \*\*all passed\*\* \[more\]\(https\://example.com\) \!\[i\]\(x.png\) \`+"`"+`code\`+"`"+` \~\~no\~\~ \:x\: &amp;amp; |`),
				"a tag becomes entities, markdown is backslashed, and an escape character is written as \\x1b, so that a submission cannot draw a verdict, an image or a link in the job summary")
		})
	})
})

// keys returns m's keys, sorted.
func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
