package main_test

import (
	"os"
	"path/filepath"
	"regexp"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/internal/course"
	"github.com/racekit/racekit/pkg/internal/verify"
)

var _ = Describe("racekit verify", func() {
	// verifying compiles a lesson's starter, solution and fixtures, which
	// takes a while on a small machine, and longer in a new folder.
	const slow = 4 * time.Minute
	lesson := course.Lessons[0]

	// checkLines returns the lines racekit printed for each of the lesson's
	// checks, by name: "  ✓ has a README.md and a HINTS.md".
	checkLines := func(out string, v *verify.Lesson) map[string]string {
		lines := map[string]string{}
		for _, c := range v.Checks() {
			m := regexp.MustCompile(`(?m)^  [✓✗] ` + regexp.QuoteMeta(c.Name) + `( \(\d+\.\d s\))?$`).FindString(out)
			lines[c.Name] = m
		}
		return lines
	}

	When("the kit's lesson is as it ships", func() {
		It("lists every check of the lesson with a ✓, the same checks the kit's tests run, and exits 0", func() {
			// A copy with only two of the lesson's fixtures, a correct fix
			// and a wrong one: the kit's own tests (pkg/internal/verify) build and
			// check them all, which here would only be done a second time.
			kit := tempKit()
			for _, name := range []string{"lock-defer-unlock", "lock-incref-only"} {
				Expect(copyTree(filepath.Join(lesson.FixturesDir(kitRoot), name), filepath.Join(lesson.FixturesDir(kit), name))).To(Succeed())
			}
			s := racekit(kit, "verify", "--runs", "1", "--fixture-runs", "1", "1")
			Expect(finish(s, slow)).To(Equal(0), "every check of a shipped lesson passes")
			out := string(s.Out.Contents())

			v := &verify.Lesson{Root: kit, Lesson: lesson, Runs: 1, FixtureRuns: 1}
			lines := checkLines(out, v)
			Expect(lines).NotTo(BeEmpty())
			for name, line := range lines {
				Expect(line).To(HavePrefix("  ✓ "), "racekit verify prints a ✓ line for the check %q, named as the kit's tests name it", name)
			}
			Expect(out).To(ContainSubstring("fails on the starter 4 runs out of 4 at GOMAXPROCS 1, 2 and 8 and pinned to one CPU, with -race"), "--runs sets how many runs at each GOMAXPROCS and pinned")
			Expect(out).To(MatchRegexp(`(?m)^  ✓ accepts the fixture lock-defer-unlock \(.+\) 4 runs out of 4 at GOMAXPROCS 1, 2 and 8 and pinned to one CPU`), "--fixture-runs runs a correct fixture at each GOMAXPROCS and pinned")
			Expect(out).To(MatchRegexp(`(?m)^  ✓ rejects the fixture lock-incref-only \(.+\) 4 runs out of 4 at GOMAXPROCS 1, 2 and 8 and pinned to one CPU`), "--fixture-runs runs a wrong fixture at each GOMAXPROCS and pinned")
			Expect(out).To(MatchRegexp(`(?m)^✓ all %d checks passed in \d+\.\d s$`, len(lines)), "a total line ends the output")
			Expect(out).NotTo(ContainSubstring("has every lesson of the catalogue"), "the kit-wide checks run only when no lesson is named")
		})
	})

	When("a lesson's solution is no fix at all", func() {
		It("marks the solution's checks ✗ with what went wrong, names them again at the end and exits 1", func() {
			kit := tempKit() // without fixtures, which have nothing to do with the solution
			files, err := course.ExerciseFiles(lesson.LessonDir(kit))
			Expect(err).NotTo(HaveOccurred())
			for _, name := range files {
				data, err := os.ReadFile(filepath.Join(lesson.LessonDir(kit), name))
				Expect(err).NotTo(HaveOccurred())
				Expect(os.WriteFile(filepath.Join(lesson.SolutionDir(kit), name), data, 0o644)).To(Succeed())
			}

			s := racekit(kit, "verify", "--runs", "1", "lost-update")
			Expect(finish(s, slow)).To(Equal(1), "a failed check is exit status 1")
			out := string(s.Out.Contents())

			v := &verify.Lesson{Root: kit, Lesson: lesson, Runs: 1}
			for name, line := range checkLines(out, v) {
				if regexp.MustCompile(`^passes on the solution`).MatchString(name) {
					Expect(line).To(HavePrefix("  ✗ "), "the solution's check %q fails: it is the starter", name)
				} else {
					Expect(line).To(HavePrefix("  ✓ "), "the check %q has nothing to do with the solution and still passes", name)
				}
			}
			Expect(out).To(MatchRegexp(`✗ passes on the solution 4 runs out of 4 at GOMAXPROCS 1, 2 and 8 and pinned to one CPU, with -race( \(\d+\.\d s\))?\n      verify: 01-lost-update: the solution \(with -race\) should pass every run, but 4 of 4 runs did not; the first, run 1 at GOMAXPROCS=1: exit status 1`),
				"under the ✗ the error says what went wrong, indented")
			Expect(out).To(MatchRegexp(`(?m)^✗ 2 of \d+ checks failed in \d+\.\d s; \d+ passed, these failed:\n  ✗ 01-lost-update passes on the solution 4 runs out of 4 at GOMAXPROCS 1, 2 and 8 and pinned to one CPU, with -race\n  ✗ 01-lost-update passes on the solution 4 runs out of 4 at GOMAXPROCS 1, 2 and 8 and pinned to one CPU, without -race\n$`),
				"the total line counts the failures and names them again, since their errors may have scrolled away")
		})
	})

	When("the lesson is not in the kit", func() {
		It("exits 2 and lists the lessons there are", func() {
			s := racekit(kitRoot, "verify", "12")
			Expect(finish(s, quick)).To(Equal(2), "an unknown lesson is bad usage")
			Expect(string(s.Err.Contents())).To(And(ContainSubstring(`no lesson "12"`), ContainSubstring("1 or lost-update"), ContainSubstring("6 or io-release")),
				"the error lists the lessons the kit has")
			Expect(string(s.Out.Contents())).To(BeEmpty(), "nothing is verified")
		})
	})

	When("--runs is not a positive number", func() {
		It("exits 2 and says why", func() {
			s := racekit(kitRoot, "verify", "--runs", "0", "1")
			Expect(finish(s, quick)).To(Equal(2))
			Expect(string(s.Err.Contents())).To(ContainSubstring("--runs must be at least 1, got 0"))
		})
	})

	When("--fixture-runs is negative", func() {
		It("exits 2 and says why", func() {
			s := racekit(kitRoot, "verify", "--fixture-runs", "-1", "1")
			Expect(finish(s, quick)).To(Equal(2))
			Expect(string(s.Err.Contents())).To(ContainSubstring("--fixture-runs must be 0 (once) or more, got -1"))
		})
	})
})
