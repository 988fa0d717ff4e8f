package interleavetest

import "time"

// HangBound is how long [Returns] waits for a call before giving up on it.
// It only turns a hang (a lock that is never unlocked, or a mutex locked
// twice by one goroutine) into a failure with a message; it never decides
// whether correct code passes, which returns in milliseconds at most, even
// under -race on one processor.
const HangBound = 10 * time.Second

// Returns calls f on a goroutine of its own and reports whether f returned
// within [HangBound]. Specs call code that may hang through it, so that a
// hang fails the spec with the lesson's message instead of stalling the
// suite until go test's own timeout.
//
// When f does not return in time, Returns reports false and leaves f's
// goroutine behind, still blocked: nothing can stop it, and whatever it
// holds (a lock, say) stays held, so a later call that needs the same thing
// hangs too. A caller may stop calling after the first false.
//
// f runs on another goroutine, so a panic in f is not recovered by the
// caller's deferred calls: like any goroutine's panic, it ends the program
// unless f recovers it itself. In a Ginkgo spec, an f that makes assertions
// must defer GinkgoRecover(), as any goroutine a spec starts must.
//
// f must return: if it ends its goroutine with runtime.Goexit instead, which
// runs its deferred calls as if it had finished, Returns panics in the
// caller's goroutine with a message saying so, which in a Ginkgo spec fails
// the spec.
//
// Returns keeps no state: any number of goroutines may call it at once, and
// each call waits only for its own f. In the terminology of the Go memory
// model, the return from f is synchronized before Returns returns true, so
// the caller may read what f wrote; when it returns false, nothing f does is
// synchronized with the caller, and reading what f writes is a data race.
//
// Returns panics if f is nil.
func Returns(f func()) bool { return returnsWithin(HangBound, f) }

// GoexitMessage is the panic value of [Returns] when f called
// runtime.Goexit.
const GoexitMessage = "interleavetest: the function called runtime.Goexit instead of returning; " +
	"its deferred calls ran as if it had finished, but the code after the Goexit never ran"

// returnsWithin is Returns with the bound given.
func returnsWithin(bound time.Duration, f func()) bool {
	if f == nil {
		panic("interleavetest: Returns called with a nil func")
	}
	done := make(chan bool, 1) // true: f returned; false: it called runtime.Goexit
	go func() {
		returned := false
		defer func() {
			if !returned {
				if p := recover(); p != nil {
					panic(p) // f's own panic goes on as if nothing had caught it
				}
			}
			done <- returned
		}()
		f()
		returned = true
	}()
	select {
	case returned := <-done:
		if !returned {
			panic(GoexitMessage)
		}
		return true
	case <-time.After(bound):
		return false
	}
}
