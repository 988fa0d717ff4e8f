package convoy

import (
	"fmt"
	"time"

	"github.com/racekit/racekit/pkg/sync"
	"github.com/racekit/racekit/pkg/vm"
)

// DefaultInterval is the switch interval of a GIL made with NewGIL(0):
// CPython's default, sys.getswitchinterval() == 0.005.
const DefaultInterval = 5 * time.Millisecond

// GIL is the global interpreter lock of the racekit VM, CPython 3.2's "new
// GIL" (take_gil and drop_gil in Python/ceval_gil.c): a thread must hold it
// to run bytecode, and at most one thread holds it at a time.
//
//   - A thread that finds the GIL held waits for it one switch interval at
//     a time (Cond.WaitTimeout, CPython's COND_TIMED_WAIT). When a round
//     timed out, the GIL is still held and it did not change hands
//     meanwhile, the waiter asks the holder to drop it (gil_drop_request).
//   - The VM asks DropRequested at every eval-breaker check; the holder
//     that was asked drops the GIL there.
//   - Forced switching (FORCE_SWITCHING): a thread that dropped the GIL on
//     request waits, inside Release, until another thread has taken it, so
//     that it cannot win it straight back as the old GIL's holder did.
//   - Taking the GIL clears the request; a take by a thread other than the
//     last holder is a switch, and switches are counted (switch_number).
//
// Without forced switching the request is wasted: the thread that dropped
// the GIL is still running, and takes it back before the waiter wakes up,
//
//	A: DropRequested(A) true; Release(A)   wakes B
//	A: Acquire(A)                          the GIL is free: A takes it again
//	B: wakes up                            A holds it: B waits another interval
//
// Create GILs with NewGIL. A GIL must not be copied after first use. Its
// methods are safe for concurrent use; a Release happens before the
// Acquire that it lets return.
type GIL struct {
	mu          sync.Mutex    // guards the fields below; held only inside the methods
	free        sync.Cond     // signalled when the GIL is released; its L is &mu
	switched    sync.Cond     // broadcast when the GIL changes hands; its L is &mu
	holder      *vm.Thread    // the thread that holds the GIL; nil while it is free
	last        *vm.Thread    // the thread that took the GIL last (last_holder); nil before the first take
	switches    int           // takes by a thread other than last (the first take is not counted)
	dropRequest *vm.Thread    // the holder a waiter asked to drop the GIL; nil when nobody asked
	interval    time.Duration // the switch interval; read-only
}

// The VM takes any vm.Lock as its interpreter lock, and asks a lock that is
// also a vm.DropRequester, at every eval-breaker check, whether the running
// thread should drop it.
var (
	_ vm.Lock          = (*GIL)(nil)
	_ vm.DropRequester = (*GIL)(nil)
)

// NewGIL returns a GIL that no thread holds, with the given switch
// interval: how long a waiting thread waits before it asks the holder to
// drop the GIL, like sys.setswitchinterval. 0 means DefaultInterval.
func NewGIL(interval time.Duration) *GIL {
	if interval <= 0 {
		interval = DefaultInterval
	}
	g := &GIL{interval: interval}
	g.free.L = &g.mu
	g.switched.L = &g.mu
	return g
}

// Acquire blocks until t holds the GIL: take_gil. While another thread
// holds it, t waits one switch interval at a time, and after a round that
// timed out with no switch, asks the holder to drop the GIL.
func (g *GIL) Acquire(t *vm.Thread) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for g.holder != nil {
		saved := g.switches
		if g.free.WaitTimeout(g.interval) && g.holder != nil && g.switches == saved {
			g.dropRequest = g.holder // SET_GIL_DROP_REQUEST
		}
	}
	g.holder = t
	if g.last != t {
		if g.last != nil {
			g.switches++
		}
		g.last = t
		g.switched.Broadcast() // the thread that dropped the GIL on request may go on
	}
	g.dropRequest = nil // RESET_GIL_DROP_REQUEST: it was made of the previous holder
}

// DropRequested reports whether a waiter has asked t, the holder, to drop
// the GIL: the VM asks it at every eval-breaker check, and drops the GIL
// when it reports true. A thread alone is never asked.
func (g *GIL) DropRequested(t *vm.Thread) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.holder == t && g.dropRequest == t
}

// Release lets go of the GIL, which t holds, and wakes a waiter: drop_gil.
// When t drops it on request, Release then waits until another thread has
// taken it (forced switching). If t does not hold the GIL, Release changes
// nothing and returns an error wrapping vm.ErrNotHolder.
func (g *GIL) Release(t *vm.Thread) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if t == nil || g.holder != t {
		return fmt.Errorf("convoy: thread %s cannot release the GIL, which %s holds: %w", t.Name(), g.holder.Name(), vm.ErrNotHolder)
	}
	onRequest := g.dropRequest == t
	g.holder = nil
	g.free.Signal()
	for onRequest && g.last == t {
		g.switched.Wait()
	}
	return nil
}

// Holder returns the thread that holds the GIL, or nil while it is free.
func (g *GIL) Holder() *vm.Thread {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.holder
}

// Switches returns how many times the GIL changed hands: how often a thread
// took it that was not the last one to hold it (CPython's switch_number,
// without the first take).
func (g *GIL) Switches() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.switches
}
