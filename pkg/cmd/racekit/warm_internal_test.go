package main

// These specs run in the racekit suite (RunSpecs is in package main_test):
// they decide whether a build is slow from made-up lists of what the build
// cache lacks, so that no spec needs a cold cache and its two minutes.

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("likelySlow", func() {
	// packages returns n made-up import paths.
	packages := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("github.com/onsi/gomega/p%d", i)
		}
		return out
	}
	DescribeTable("says whether a check's build deserves a word before it starts",
		func(stale []string, slow bool, why string) {
			Expect(likelySlow(stale)).To(Equal(slow), why)
		},
		Entry("a warm cache", nil, false, "a build the cache holds takes seconds: check says nothing more"),
		Entry("the kit's packages after a pull", []string{"github.com/racekit/racekit/pkg/interleave", "github.com/racekit/racekit/pkg/vm", "github.com/racekit/racekit/pkg/gil"}, false,
			"a handful of the kit's packages compile in a few seconds"),
		Entry("the race detector's runtime alone", []string{"runtime"}, true,
			"when the runtime is missing, every package above it must be compiled too"),
		Entry("Ginkgo and Gomega, the standard library cached", packages(slowBuild), true,
			"slowBuild packages or more are tens of seconds of work"),
		Entry("one package fewer than the threshold", packages(slowBuild-1), false, "below slowBuild the build is not called slow"),
	)
})

// syncBuffer is a bytes.Buffer safe for the ticker's goroutine and the spec.
type syncBuffer struct {
	mu sync.Mutex // guards b
	b  bytes.Buffer
}

// Write appends p.
func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String is what was written.
func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var _ = Describe("the build's progress", func() {
	It("redraws the elapsed seconds on one line and clears it when the build ends", func() {
		var w syncBuffer
		stop := ticker(&w, "  01-lost-update", 10*time.Millisecond)
		Eventually(func() int { return strings.Count(w.String(), "\r") }).Should(BeNumerically(">=", 3), "the line is redrawn every interval")
		stop()
		out := w.String()
		Expect(out).To(ContainSubstring("\r\x1b[K  01-lost-update: building... 0 s"), "each redraw goes back to the line's start and erases it first")
		Expect(out).To(HaveSuffix("\r\x1b[K"), "stop leaves the line empty for what check prints next")
		Expect(out).NotTo(ContainSubstring("\n"), "the progress never takes more than one line")
		Consistently(w.String, 50*time.Millisecond, 10*time.Millisecond).Should(Equal(out), "nothing is written after stop returns")
	})

	It("shows nothing when the output is not a terminal", func() {
		var w bytes.Buffer
		stop := (&printer{w: &w}).elapsed("  01-lost-update")
		stop()
		Expect(w.String()).To(BeEmpty(), "a pipe or a log gets the one line about the build, and no carriage returns")
	})
})
