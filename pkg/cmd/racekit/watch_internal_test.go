package main

// These specs run in the racekit suite (RunSpecs is in package main_test):
// they drive watchLoop with a channel of their own, with no files and no
// real check.

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/internal/watch"
)

var _ = Describe("watchLoop", func() {
	const (
		arrives  = 5 * time.Second        // how long a spec waits for a check
		quietFor = 300 * time.Millisecond // how long it watches for a check that should not come
	)
	var (
		ctx     context.Context
		cancel  context.CancelFunc
		changes chan watch.Event
		checks  chan watch.Event // every check's Event, in order
		release chan struct{}    // closed to let the first check end
		done    chan struct{}    // closed when watchLoop returns
	)

	BeforeEach(func() {
		ctx, cancel = context.WithCancel(context.Background())
		changes = make(chan watch.Event, 10)
		checks = make(chan watch.Event, 10)
		release = make(chan struct{})
		done = make(chan struct{})
		first := true
		check := func(ev watch.Event) {
			checks <- ev
			if first {
				first = false
				select { // a real check stops when ctx is done
				case <-release:
				case <-ctx.Done():
				}
			}
		}
		go func() {
			defer close(done)
			watchLoop(ctx, changes, check)
		}()
		DeferCleanup(func() {
			cancel()
			Eventually(done, arrives).Should(BeClosed(), "watchLoop returns once its context is done")
		})
	})

	It("checks once at the start, then once per change", func() {
		Eventually(checks, arrives).Should(Receive(Equal(watch.Event{})), "the lesson is checked as the watch begins")
		Consistently(checks, quietFor).ShouldNot(Receive(), "nothing changed, so nothing more is checked")
		close(release)

		changes <- watch.Event{Files: []string{"object.go"}}
		Eventually(checks, arrives).Should(Receive(HaveField("Files", []string{"object.go"})), "a saved Go file is checked again")
		Consistently(checks, quietFor).ShouldNot(Receive(), "one change, one check")
	})

	When("files are saved while a check runs", func() {
		It("checks exactly once more, for all of them", func() {
			Eventually(checks, arrives).Should(Receive(), "the first check is running")
			changes <- watch.Event{Files: []string{"object.go"}}
			changes <- watch.Event{Files: []string{"doc.go"}}
			changes <- watch.Event{Files: []string{"object.go"}}
			close(release)

			Eventually(checks, arrives).Should(Receive(HaveField("Files", ConsistOf("object.go", "doc.go", "object.go"))),
				"the saves made during the check lead to one more check, which hears of every file")
			Consistently(checks, quietFor).ShouldNot(Receive(), "not one check per save: the saves were all seen by the one after")
		})
	})

	When("only files other than Go files change", func() {
		It("does not check again", func() {
			Eventually(checks, arrives).Should(Receive())
			close(release)
			changes <- watch.Event{Files: []string{"NOTES.md"}}
			Consistently(checks, quietFor).ShouldNot(Receive(), "a note cannot change the lesson's result")

			changes <- watch.Event{Files: []string{"object.go"}}
			Eventually(checks, arrives).Should(Receive(HaveField("Files", []string{"object.go"})), "the loop is still listening")
		})
	})

	When("the watch cannot say which files changed", func() {
		It("checks again, to be safe", func() {
			Eventually(checks, arrives).Should(Receive())
			close(release)
			changes <- watch.Event{Files: []string{"NOTES.md"}}
			changes <- watch.Event{}
			Eventually(checks, arrives).Should(Receive(Equal(watch.Event{})),
				"an Event with no files (the folder was removed, or the event queue overflowed) may hide a Go file")
		})
	})

	When("the context is cancelled during a check", func() {
		It("returns without checking again", func() {
			Eventually(checks, arrives).Should(Receive())
			changes <- watch.Event{Files: []string{"object.go"}}
			cancel()
			Eventually(done, arrives).Should(BeClosed(), "Ctrl-C ends the watch")
			Expect(checks).NotTo(Receive(), "the save waiting when Ctrl-C came is not checked")
		})
	})

	When("the watch's channel is closed", func() {
		It("returns", func() {
			Eventually(checks, arrives).Should(Receive())
			close(release)
			close(changes)
			Eventually(done, arrives).Should(BeClosed(), "with no more changes to come, there is nothing to wait for")
		})
	})
})

var _ = DescribeTable("changed says which Go files changed",
	func(files []string, want string) {
		Expect(changed(&printer{}, files)).To(Equal(want))
	},
	Entry("one file", []string{"object.go"}, "object.go changed"),
	Entry("files merged from several saves, each once, sorted, Go files only",
		[]string{"object.go", "NOTES.md", "doc.go", "object.go"}, "doc.go and object.go changed"),
	Entry("three files", []string{"c.go", "a.go", "b.go"}, "a.go, b.go and c.go changed"),
	Entry("no file known", nil, "the lesson's folder changed"),
)
