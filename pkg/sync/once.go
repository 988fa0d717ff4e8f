package sync

import (
	stdsync "sync"
	"sync/atomic"

	"github.com/racekit/racekit/pkg/internal/lazy"
	"github.com/racekit/racekit/pkg/internal/schedhook"
)

// Once is an object that will perform exactly one action, the standard
// library's sync.Once seen by the scheduler. The zero value is a Once that
// has not run its action.
//
// A Once must not be copied after first use. As with sync.Once, the return
// from f "synchronizes before" the return from any call of Do. Under a
// controlled run, Do is a scheduling point recorded in the trace, and so is
// the end of f; a goroutine that calls Do while another runs f waits, as the
// trace shows, until f returns.
type Once struct {
	_    noCopy
	done atomic.Bool             // f has returned (or panicked)
	m    stdsync.Mutex           // serialises the first calls outside runs; held while f runs
	run  lazy.Pointer[onceInRun] // made by every Do, in and out of runs
}

// onceInRun is a Once's state under a controlled run.
type onceInRun struct {
	running bool // a goroutine of the run is inside f
}

func (o *Once) op() schedhook.Op { return schedhook.Op{Obj: o, Kind: "once", Write: true} }

// Do calls f if and only if Do is being called for the first time for this
// instance of Once. Every other call waits until f has returned, then
// returns without calling it. If f panics, Do considers it returned.
func (o *Once) Do(f func()) {
	st := o.run.Get()
	g := schedhook.Goroutine()
	if g == nil {
		if schedhook.Stopped() {
			return
		}
		if o.done.Load() {
			return
		}
		o.m.Lock()
		defer o.m.Unlock()
		if !o.done.Load() {
			defer o.done.Store(true)
			f()
		}
		return
	}
	op := o.op()
	op.Blocked = func() bool { return st.running && !o.done.Load() }
	op.Waits = func() (string, string) { return "waits for", ": another goroutine runs its function" }
	g.Point(op)
	if o.done.Load() {
		g.Did(op, "finds", " done")
		return
	}
	st.running = true
	// Held while f runs, as outside runs (no other goroutine of the run
	// reaches it: running keeps them waiting), so that a Once looks the
	// same to fmt in and out of runs.
	o.m.Lock()
	defer o.m.Unlock() // last, even when the scheduler stops the run at fin
	g.Did(op, "runs the function of", "")
	defer func() {
		fin := o.op()
		g.Point(fin)
		st.running = false
		o.done.Store(true)
		g.Did(fin, "is done with", "")
	}()
	f()
}

// OnceFunc returns a function that invokes f only once. The returned
// function may be called concurrently. If f panics, the returned function
// panics with the same value on every call.
func OnceFunc(f func()) func() {
	var (
		once  Once
		valid bool
		p     any
	)
	g := func() {
		defer func() {
			p = recover()
			if !valid {
				panic(p)
			}
		}()
		f()
		f = nil
		valid = true
	}
	return func() {
		once.Do(g)
		if !valid {
			panic(p)
		}
	}
}

// OnceValue returns a function that invokes f only once and returns the
// value returned by f. The returned function may be called concurrently.
// If f panics, the returned function panics with the same value on every
// call.
func OnceValue[T any](f func() T) func() T {
	var (
		once   Once
		valid  bool
		p      any
		result T
	)
	g := func() {
		defer func() {
			p = recover()
			if !valid {
				panic(p)
			}
		}()
		result = f()
		f = nil
		valid = true
	}
	return func() T {
		once.Do(g)
		if !valid {
			panic(p)
		}
		return result
	}
}

// OnceValues returns a function that invokes f only once and returns the
// values returned by f. The returned function may be called concurrently.
// If f panics, the returned function panics with the same value on every
// call.
func OnceValues[T1, T2 any](f func() (T1, T2)) func() (T1, T2) {
	var (
		once  Once
		valid bool
		p     any
		r1    T1
		r2    T2
	)
	g := func() {
		defer func() {
			p = recover()
			if !valid {
				panic(p)
			}
		}()
		r1, r2 = f()
		f = nil
		valid = true
	}
	return func() (T1, T2) {
		once.Do(g)
		if !valid {
			panic(p)
		}
		return r1, r2
	}
}
