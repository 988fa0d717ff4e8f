package globallock

import (
	"fmt"

	"github.com/racekit/racekit/pkg/sync"
	"github.com/racekit/racekit/pkg/vm"
)

// GIL is a global interpreter lock for the racekit VM: one lock for a whole
// interpreter, which a thread must hold to run bytecode or touch any of the
// interpreter's objects. At most one thread holds it at a time, and the GIL
// records which one, so that only that thread can release it.
//
// It is built the way CPython builds its GIL (Python/ceval_gil.c): a small
// mutex guards the note of who holds the GIL, and a thread that finds the
// GIL taken waits on a condition variable until the holder lets go. The
// mutex is held only for a moment at a time; the GIL itself stays held for
// as long as its holder runs bytecode. The mutex and the condition variable
// are the kit's sync, whose Lock, Unlock, Wait and Signal the specs'
// scheduler sees.
//
// A lock that does not record its owner cannot tell its holder from anyone
// else, so a stray Release by another thread lets a third one in while the
// holder is still running:
//
//	A: Acquire(A)        runs LOAD_GLOBAL foo ...
//	B: Release(B)        succeeds, and the GIL is free
//	C: Acquire(C)        runs POP_TOP on foo while A is still inside
//
// Release lets go of the GIL and clears the holder in one critical section.
// A Release that clears the holder in a second one, after the GIL is let
// go, can wipe the name of the thread that took the GIL in between:
//
//	A: Release(A)        lets go of the GIL
//	B: Acquire(B)        takes it, and records B as the holder
//	A:                   clears the holder: the GIL now names nobody
//	B: Release(B)        refused, and no thread can ever release the GIL
//
// Create GILs with NewGIL. A GIL must not be copied after first use. Its
// methods are safe for concurrent use; a Release happens before the Acquire
// that it lets return.
type GIL struct {
	mu     sync.Mutex // guards holder; held only inside the methods below
	free   sync.Cond  // signalled when holder becomes nil; its L is &mu
	holder *vm.Thread // the thread that holds the GIL; nil while it is free
}

// The VM takes any vm.Lock as its interpreter lock.
var _ vm.Lock = (*GIL)(nil)

// NewGIL returns a GIL that no thread holds.
func NewGIL() *GIL {
	g := &GIL{}
	g.free.L = &g.mu
	return g
}

// Acquire blocks until no thread holds the GIL, then takes it for t.
func (g *GIL) Acquire(t *vm.Thread) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for g.holder != nil {
		g.free.Wait() // lets go of mu while it waits, and takes it back
	}
	g.holder = t
}

// Release lets go of the GIL, which t holds, and wakes one thread waiting
// in Acquire. If t does not hold the GIL, Release changes nothing and
// returns an error wrapping vm.ErrNotHolder.
func (g *GIL) Release(t *vm.Thread) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if t == nil || g.holder != t {
		return fmt.Errorf("globallock: thread %s cannot release the GIL, which %s holds: %w", t.Name(), g.holder.Name(), vm.ErrNotHolder)
	}
	g.holder = nil
	g.free.Signal()
	return nil
}

// Holder returns the thread that holds the GIL, or nil while it is free.
func (g *GIL) Holder() *vm.Thread {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.holder
}
