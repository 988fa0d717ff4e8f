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

	"github.com/racekit/racekit/pkg/internal/course"
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

	When("it grades for GitHub Classroom with points", func() {
		It("carries the points into every report and prints Classroom's two notices last", func() {
			out := GinkgoT().TempDir()
			jsonPath, junitPath, summary := filepath.Join(out, "grade.json"), filepath.Join(out, "junit.xml"), filepath.Join(out, "summary.md")
			s := racekitEnv(kitRoot, []string{"GITHUB_STEP_SUMMARY=" + summary}, "grade", "--classroom", "--points", "1=10, deadlock=30",
				"--submission", solvedSubmission(), "--lessons", "1,3", "--json", jsonPath, "--junit", junitPath)
			Expect(finish(s, 3*time.Minute)).To(Equal(1), "lesson 3 is missing from the submission")

			lines := strings.Split(strings.TrimSuffix(string(s.Out.Contents()), "\n"), "\n")
			Expect(len(lines)).To(BeNumerically(">", 4), "grade prints its progress:\n%s", s.Out.Contents())
			Expect(lines[len(lines)-2:]).To(Equal([]string{
				"::notice title=Autograding complete::Points 10/40",
				`::notice title=Autograding report::{"totalPoints":10,"maxPoints":40}`,
			}), "the last two lines are the reporter's notices: lesson 1 passed and earns its 10 points, lesson 3 earns none of its 30")
			token, ok := strings.CutPrefix(lines[0], "::stop-commands::")
			Expect(ok).To(BeTrue(), "the first line stops the runner's workflow commands, so no lesson's message can print a notice: %q", lines[0])
			Expect(token).To(MatchRegexp(`^[A-Z2-7]{26}$`), "with a random token")
			Expect(lines[len(lines)-3]).To(Equal("::"+token+"::"), "the commands resume just before the notices")
			Expect(strings.Count(string(s.Out.Contents()), token)).To(Equal(2), "the token is printed only to stop and to resume")
			Expect(lines).To(ContainElement("score: 1 of 2 lessons passed (error), 10 of 40 points"), "the score line gives the points")

			var result struct {
				Points    int `json:"points"`
				MaxPoints int `json:"max_points"`
				Lessons   []struct {
					Points    int `json:"points"`
					MaxPoints int `json:"max_points"`
				} `json:"lessons"`
			}
			data, err := os.ReadFile(jsonPath)
			Expect(err).NotTo(HaveOccurred())
			Expect(json.Unmarshal(data, &result)).To(Succeed())
			Expect([]int{result.Points, result.MaxPoints}).To(Equal([]int{10, 40}), "the JSON's totals are the points")
			Expect(result.Lessons).To(HaveLen(2))
			Expect([]int{result.Lessons[0].Points, result.Lessons[0].MaxPoints, result.Lessons[1].Points, result.Lessons[1].MaxPoints}).To(Equal([]int{10, 10, 0, 30}),
				"each lesson says what it earned and was worth")

			data, err = os.ReadFile(junitPath)
			Expect(err).NotTo(HaveOccurred())
			Expect(string(data)).To(And(ContainSubstring(`<property name="points" value="10"></property>`), ContainSubstring(`<property name="max_points" value="30"></property>`)),
				"each JUnit suite has its lesson's points as properties")
			md, err := os.ReadFile(summary)
			Expect(err).NotTo(HaveOccurred())
			Expect(string(md)).To(And(HavePrefix("### racekit grade: error, 1 of 2 lessons, 10 of 40 points\n"), ContainSubstring("| 03-deadlock | Deadlock | ⚠️ error | 0/30 |")),
				"the summary table shows the points")
		})

		It("reads the points from a file the instructor keeps", func() {
			file := filepath.Join(GinkgoT().TempDir(), "points.txt")
			Expect(os.WriteFile(file, []byte("# autumn term\n1 = 10  # warm-up\n3 = 30\n"), 0o644)).To(Succeed())
			s := racekit(kitRoot, "grade", "--classroom", "--points-file", file, "--submission", solvedSubmission(), "--lessons", "3")
			Expect(finish(s, time.Minute)).To(Equal(1), "lesson 3 is missing from the submission")
			Expect(string(s.Out.Contents())).To(HaveSuffix("::notice title=Autograding complete::Points 0/30\n"+
				`::notice title=Autograding report::{"totalPoints":0,"maxPoints":30}`+"\n"), "lesson 3 is worth 30 points in the file, and lesson 1, not graded, counts for nothing")
		})

		It("refuses a points file with a mistake, naming its line", func() {
			file := filepath.Join(GinkgoT().TempDir(), "points.txt")
			Expect(os.WriteFile(file, []byte("1 = 10\n2 = ten\n"), 0o644)).To(Succeed())
			s := racekit(kitRoot, "grade", "--points-file", file, "--lessons", "1,2")
			Expect(finish(s, 30*time.Second)).To(Equal(2), "bad points are a usage error, found before any lesson runs")
			Expect(string(s.Err.Contents())).To(ContainSubstring(`--points-file `+file+`: grade: line 2: "2 = ten": a lesson's points must be a whole number from 1 to 10000, got "ten"`),
				"the error names the file, the line and what is wrong")
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
			Entry("points that are not a number", []string{"--points", "1=ten"}, `--points: grade: "1=ten": a lesson's points must be a whole number from 1 to 10000, got "ten"`),
			Entry("points of no lesson", []string{"--points", "1=10,12=5"}, `--points: grade: "12=5": course: no lesson "12"`),
			Entry("points that are not lesson=points", []string{"--points", "10"}, `--points: grade: "10" is not lesson=points (e.g. 1=10)`),
			Entry("a lesson given points twice", []string{"--points", "1=10,01-lost-update=10"}, "lesson 01-lost-update is given points twice"),
			Entry("points that leave out a lesson graded", []string{"--lessons", "1,2,3", "--points", "2=10"},
				"--points gives no points for 01-lost-update, 03-deadlock: once points are given, every lesson graded needs them"),
			Entry("points in a file that does not exist", []string{"--points-file", "/no/such/points.txt"}, "--points-file: open /no/such/points.txt: no such file or directory"),
			Entry("points given twice over", []string{"--points", "1=10", "--points-file", "points.txt"}, "give --points or --points-file, not both"),
		)
	})

	Describe("the classroom workflow", func() {
		It("is the one the README shows, and grades with flags the command has, as GitHub Classroom expects", func() {
			file, err := os.ReadFile(filepath.Join(kitRoot, ".github", "workflows", "grade.yml"))
			Expect(err).NotTo(HaveOccurred())
			readme, err := os.ReadFile(filepath.Join(kitRoot, "README.md"))
			Expect(err).NotTo(HaveOccurred())
			Expect(string(readme)).To(ContainSubstring("```yaml\n"+string(file)+"```"), "the README shows .github/workflows/grade.yml as it is")

			var wf struct {
				Name        string            `yaml:"name"`
				On          []string          `yaml:"on"`
				Permissions map[string]string `yaml:"permissions"`
				Jobs        map[string]struct {
					If    string `yaml:"if"`
					Steps []struct {
						Run string `yaml:"run"`
					} `yaml:"steps"`
				} `yaml:"jobs"`
			}
			Expect(yaml.Unmarshal(file, &wf)).To(Succeed(), "the workflow is valid YAML")
			// The conventions of the workflows Classroom makes, which its
			// gradebook is known to rely on.
			Expect(wf.Name).To(Equal("Autograding Tests"), "Classroom records points from the workflow of its own name")
			Expect(wf.On).To(ConsistOf("push", "workflow_dispatch", "repository_dispatch"), "it grades every push, by hand, and when Classroom asks")
			Expect(wf.Permissions).To(Equal(map[string]string{"checks": "write", "actions": "read", "contents": "read"}), "Classroom's workflows' permissions, nothing more")
			Expect(wf.Jobs).To(HaveLen(1), "one job")
			Expect(wf.Jobs).To(HaveKey("run-autograding-tests"), "named as Classroom names it")
			job := wf.Jobs["run-autograding-tests"]
			Expect(job.If).To(ContainSubstring("github.actor != 'github-classroom[bot]'"), "Classroom's own first commit, the starters, is not graded")
			var run string
			for _, step := range job.Steps {
				if strings.Contains(step.Run, "racekit grade") {
					run = step.Run
				}
			}
			Expect(run).To(ContainSubstring("go run ./pkg/cmd/racekit grade --classroom"), "the workflow grades with the racekit command and prints Classroom's notices")
			help := racekit(kitRoot, "help", "grade")
			Expect(finish(help, 30*time.Second)).To(Equal(0))
			for _, flag := range regexp.MustCompile(`--[a-z][a-z-]*`).FindAllString(run, -1) {
				// The flag package lists a flag as "  -name type" or, for a
				// bool, "  -name" alone on its line.
				Expect(string(help.Out.Contents())).To(MatchRegexp(`(?m)^  -`+strings.TrimPrefix(flag, "--")+`( |$)`), "the workflow's %s is a flag of racekit grade", flag)
			}
		})
	})
})
