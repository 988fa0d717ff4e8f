package main_test

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("racekit warm", Ordered, func() {
	var kit string

	BeforeAll(func() { kit = tempKit() })

	It("builds a lesson under -race, says how long it took, and touches no file of the learner's", func() {
		// A solution the build cache cannot hold yet, whatever other specs
		// built in this copy of the kit: warm must build it, a second or two.
		doc := filepath.Join(kit, "solutions", "01-lost-update", "doc.go")
		data, err := os.ReadFile(doc)
		Expect(err).NotTo(HaveOccurred())
		Expect(os.WriteFile(doc, fmt.Appendf(data, "\n// built by racekit warm's spec at %d\n", time.Now().UnixNano()), 0o644)).To(Succeed())
		before := snapshot(filepath.Join(kit, "lessons"))
		s := racekit(kit, "warm", "1")
		Expect(finish(s, 5*time.Minute)).To(Equal(0), "warm exits 0 once the lesson is built")
		out := string(s.Out.Contents())
		Expect(out).To(MatchRegexp(`lesson 1, 01-lost-update: built in \d+\.\d s`), "warm says what it built and how long it took")
		Expect(out).To(MatchRegexp(`warm in \d+\.\d s`), "and how long the whole took")
		Expect(out).NotTo(ContainSubstring("\r"), "piped, warm shows no progress line")
		Expect(snapshot(filepath.Join(kit, "lessons"))).To(Equal(before), "warm builds the kit's solutions, never the learner's files")
		entries, err := os.ReadDir(filepath.Join(kit, "lessons", "01-lost-update"))
		Expect(err).NotTo(HaveOccurred())
		for _, e := range entries {
			Expect(e.Name()).NotTo(HaveSuffix(".test"), "the test binary goes to a temporary folder, not the lesson's")
		}
	})

	It("leaves a check that says nothing about a slow first build", func() {
		s := racekit(kit, "check", "1")
		Expect(finish(s, 2*time.Minute)).To(Equal(1), "the starter still fails its specs")
		Expect(string(s.Out.Contents())).NotTo(ContainSubstring("the first build compiles"), "after warm the cache holds the lesson's build")
	})

	It("says so and builds nothing when run again", func() {
		s := racekit(kit, "warm", "1")
		Expect(finish(s, time.Minute)).To(Equal(0), "a second warm succeeds too")
		out := string(s.Out.Contents())
		Expect(out).To(ContainSubstring("the build cache already holds the race-enabled build of 1 lesson; nothing to build"), "a second run says it had nothing to do")
		Expect(out).NotTo(ContainSubstring("built in"), "and builds nothing")
	})

	It("refuses a lesson that does not exist", func() {
		s := racekit(kit, "warm", "12")
		Expect(finish(s, time.Minute)).To(Equal(2), "bad input is a usage error")
		Expect(string(s.Err.Contents())).To(ContainSubstring(`no lesson "12"`), "the error names what was asked for")
	})
})
