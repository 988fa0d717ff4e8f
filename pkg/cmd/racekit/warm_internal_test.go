package main

// These specs run in the racekit suite (RunSpecs is in package main_test):
// they watch the line that shows a slow build's seconds.

import (
	"bytes"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

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
