package main_test

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/internal/course"
)

var _ = Describe("racekit grade --class", func() {
	// lesson puts the kit's folder from (a lesson's starter or solution) in
	// learner's checkout under class as lesson n.
	lesson := func(class, learner string, n int, from func(course.Lesson, string) string) {
		l := course.Lessons[n-1]
		Expect(copyTree(from(l, kitRoot), l.LessonDir(filepath.Join(class, learner)))).To(Succeed())
	}
	starter := course.Lesson.StarterDir
	solution := course.Lesson.SolutionDir

	When("it grades five learners, two of them with the same code", func() {
		It("writes the class table, the CSV and a JSON file per learner, and builds each distinct lesson once", func() {
			class := filepath.Join(GinkgoT().TempDir(), "class")
			lesson(class, "alice", 1, starter) // has not started
			lesson(class, "alice", 2, starter)
			lesson(class, "bob", 1, solution) // copied the solutions
			lesson(class, "bob", 2, solution)
			Expect(copyTree(filepath.Join(class, "bob"), filepath.Join(class, "carol"))).To(Succeed()) // and so did carol
			lesson(class, "dave", 1, starter)                                                          // a wrong fix, then lesson 2 solved
			wrong, err := os.ReadFile(filepath.Join(kitRoot, "testdata", "fixtures", "01-lost-update", "get-set-helpers", "object.go"))
			Expect(err).NotTo(HaveOccurred())
			Expect(os.WriteFile(filepath.Join(class, "dave", "lessons", "01-lost-update", "object.go"), wrong, 0o644)).To(Succeed())
			lesson(class, "dave", 2, solution)
			lesson(class, "erin", 1, starter) // no lesson 2 folder at all
			Expect(os.WriteFile(filepath.Join(class, "roster.txt"), []byte("five learners\n"), 0o644)).To(Succeed())
			before := snapshot(class)

			// The go command, through a wrapper that logs each call: the
			// builds are counted outside the grader, not taken from it.
			real, err := exec.LookPath("go")
			Expect(err).NotTo(HaveOccurred())
			bin, log := GinkgoT().TempDir(), filepath.Join(GinkgoT().TempDir(), "go.log")
			Expect(os.WriteFile(filepath.Join(bin, "go"), []byte("#!/bin/sh\necho \"$*\" >> "+log+"\nexec "+real+" \"$@\"\n"), 0o755)).To(Succeed())

			out := filepath.Join(GinkgoT().TempDir(), "grades")
			s := racekitEnv(kitRoot, []string{"PATH=" + bin + string(filepath.ListSeparator) + os.Getenv("PATH")},
				"grade", "--class", class, "--out", out, "--lessons", "1,2")
			Expect(finish(s, 5*time.Minute)).To(Equal(0), "a class that was graded is a success, whatever the grades")
			stdout := string(s.Out.Contents())

			By("printing a row per learner as the table's rows")
			for _, row := range []string{
				`alice\s+todo\s+todo\s+0/2`, `bob\s+pass\s+pass\s+2/2`, `carol\s+pass\s+pass\s+2/2`,
				`dave\s+fail\s+pass\s+1/2`, `erin\s+todo\s+error\s+0/2`, `passed\s+2\s+3`,
			} {
				Expect(stdout).To(MatchRegexp(row), "the class table's row %q", row)
			}
			Expect(stdout).To(ContainSubstring("note: roster.txt: not a folder"), "what is not a learner's folder is named, not graded")
			Expect(stdout).To(ContainSubstring("10 lessons in"), "5 learners × 2 lessons")
			Expect(stdout).To(ContainSubstring("5 built and run, 4 the same code as a lesson graded before (that verdict reused), 1 turned away before a build"))

			By("building each distinct lesson once, as the go command's own log shows")
			calls, err := os.ReadFile(log)
			Expect(err).NotTo(HaveOccurred())
			var builds []string
			for _, call := range strings.Split(strings.TrimSpace(string(calls)), "\n") {
				// A learner's lesson; on a cold build cache grade first
				// builds the kit's solutions too (./solutions/NN), which
				// grades nobody.
				words := strings.Fields(call)
				if strings.HasPrefix(call, "test -c") && strings.HasPrefix(words[len(words)-1], "./lessons/") {
					builds = append(builds, call)
				}
			}
			Expect(builds).To(HaveLen(5), "three codes of lesson 1 (the starter, the solution, dave's wrong fix) and two of lesson 2 (the starter, the solution): five test binaries, not nine; the go command was asked:\n%s", calls)

			By("writing the CSV")
			f, err := os.Open(filepath.Join(out, "class.csv"))
			Expect(err).NotTo(HaveOccurred())
			defer f.Close()
			rows, err := csv.NewReader(f).ReadAll()
			Expect(err).NotTo(HaveOccurred(), "class.csv is CSV")
			Expect(rows).To(Equal([][]string{
				{"learner", "01-lost-update", "02-premature-free", "score", "max_score", "points", "max_points"},
				{"alice", "fail", "fail", "0", "2", "0", "2"},
				{"bob", "pass", "pass", "2", "2", "2", "2"},
				{"carol", "pass", "pass", "2", "2", "2", "2"},
				{"dave", "fail", "pass", "1", "2", "1", "2"},
				{"erin", "fail", "error", "0", "2", "0", "2"},
			}), "a row per learner, the statuses as grade reports them (an untouched starter fails)")

			By("writing the markdown table")
			md, err := os.ReadFile(filepath.Join(out, "class.md"))
			Expect(err).NotTo(HaveOccurred())
			Expect(string(md)).To(And(
				ContainSubstring("| Learner | 01 | 02 | Lessons | Points |"),
				ContainSubstring("| dave | ❌ fail | ✅ pass | 1/2 | 1/2 |"),
				ContainSubstring("| erin | ⬜ todo | ⚠️ error | 0/2 | 0/2 |"),
				ContainSubstring("| passed | 2 | 3 | | |")), "class.md:\n%s", md)

			By("writing each learner's grade as JSON, saying whose verdict was reused")
			type result struct {
				Status  string
				Lessons []struct {
					Slug, Status, Message, Code string
					Reused                      bool
				}
			}
			read := func(name string) result {
				var r result
				data, err := os.ReadFile(filepath.Join(out, name+".json"))
				Expect(err).NotTo(HaveOccurred(), "every learner has a JSON file")
				Expect(json.Unmarshal(data, &r)).To(Succeed())
				Expect(r.Lessons).To(HaveLen(2))
				return r
			}
			for _, name := range []string{"alice", "bob"} {
				for _, l := range read(name).Lessons {
					Expect(l.Reused).To(BeFalse(), "%s is the first with %s's code: it was built and run", name, l.Slug)
				}
			}
			dave := read("dave")
			Expect(dave.Lessons[0].Reused).To(BeFalse(), "dave's wrong fix is his alone")
			Expect(dave.Lessons[0].Message).To(ContainSubstring("lost update"), "dave's wrong fix fails for the lesson's reason")
			Expect(dave.Lessons[1].Reused).To(BeTrue(), "dave's lesson 2 is the solution, as bob's")
			carol, bob := read("carol"), read("bob")
			for i, l := range carol.Lessons {
				Expect(l.Reused).To(BeTrue(), "carol's %s is bob's, byte for byte", l.Slug)
				Expect(l.Code).To(Equal(bob.Lessons[i].Code), "the same code has the same fingerprint")
				Expect(l.Message).To(ContainSubstring("note: the same code as bob's, byte for byte: that verdict was reused"))
			}
			erin := read("erin")
			Expect(erin.Lessons[0].Message).To(ContainSubstring("note: the untouched starter, like alice's, byte for byte"))
			Expect(erin.Lessons[1].Message).To(ContainSubstring("no lessons/02-premature-free folder"))

			entries, err := os.ReadDir(out)
			Expect(err).NotTo(HaveOccurred())
			Expect(entries).To(HaveLen(7), "class.md, class.csv and five JSON files, nothing else")
			Expect(snapshot(class)).To(Equal(before), "grading a class writes nothing into it")
		})
	})

	When("its input is wrong", func() {
		DescribeTable("exits with status 2 at once, saying what is wrong",
			func(args func(class string) []string, want string) {
				class := GinkgoT().TempDir()
				s := racekit(kitRoot, append([]string{"grade"}, args(class)...)...)
				Expect(finish(s, 30*time.Second)).To(Equal(2), "bad input is a usage error, found before any lesson runs")
				Expect(string(s.Err.Contents())).To(ContainSubstring(want))
			},
			Entry("a class folder that does not exist", func(string) []string { return []string{"--class", "/no/such/class"} }, "--class /no/such/class: no such folder"),
			Entry("a class folder with no learner in it", func(c string) []string { return []string{"--class", c} }, "holds no learner folder"),
			Entry("a report folder inside the class", func(c string) []string {
				Expect(os.Mkdir(filepath.Join(c, "alice"), 0o755)).To(Succeed())
				return []string{"--class", c, "--out", filepath.Join(c, "grades")}
			}, "is inside the class folder"),
			Entry("a report folder that is a file", func(c string) []string {
				Expect(os.Mkdir(filepath.Join(c, "alice"), 0o755)).To(Succeed())
				Expect(os.WriteFile(c+"-grades", nil, 0o644)).To(Succeed())
				DeferCleanup(os.Remove, c+"-grades")
				return []string{"--class", c}
			}, "cannot write the reports"),
			Entry("one submission's flags", func(c string) []string { return []string{"--class", c, "--json", "x.json"} }, "--json grades one submission; with --class, the reports go to --out"),
			Entry("--out without a class", func(c string) []string { return []string{"--out", c} }, "--out is for --class"),
		)
	})
})
