package main_test

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"go.yaml.in/yaml/v3"

	"github.com/racekit/racekit/pkg/course"
)

var _ = Describe("racekit grade", func() {
	// solvedSubmission writes a submission whose lessons 1 and 2 are the
	// kit's solutions, and returns its root.
	solvedSubmission := func() string {
		sub := GinkgoT().TempDir()
		for _, n := range []int{1, 2} {
			l := course.Lessons[n-1]
			Expect(copyTree(l.SolutionDir(kitRoot), l.LessonDir(sub))).To(Succeed())
		}
		return sub
	}

	When("a lesson fails", func() {
		It("exits with status 1 and writes JSON, JUnit and the job summary table", func() {
			out := GinkgoT().TempDir()
			jsonPath, junitPath, summary := filepath.Join(out, "grade.json"), filepath.Join(out, "junit.xml"), filepath.Join(out, "summary.md")
			s := racekitEnv(kitRoot, []string{"GITHUB_STEP_SUMMARY=" + summary},
				"grade", "--submission", solvedSubmission(), "--lessons", "1,3", "--json", jsonPath, "--junit", junitPath)
			Expect(finish(s, 3*time.Minute)).To(Equal(1), "any failed lesson makes grade exit with status 1")

			var result struct {
				Status   string `json:"status"`
				Score    int    `json:"score"`
				MaxScore int    `json:"max_score"`
				Lessons  []struct {
					Slug, Title, Status, Message string
					Score                        int `json:"score"`
					MaxScore                     int `json:"max_score"`
					Specs                        []struct{ Name, Status, Message string }
				} `json:"lessons"`
			}
			data, err := os.ReadFile(jsonPath)
			Expect(err).NotTo(HaveOccurred())
			Expect(json.Unmarshal(data, &result)).To(Succeed())
			Expect(result.Status).To(Equal("error"), "lesson 3 is missing from the submission, which is worse than a failure")
			Expect(result.Score).To(Equal(1))
			Expect(result.MaxScore).To(Equal(2))
			Expect(result.Lessons).To(HaveLen(2))
			Expect(result.Lessons[0].Slug).To(Equal("lost-update"))
			Expect(result.Lessons[0].Status).To(Equal("pass"))
			Expect(result.Lessons[0].Specs).NotTo(BeEmpty(), "every spec of a lesson is listed")
			Expect(result.Lessons[1].Status).To(Equal("error"))
			Expect(result.Lessons[1].Message).To(ContainSubstring("no lessons/03-deadlock folder"))

			var junit struct {
				Failures int `xml:"failures,attr"`
				Errors   int `xml:"errors,attr"`
				Suites   []struct {
					Name string `xml:"name,attr"`
				} `xml:"testsuite"`
			}
			data, err = os.ReadFile(junitPath)
			Expect(err).NotTo(HaveOccurred())
			Expect(xml.Unmarshal(data, &junit)).To(Succeed(), "the JUnit file is XML")
			Expect(junit.Suites).To(HaveLen(2), "one JUnit suite per lesson")
			Expect(junit.Failures).To(Equal(0), "lesson 1 passed, and lesson 3 did not fail: it could not run")
			Expect(junit.Errors).To(Equal(1), "a lesson that could not run counts as an error, never as an empty passing suite")

			md, err := os.ReadFile(summary)
			Expect(err).NotTo(HaveOccurred())
			Expect(string(md)).To(And(ContainSubstring("| 01-lost-update |"), ContainSubstring("| 03-deadlock |")), "the summary is a markdown table, a row per lesson")
		})
	})

	When("every lesson graded passes", func() {
		It("exits with status 0 and leaves the submission's files byte-for-byte unchanged", func() {
			sub := solvedSubmission()
			before := snapshot(sub)
			s := racekit(kitRoot, "grade", "--submission", sub, "--lessons", "lost-update,2")
			Expect(finish(s, 3*time.Minute)).To(Equal(0))
			Expect(string(s.Out.Contents())).To(ContainSubstring("score: 2 of 2 lessons passed (pass)"))
			Expect(snapshot(sub)).To(Equal(before), "grading never writes to the submission")
		})
	})

	When("a lesson is named more than once", func() {
		It("grades it once", func() {
			jsonPath := filepath.Join(GinkgoT().TempDir(), "grade.json")
			s := racekit(kitRoot, "grade", "--submission", solvedSubmission(), "--lessons", "3, deadlock,03-deadlock,3", "--json", jsonPath)
			Expect(finish(s, time.Minute)).To(Equal(1), "lesson 3 is missing from the submission")
			Expect(string(s.Out.Contents())).To(ContainSubstring("grading 1 lesson of"), "four names of one lesson are one lesson")
			var result struct {
				MaxScore int               `json:"max_score"`
				Lessons  []json.RawMessage `json:"lessons"`
			}
			data, err := os.ReadFile(jsonPath)
			Expect(err).NotTo(HaveOccurred())
			Expect(json.Unmarshal(data, &result)).To(Succeed())
			Expect(result.Lessons).To(HaveLen(1), "the report lists the lesson once")
			Expect(result.MaxScore).To(Equal(1), "and counts it once towards the score")
		})
	})

	When("grading cannot be done after the reports were found writable", func() {
		It("exits with status 2 and leaves an old report as it was and no new empty one", func() {
			// A kit whose specs for lesson 1 are gone: grade finds out only
			// when it grades the lesson, after trying the report paths.
			kit := tempKit()
			specs, err := filepath.Glob(filepath.Join(course.Lessons[0].SolutionDir(kit), "*_test.go"))
			Expect(err).NotTo(HaveOccurred())
			Expect(specs).NotTo(BeEmpty())
			for _, f := range specs {
				Expect(os.Remove(f)).To(Succeed())
			}
			out := GinkgoT().TempDir()
			jsonPath, junitPath := filepath.Join(out, "grade.json"), filepath.Join(out, "junit.xml")
			const old = `{"status": "pass", "note": "last week's grade"}`
			Expect(os.WriteFile(jsonPath, []byte(old), 0o644)).To(Succeed())

			s := racekit(kit, "grade", "--lessons", "1", "--json", jsonPath, "--junit", junitPath)
			Expect(finish(s, time.Minute)).To(Equal(2), "a kit with no specs cannot grade at all")
			Expect(string(s.Err.Contents())).To(ContainSubstring("has no specs"), "the error says why")
			data, err := os.ReadFile(jsonPath)
			Expect(err).NotTo(HaveOccurred())
			Expect(string(data)).To(Equal(old), "trying whether the report can be written must not empty the report that is there")
			Expect(junitPath).NotTo(BeAnExistingFile(), "a report that did not exist before is not left behind empty")
		})
	})

	When("the job summary cannot be written", func() {
		It("exits with status 2 and says why", func() {
			if _, err := os.Stat("/dev/full"); err != nil {
				Skip("no /dev/full here to make a write fail")
			}
			s := racekitEnv(kitRoot, []string{"GITHUB_STEP_SUMMARY=/dev/full"}, "grade", "--submission", solvedSubmission(), "--lessons", "3")
			Expect(finish(s, time.Minute)).To(Equal(2), "a summary that was asked for and not written is an error of grading, not of the submission")
			Expect(string(s.Err.Contents())).To(And(ContainSubstring("GITHUB_STEP_SUMMARY"), ContainSubstring("no space left on device")), "the error names the summary and what went wrong")
			Expect(string(s.Err.Contents())).NotTo(ContainSubstring("<nil>"), "the error is never a nil one")
		})
	})

	When("a lesson's message carries terminal escapes", func() {
		It("prints them escaped, so that they cannot redraw the lesson's line as a pass", func() {
			sub := solvedSubmission()
			Expect(os.WriteFile(filepath.Join(course.Lessons[0].LessonDir(sub), "escapes.go"), []byte("package lostupdate\n\n"+
				"func init() { panic(\"\\x1b[2K\\r  01-lost-update         \\x1b[32mpass\\x1b[0m  all 7 specs passed\") }\n"), 0o644)).To(Succeed())
			s := racekit(kitRoot, "grade", "--submission", sub, "--lessons", "1")
			Expect(finish(s, 3*time.Minute)).To(Equal(1), "a lesson that crashes is not a pass")
			out := string(s.Out.Contents())
			Expect(out).NotTo(ContainSubstring("\x1b"), "no escape character of the submission reaches the terminal (racekit prints no colour to a pipe)")
			Expect(out).To(ContainSubstring(`crashed: panic: \x1b[2K\r  01-lost-update         \x1b[32mpass`), "the message is shown, its escapes written out as text")
			Expect(out).To(ContainSubstring("limits enforced by "), "the header says how the limits are enforced on this machine")
		})
	})

	When("its input is wrong", func() {
		DescribeTable("exits with status 2 at once, saying what is wrong",
			func(args []string, want string) {
				s := racekit(kitRoot, append([]string{"grade"}, args...)...)
				Expect(finish(s, 30*time.Second)).To(Equal(2), "bad input is a usage error, found before any lesson runs")
				Expect(string(s.Err.Contents())).To(ContainSubstring(want))
			},
			Entry("a submission that does not exist", []string{"--submission", "/no/such/folder"}, "no such folder"),
			Entry("a submission that is not a checkout", []string{"--submission", "/"}, "has no lessons/ folder"),
			Entry("a timeout that is not positive", []string{"--timeout", "0s"}, "--timeout must be positive"),
			Entry("a build timeout that is not positive", []string{"--build-timeout", "-1s"}, "--build-timeout must be positive"),
			Entry("a memory limit that is not positive", []string{"--build-memory", "0"}, "--build-memory must be positive, got 0 B"),
			Entry("a memory limit that is not a size", []string{"--memory", "lots"}, `"lots" is not a size`),
			Entry("an unknown lesson", []string{"--lessons", "1,12"}, `no lesson "12"`),
			Entry("a report that cannot be written", []string{"--json", "/no/such/folder/grade.json"}, "cannot write"),
			Entry("a stray argument", []string{"submission"}, "unexpected arguments"),
		)
	})

	Describe("the classroom workflow", func() {
		It("is the one the README shows, and grades with flags the command has", func() {
			file, err := os.ReadFile(filepath.Join(kitRoot, ".github", "workflows", "grade.yml"))
			Expect(err).NotTo(HaveOccurred())
			readme, err := os.ReadFile(filepath.Join(kitRoot, "README.md"))
			Expect(err).NotTo(HaveOccurred())
			Expect(string(readme)).To(ContainSubstring("```yaml\n"+string(file)+"```"), "the README shows .github/workflows/grade.yml as it is")

			var wf struct {
				Jobs map[string]struct {
					Steps []struct {
						Run string `yaml:"run"`
					} `yaml:"steps"`
				} `yaml:"jobs"`
			}
			Expect(yaml.Unmarshal(file, &wf)).To(Succeed(), "the workflow is valid YAML")
			var run string
			for _, step := range wf.Jobs["grade"].Steps {
				if strings.Contains(step.Run, "racekit grade") {
					run = step.Run
				}
			}
			Expect(run).To(ContainSubstring("go run ./pkg/cmd/racekit grade"), "the workflow grades with the racekit command")
			help := racekit(kitRoot, "help", "grade")
			Expect(finish(help, 30*time.Second)).To(Equal(0))
			for _, flag := range regexp.MustCompile(`--[a-z]+`).FindAllString(run, -1) {
				Expect(string(help.Out.Contents())).To(ContainSubstring("-"+strings.TrimPrefix(flag, "--")+" "), "the workflow's %s is a flag of racekit grade", flag)
			}
		})
	})
})
