package interleavetest_test

import (
	"errors"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/interleave/interleavetest"
)

var _ = Describe("Hammer", func() {
	// hammerError is the *HammerError err must be.
	hammerError := func(err error) *interleavetest.HammerError {
		GinkgoHelper()
		var he *interleavetest.HammerError
		Expect(errors.As(err, &he)).To(BeTrue(), "Run's errors are *HammerError, got %v", err)
		return he
	}

	It("runs every iteration on every goroutine, numbering both, and the caller sees what the bodies wrote", func() {
		ran := make([][]int, 3) // ran[g]: the iterations goroutine g ran, in order; only g writes it
		err := interleavetest.Hammer{Goroutines: 3, Iterations: 4}.Run(func(g, i int) { ran[g] = append(ran[g], i) })
		Expect(err).NotTo(HaveOccurred(), "every goroutine runs its loop to the end")
		Expect(ran).To(Equal([][]int{{0, 1, 2, 3}, {0, 1, 2, 3}, {0, 1, 2, 3}}),
			"each goroutine runs iterations 0 to 3 in order, and its writes are synchronized before Run returns")
	})

	It("runs the goroutines at the same time", func() {
		arrived := []chan struct{}{make(chan struct{}), make(chan struct{})}
		err := interleavetest.Hammer{Goroutines: 2, Iterations: 1}.Run(func(g, _ int) {
			close(arrived[g])
			<-arrived[1-g] // returns only once the other goroutine is in its loop too
		})
		Expect(err).NotTo(HaveOccurred(), "each goroutine waits for the other inside the loop, which only works if both run at once")
	})

	It("reports a goroutine that ended by runtime.Goexit, naming it and the iteration, although its deferred calls ran", func() {
		deferred := false
		err := interleavetest.Hammer{Goroutines: 2, Iterations: 5}.Run(func(g, i int) {
			if g == 1 && i == 3 {
				defer func() { deferred = true }()
				runtime.Goexit()
			}
		})
		he := hammerError(err)
		Expect(he.Hung).To(BeFalse(), "Run returned at once, not at the bound")
		Expect(he.Panicked).To(BeFalse(), "Goexit is not a panic")
		Expect([]int{he.G, he.I}).To(Equal([]int{1, 3}), "goroutine 1 stopped in iteration 3")
		Expect(he.Finished[1]).To(Equal(3), "goroutine 1 finished iterations 0 to 2")
		Expect(deferred).To(BeTrue(), "Goexit runs the deferred calls, as a return would: that is what fools a hand-written hammer")
		Expect(err).To(MatchError("interleavetest: hammer goroutine 1 ended in iteration 3 of 5 without finishing its loop, and " +
			"without a panic: something it called ran runtime.Goexit (t.FailNow calls it too). Its deferred calls ran as if it " +
			"had returned, but the code it was to run at the same time as the others never ran, so neither the race detector " +
			"nor the checks after the loop could see it. Code under test must return to its caller"))
	})

	It("recovers a panic and reports it with its value, a panic(nil) too", func() {
		err := interleavetest.Hammer{Goroutines: 1, Iterations: 5}.Run(func(_, i int) {
			if i == 2 {
				panic("boom")
			}
		})
		he := hammerError(err)
		Expect(he.Panicked).To(BeTrue(), "a panic is reported as one")
		Expect(he.Value).To(Equal("boom"))
		Expect(err).To(MatchError("interleavetest: hammer goroutine 0 panicked in iteration 2 of 5: boom"))

		err = interleavetest.Hammer{Goroutines: 1, Iterations: 1}.Run(func(int, int) { panic(nil) })
		Expect(hammerError(err).Panicked).To(BeTrue(), "panic(nil) is a panic, not a Goexit")
	})

	It("stops the other goroutines after the iteration they are in once one has stopped, without waiting for them", func() {
		var others atomic.Int64 // iterations the other goroutines ran
		err := interleavetest.Hammer{Goroutines: 3, Iterations: math.MaxInt32}.Run(func(g, _ int) {
			if g == 0 {
				runtime.Goexit()
			}
			others.Add(1)
			runtime.Gosched()
		})
		Expect(hammerError(err).G).To(Equal(0), "goroutine 0 stopped early")
		Eventually(func() int64 {
			before := others.Load()
			time.Sleep(10 * time.Millisecond)
			return others.Load() - before
		}).Should(BeZero(), "the other goroutines stop instead of running their loops to the end")
	})

	It("reports goroutines that do not finish within the bound, with how far each got, and leaves them behind", func() {
		release := make(chan struct{})
		var left sync.WaitGroup
		left.Add(1)
		err := interleavetest.HammerWithin(interleavetest.Hammer{Goroutines: 2, Iterations: 3}, 20*time.Millisecond).Run(func(g, i int) {
			if g == 1 && i == 1 {
				defer left.Done()
				<-release // stuck until the spec lets it go
			}
		})
		he := hammerError(err)
		Expect(he.Hung).To(BeTrue(), "the bound ran out")
		Expect(he.Finished).To(Equal([]int{3, 1}), "goroutine 0 finished, goroutine 1 is stuck in iteration 1")
		Expect(err).To(MatchError("interleavetest: the hammer's 2 goroutines did not finish their 3 iterations each within 20ms " +
			"(iterations finished, goroutine by goroutine: [3 1]): the code under test probably deadlocked, or waits for something that never comes"))
		Expect(he.GomegaString()).To(Equal("iterations finished, goroutine by goroutine: [3 1] of 3"),
			"what Gomega shows after the message")
		close(release)
		left.Wait()
	})

	It("panics when it has no goroutine, no iteration or no body", func() {
		msg := "interleavetest: a Hammer needs at least one goroutine and one iteration, got 0 and 0"
		Expect(func() { _ = interleavetest.Hammer{}.Run(func(int, int) {}) }).To(PanicWith(msg), "the zero value is not usable")
		Expect(func() { _ = interleavetest.Hammer{Goroutines: 1, Iterations: 1}.Run(nil) }).To(
			PanicWith("interleavetest: Hammer.Run called with a nil body"), "a nil body is a mistake of the spec")
	})
})
