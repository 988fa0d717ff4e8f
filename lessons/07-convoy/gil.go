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

// GIL is the global interpreter lock of the racekit VM: a thread must hold
// it to run bytecode, and at most one thread holds it at a time.
//
// As it stands it is the old GIL of CPython 2. The VM asks DropRequested at
// every eval-breaker check, and it always says yes, so the running thread
// drops the GIL and takes it straight back. Release wakes the waiters but
// hands the GIL to nobody, and the thread that let go is still running
// while they wake up: it wins the GIL back, check after check, and a thread
// that wants the GIL back after a blocking call waits until the running
// thread has nothing left to compute. That is the convoy.
//
// Make it the new GIL of CPython 3.2 (Python/ceval_gil.c): a waiter waits
// one switch interval, then asks the holder to drop the GIL; the holder
// drops it at its next check, and cannot take it back before another
// thread has had it; the switches are counted.
//
// Create GILs with NewGIL. A GIL must not be copied after first use. Its
// methods are safe for concurrent use: the VM calls them from every thread
// of the interpreter.
type GIL struct {
	mu       sync.Mutex    // guards the fields below
	free     sync.Cond     // broadcast when the GIL is released; its L is &mu
	holder   *vm.Thread    // the thread that holds the GIL; nil while it is free
	last     *vm.Thread    // the thread that took the GIL last; nil before the first take
	switches int           // takes by a thread other than last (the first take is not counted)
	interval time.Duration // the switch interval; read-only
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
	return g
}

// Acquire blocks until no thread holds the GIL, then takes it for t.
//
// For now it waits, for as long as it takes, until a Release wakes it and
// the GIL is free; whoever gets there first takes it.
func (g *GIL) Acquire(t *vm.Thread) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for g.holder != nil {
		g.free.Wait()
	}
	g.holder = t
	if g.last != t {
		if g.last != nil {
			g.switches++
		}
		g.last = t
	}
}

// DropRequested reports whether t, which holds the GIL, should drop it
// now: the VM asks it at every eval-breaker check, and when it reports
// true, releases the GIL and acquires it again.
//
// For now it always does, as CPython 2 dropped its lock every 100 ticks,
// whether or not anyone waited for it.
func (g *GIL) DropRequested(t *vm.Thread) bool {
	return true
}

// Release lets go of the GIL, which t holds, and wakes the threads waiting
// for it. If t does not hold the GIL, Release changes nothing and returns
// an error wrapping vm.ErrNotHolder.
//
// For now it hands the GIL to nobody: the thread that lets go, which is
// still running, usually takes it back before a woken waiter gets there.
func (g *GIL) Release(t *vm.Thread) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if t == nil || g.holder != t {
		return fmt.Errorf("convoy: thread %s cannot release the GIL, which %s holds: %w", t.Name(), g.holder.Name(), vm.ErrNotHolder)
	}
	g.holder = nil
	g.free.Broadcast()
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
