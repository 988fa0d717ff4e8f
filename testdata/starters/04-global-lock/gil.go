package globallock

import "github.com/racekit/racekit/pkg/vm"

// GIL is meant to be a global interpreter lock for the racekit VM: one lock
// for a whole interpreter, which a thread must hold to run bytecode or touch
// any of the interpreter's objects. At most one thread may hold it at a
// time, and it must record which one, so that only that thread can release
// it.
//
// As it stands it is no lock at all: Acquire lets every thread in at once,
// Release accepts anyone, and Holder knows nobody. Make it a lock.
//
// Create GILs with NewGIL. Its methods must be safe for concurrent use: the
// VM calls them from every thread of the interpreter.
//
// Build it from the kit's sync (import "github.com/racekit/racekit/pkg/sync"):
// the standard library's sync.Mutex, sync.Cond and the rest, with the same
// API, whose every Lock, Unlock, Wait and Signal the specs' scheduler sees.
type GIL struct {
	// What does a lock need to remember? Who holds it, for one; and
	// something that makes the other threads wait.
}

// The VM takes any vm.Lock as its interpreter lock.
var _ vm.Lock = (*GIL)(nil)

// NewGIL returns a GIL that no thread holds.
func NewGIL() *GIL {
	return &GIL{}
}

// Acquire blocks until no thread holds the GIL, then takes it for t.
//
// It returns at once for now, even while another thread is running
// bytecode.
func (g *GIL) Acquire(t *vm.Thread) {
}

// Release lets go of the GIL, which t holds, so that a thread waiting in
// Acquire can take it. If t does not hold the GIL, Release must change
// nothing and return an error wrapping vm.ErrNotHolder.
//
// It accepts any thread for now, and there is nothing to let go of.
func (g *GIL) Release(t *vm.Thread) error {
	return nil
}

// Holder returns the thread that holds the GIL, or nil while it is free.
//
// It knows nobody for now.
func (g *GIL) Holder() *vm.Thread {
	return nil
}
