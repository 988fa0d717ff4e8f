package main

// These specs run in the racekit suite (RunSpecs is in package main_test):
// they split grading messages the way check prints them, with no lesson run.

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/internal/course"
)

var _ = Describe("errorHead", func() {
	DescribeTable("splits a message into the coloured head and the rest, so that check's ✗ line reads cleanly",
		func(msg, head, rest string) {
			h, r := errorHead(msg)
			Expect(h).To(Equal(head), "the head is what kept the specs from finishing, with its colon only if the message has one")
			Expect(r).To(Equal(rest), "the rest is everything after the head, so nothing of the message is lost")
		},
		Entry("a head on a line of its own", "does not build:\n  object.go:3:2: x", "does not build:", "\n  object.go:3:2: x"),
		Entry("a head and a sentence", "hangs: did not finish within 1m0s", "hangs:", " did not finish within 1m0s"),
		Entry("a message with no colon, which gets none added", "the submission has no lessons/03-deadlock folder", "the submission has no lessons/03-deadlock folder", ""),
		Entry("a message with no colon in its first line", "no colon here\nignored test files of the submission: x_test.go", "no colon here", "\nignored test files of the submission: x_test.go"),
		Entry("a quoted spec name with a colon in it, which is not the head's end",
			`"[It] IncRef: \"a: b\" holds" stopped with panicked: boom`, `"[It] IncRef: \"a: b\" holds" stopped with panicked:`, " boom"),
		Entry("a file:line, whose colon is not the head's end", "crashed at object.go:31: nil map", "crashed at object.go:31:", " nil map"),
	)
})

var _ = Describe("playable", func() {
	root, err := course.Root()
	It("finds the kit's root", func() { Expect(err).NotTo(HaveOccurred()) })

	DescribeTable("says whether a lesson's specs give a scenario a goal, so that check can point at racekit play",
		func(n int, want bool) {
			Expect(playable(course.Lessons[n-1].SolutionDir(root))).To(Equal(want), "lesson %d's specs", n)
		},
		Entry("lesson 01: the foo trace has one", 1, true),
		Entry("lesson 03: the AB-BA deadlock has one", 3, true),
		Entry("lesson 05: its specs judge timings, and set none", 5, false),
		Entry("lesson 07: the same", 7, false),
	)

	It("says no for a folder without specs", func() {
		Expect(playable(GinkgoT().TempDir())).To(BeFalse())
	})
})
