package vm

import (
	"errors"
	"fmt"
	"sync/atomic"
)

// Lock is an interpreter lock, the GIL: a thread must hold it to run
// bytecode or touch an object of the interpreter.
//
// The VM calls Acquire before a thread runs its first instruction and after
// every wait that released the lock, and Release when the thread finishes,
// before a blocking builtin waits, and at eval-breaker checks (see
// [DropRequester]). Acquire blocks until t holds the lock. Release lets go of
// a lock that t holds and returns an error, changing nothing, when t does not
// hold it.
//
// Implementations must be safe for concurrent use; the VM calls them from
// every thread of the interpreter. A Release by a thread happens before the
// Acquire that next returns in another thread.
type Lock interface {
	Acquire(t *Thread)
	Release(t *Thread) error
}

// DropRequester is implemented by locks that decide when the thread holding
// them should let go, as CPython 3.2's GIL does with its drop request.
//
// At every eval-breaker check (every Config.CheckInterval instructions) the
// VM asks the lock's DropRequested, on the holding thread t; when it reports
// true the thread releases the lock and acquires it again. A lock that does
// not implement DropRequester is dropped and re-taken at every check, as
// CPython 2's GIL was every 100 instructions.
type DropRequester interface {
	DropRequested(t *Thread) bool
}

// ErrNotHolder is wrapped by errors of locks released by a thread that does
// not hold them.
var ErrNotHolder = errors.New("released by a thread that does not hold it")

// chanLock is the lock an interpreter uses when Config.Lock is nil: a
// channel of capacity one (so that it works inside a testing/synctest
// bubble) and the thread that holds it. It asks its holder to drop it at an
// eval-breaker check only when another thread waits for it.
type chanLock struct {
	slot    chan struct{}          // holds a token while the lock is held
	holder  atomic.Pointer[Thread] // the holder; nil while free
	waiters atomic.Int32           // threads blocked in Acquire
}

func newChanLock() *chanLock { return &chanLock{slot: make(chan struct{}, 1)} }

func (l *chanLock) Acquire(t *Thread) {
	select {
	case l.slot <- struct{}{}:
	default:
		l.waiters.Add(1)
		l.slot <- struct{}{}
		l.waiters.Add(-1)
	}
	l.holder.Store(t)
}

func (l *chanLock) DropRequested(*Thread) bool { return l.waiters.Load() > 0 }

func (l *chanLock) Release(t *Thread) error {
	if h := l.holder.Load(); h != t {
		return fmt.Errorf("vm: the interpreter lock %w: thread %s released it while %s holds it", ErrNotHolder, t.Name(), h.Name())
	}
	l.holder.Store(nil)
	<-l.slot
	return nil
}
