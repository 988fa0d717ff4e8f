package interleavetest

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// A Hammer runs one loop on several goroutines at once, for real: without
// the scheduler of package interleave, so that `go test -race` sees the code
// under test touch memory from goroutines that really overlap (the
// scheduler's runs are synchronised through channels, which the race
// detector counts as ordering everything). A lesson's spec ends with one:
//
//	err := interleavetest.Hammer{Goroutines: 8, Iterations: 1000}.Run(func(g, i int) {
//		foo.IncRef()
//		runtime.Gosched()
//		foo.DecRef()
//	})
//	Expect(err).NotTo(HaveOccurred(), "...")
//
// Run counts the iterations each goroutine finished, and fails, with a
// [*HammerError] that says which, when the loop did not run to its end on
// every goroutine:
//
//   - a goroutine panicked: the code under test panicked, or an assertion
//     in the body failed (a Ginkgo assertion records its own message first,
//     and Ginkgo reports that one);
//   - a goroutine ended without finishing its loop and without a panic: the
//     body called runtime.Goexit, directly or through testing.T.FailNow.
//     Its deferred calls ran as if it had returned (a WaitGroup's Done, a
//     GinkgoRecover), so a hand-written hammer takes it for finished,
//     although the race it was there to exercise never ran. Code under test
//     must return to its caller, and a Hammer says so;
//   - the goroutines did not all finish within [HangBound]: the code under
//     test probably deadlocked. The bound only turns a hang into a failure;
//     correct code finishes in milliseconds.
//
// A Hammer is plain data, and its zero value is not usable: Run panics
// unless Goroutines and Iterations are both 1 or more. Run keeps no state
// between calls, so any number of goroutines may call Run, on one Hammer or
// several, at once. In the terminology of the Go memory model, every call of
// body is synchronized before Run returns nil, so the caller may then read
// what the bodies wrote; when Run returns an error, some goroutines may still
// be running (see Run), and reading what they write is a data race.
type Hammer struct {
	Goroutines int // how many goroutines run the loop at once
	Iterations int // how many times each goroutine calls the body

	bound time.Duration // how long Run waits; 0 means HangBound (set by the package's tests)
}

// Run starts h.Goroutines goroutines, each calling body(g, i) for i from 0
// to h.Iterations-1, g being the goroutine's number, from 0; it waits until
// every goroutine has finished its loop, and returns nil.
//
// Once a goroutine stops before the end of its loop (a panic, which Run
// recovers, or runtime.Goexit), Run returns a *HammerError at once, and the
// other goroutines stop after the iteration they are in: Run does not wait
// for them, as they may be waiting for something the stopped goroutine
// held. When the goroutines have not all finished within HangBound, Run
// returns a *HammerError too, leaving them behind: nothing can stop a
// goroutine that is stuck.
func (h Hammer) Run(body func(g, i int)) error {
	if h.Goroutines < 1 || h.Iterations < 1 {
		panic(fmt.Sprintf("interleavetest: a Hammer needs at least one goroutine and one iteration, got %d and %d", h.Goroutines, h.Iterations))
	}
	if body == nil {
		panic("interleavetest: Hammer.Run called with a nil body")
	}
	bound := h.bound
	if bound == 0 {
		bound = HangBound
	}
	finished := make([]atomic.Int64, h.Goroutines) // iterations each goroutine finished
	var stop atomic.Bool                           // set when a goroutine stopped early: the others stop too
	stopped := make(chan *HammerError, h.Goroutines)
	var wg sync.WaitGroup
	for g := range h.Goroutines {
		wg.Add(1)
		go func() {
			returned := false
			defer wg.Done()
			defer func() {
				if returned {
					return
				}
				// A panic, or runtime.Goexit: recover returns nil only for
				// the latter (since Go 1.21, panic(nil) panics with a
				// *runtime.PanicNilError).
				p := recover()
				stop.Store(true)
				stopped <- &HammerError{Goroutines: h.Goroutines, Iterations: h.Iterations, G: g,
					I: int(finished[g].Load()), Panicked: p != nil, Value: p}
			}()
			for i := range h.Iterations {
				if stop.Load() {
					break
				}
				body(g, i)
				finished[g].Add(1)
			}
			returned = true
		}()
	}
	all := make(chan struct{})
	go func() {
		wg.Wait()
		close(all)
	}()
	timeout := time.NewTimer(bound)
	defer timeout.Stop()
	select {
	case e := <-stopped:
		e.Finished = counts(finished)
		return e
	case <-all:
		select {
		case e := <-stopped: // a goroutine stopped, and the others then finished
			e.Finished = counts(finished)
			return e
		default:
			return nil
		}
	case <-timeout.C:
		return &HammerError{Goroutines: h.Goroutines, Iterations: h.Iterations, Hung: true, Bound: bound, Finished: counts(finished)}
	}
}

// counts reads the iterations each goroutine finished.
func counts(finished []atomic.Int64) []int {
	out := make([]int, len(finished))
	for g := range finished {
		out[g] = int(finished[g].Load())
	}
	return out
}

// HammerError is how a [Hammer]'s run failed: a goroutine stopped before the
// end of its loop, or the goroutines did not all finish in time. Its
// message names the goroutine and the iteration, or lists how far each got.
type HammerError struct {
	Goroutines, Iterations int   // the Hammer's
	Finished               []int // Finished[g] is how many iterations goroutine g had finished when Run returned

	// Hung reports that the goroutines had not all finished within Bound;
	// G, I, Panicked and Value are then unset.
	Hung  bool
	Bound time.Duration

	G, I     int  // the goroutine that stopped early, and the iteration it stopped in
	Panicked bool // it panicked, with Value; otherwise it ended by runtime.Goexit
	Value    any
}

func (e *HammerError) Error() string {
	switch {
	case e.Hung:
		return fmt.Sprintf("interleavetest: the hammer's %d goroutines did not finish their %d iterations each within %v "+
			"(iterations finished, goroutine by goroutine: %v): the code under test probably deadlocked, or waits for something that never comes",
			e.Goroutines, e.Iterations, e.Bound, e.Finished)
	case e.Panicked:
		return fmt.Sprintf("interleavetest: hammer goroutine %d panicked in iteration %d of %d: %v", e.G, e.I, e.Iterations, e.Value)
	}
	return fmt.Sprintf("interleavetest: hammer goroutine %d ended in iteration %d of %d without finishing its loop, and "+
		"without a panic: something it called ran runtime.Goexit (t.FailNow calls it too). Its deferred calls ran as if "+
		"it had returned, but the code it was to run at the same time as the others never ran, so neither the race "+
		"detector nor the checks after the loop could see it. Code under test must return to its caller",
		e.G, e.I, e.Iterations)
}

// GomegaString is how Gomega shows the error after its message: how far
// each goroutine got.
func (e *HammerError) GomegaString() string {
	return fmt.Sprintf("iterations finished, goroutine by goroutine: %v of %d", e.Finished, e.Iterations)
}
