package main_test

import (
	"fmt"
	"os"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/internal/course"
	"github.com/racekit/racekit/pkg/internal/progress"
)

// statusRow is the table row of lesson l in status's output.
func statusRow(out string, l course.Lesson) string {
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), fmt.Sprintf("%d.", l.Number)) {
			return line
		}
	}
	return ""
}

var _ = Describe("racekit status", func() {
	var kit string
	BeforeEach(func() { kit = tempKit() })

	When("the learner has checked nothing yet", func() {
		It("lists every lesson as not yet run, the later ones as coming later, and names check 1 as the next command", func() {
			for _, args := range [][]string{{}, {"status"}} {
				r := run(kit, args...)
				Expect(r.code).To(Equal(0), "racekit %v succeeds: %s", args, r.err)
				for _, l := range course.Lessons {
					row := statusRow(r.out, l)
					Expect(row).To(And(ContainSubstring(l.Slug), ContainSubstring(l.Title)), "the table has a row for lesson %d", l.Number)
					if l.InKit {
						Expect(row).To(HaveSuffix("not yet run"), "a lesson never checked reads as not yet run")
					} else {
						Expect(row).To(HaveSuffix("coming later"), "a lesson not in this kit is marked as coming later")
					}
				}
				Expect(r.out).To(ContainSubstring("next: read lessons/01-lost-update/README.md, then run go run ./pkg/cmd/racekit check 1\n"),
					"racekit %v names the one command to run next", args)
				Expect(strings.Count(r.out, "go run ./pkg/cmd/racekit check")).To(Equal(1), "one command to run next, not a menu")
				Expect(strings.Count(r.out, "go run ./pkg/cmd/racekit hint 1")).To(Equal(1), "hint is mentioned once, as a way out when stuck")
				Expect(r.out).NotTo(ContainSubstring(escapeCode), "output that is not a terminal has no colour codes")
			}
		})
	})

	When("lesson 1 passed and lesson 2 failed", func() {
		It("shows both results and names check 2, the first lesson not passed", func() {
			record(kit, map[int]bool{1: true, 2: false})
			r := run(kit)
			Expect(r.code).To(Equal(0))
			Expect(statusRow(r.out, course.Lessons[0])).To(HaveSuffix("passed"), "lesson 1's last check passed")
			Expect(statusRow(r.out, course.Lessons[1])).To(HaveSuffix("failing"), "lesson 2's last check failed")
			Expect(statusRow(r.out, course.Lessons[2])).To(HaveSuffix("not yet run"))
			Expect(r.out).To(ContainSubstring("next: fix lessons/02-premature-free, then run go run ./pkg/cmd/racekit check 2\n"),
				"a failing lesson is next, and the learner is told to fix it")
			Expect(r.out).To(ContainSubstring("go run ./pkg/cmd/racekit hint 2"), "the hint pointer follows the next lesson")
		})
	})

	When("only a later lesson passed", func() {
		It("still names the first lesson not passed", func() {
			record(kit, map[int]bool{3: true})
			r := run(kit)
			Expect(r.out).To(ContainSubstring("run go run ./pkg/cmd/racekit check 1\n"), "lesson 1 comes first until it passes")
		})
	})

	When("every lesson in the kit passed", func() {
		It("congratulates and names no command to run", func() {
			checks := map[int]bool{}
			for _, l := range course.InKit() {
				checks[l.Number] = true
			}
			record(kit, checks)
			r := run(kit)
			Expect(r.code).To(Equal(0))
			Expect(r.out).To(ContainSubstring("Well done: every lesson in this kit has passed."), "the learner is done")
			Expect(r.out).NotTo(ContainSubstring("check "), "there is nothing left to check")
		})
	})

	When("the progress file is broken", func() {
		It("exits 2 and names the file", func() {
			Expect(os.MkdirAll(kit+"/"+progress.Dir, 0o755)).To(Succeed())
			Expect(os.WriteFile(progress.Path(kit), []byte("not json"), 0o644)).To(Succeed())
			r := run(kit)
			Expect(r.code).To(Equal(2), "racekit could not read its state")
			Expect(r.err).To(ContainSubstring(progress.Path(kit)), "the learner is told which file to delete")
		})
	})

	It("refuses arguments, pointing at check", func() {
		r := run(kit, "status", "1")
		Expect(r.code).To(Equal(2), "bad usage exits 2")
		Expect(r.err).To(ContainSubstring("go run ./pkg/cmd/racekit check 1"), "the learner probably meant check")
	})

	When("it writes to a terminal", func() {
		It("colours passed green and failing red, and not yet run dim, unless NO_COLOR is set", func() {
			record(kit, map[int]bool{1: true, 2: false})
			out := onTerminal(kit, nil, "status")
			Expect(out).To(And(
				ContainSubstring("\x1b[32mpassed\x1b[0m"),
				ContainSubstring("\x1b[31mfailing\x1b[0m"),
				ContainSubstring("\x1b[2mnot yet run\x1b[0m")), "a terminal gets colour")
			Expect(onTerminal(kit, []string{"NO_COLOR=1"}, "status")).NotTo(ContainSubstring(escapeCode), "NO_COLOR turns colour off, even on a terminal")
		})
	})
})
