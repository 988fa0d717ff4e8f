package vm

import (
	"errors"
	"fmt"
	"sync"

	"github.com/racekit/racekit/pkg/internal/schedhook"
)

// UserLock is a lock that bytecode takes and lets go of, the counterpart
// of Python's threading.Lock: a program makes one with the builtin lock(),
// takes it with acquire(l) and lets go of it with release(l), and no two
// threads hold it at once. It guards what the program says it guards, a
// sequence of instructions, which the interpreter lock does not: the GIL
// can change hands between any two eval-breaker checks.
//
// A thread waiting for a UserLock should not hold the GIL: the thread
// holding the UserLock may need the GIL to get to its release. [AcquireLock]
// releases the GIL around the wait, as CPython's lock.acquire() does.
//
// Like threading.Lock it belongs to no thread: any thread may release it,
// and releasing it while it is free is an error. Acquire and Release are
// safe for concurrent use and need not be called with the GIL held: the
// lock is a Go value of its own, not an object of the interpreter. A
// Release happens before the Acquire that next returns.
//
// Under a controlled run (package interleave) Acquire, TryAcquire and
// Release are scheduling points, the trace shows them ("acquires l"), and
// a thread whose Acquire finds the lock taken waits, as the trace shows,
// until it is released; the wait names the holder and the instruction the
// waiter is at ("waits for l, which A holds (B is at CALL_BUILTIN acquire
// 1)"). The trace calls the lock "lock #1", "lock #2"... unless the run
// named it with Run.Name.
//
// Create UserLocks with NewUserLock; a UserLock must not be copied.
type UserLock struct {
	slot chan struct{} // holds a token while the lock is held; read-only

	mu     sync.Mutex // guards holder; held only briefly
	holder *Thread    // the thread that took the lock, nil while it is free
}

// NewUserLock returns a free lock.
func NewUserLock() *UserLock { return &UserLock{slot: make(chan struct{}, 1)} }

// op is an operation on l, for the scheduler of a controlled run: every
// one changes the lock, so any two conflict.
func (l *UserLock) op() schedhook.Op { return schedhook.Op{Obj: l, Kind: "lock", Write: true} }

// Acquire blocks until the lock is free, then takes it for t. It does not
// touch the GIL: call it with the GIL released, or the thread holding the
// lock may wait for the GIL while t waits for the lock, for ever.
func (l *UserLock) Acquire(t *Thread) {
	g := schedhook.Goroutine()
	if g == nil {
		if schedhook.Stopped() {
			return
		}
		l.slot <- struct{}{}
		l.setHolder(t)
		return
	}
	op := l.op()
	op.Blocked = func() bool { return len(l.slot) > 0 }
	op.Waits = func() (string, string) {
		return "waits for", fmt.Sprintf(", which %s holds (%s)", l.Holder().Name(), where(t))
	}
	g.Point(op) // let go only once the lock is free
	l.slot <- struct{}{}
	l.setHolder(t)
	g.Did(op, "acquires", "")
}

// TryAcquire takes the lock for t if it is free, and reports whether it
// did; it never waits.
func (l *UserLock) TryAcquire(t *Thread) bool {
	g := schedhook.Goroutine()
	if g == nil && schedhook.Stopped() {
		return false
	}
	op := l.op()
	if g != nil {
		g.Point(op)
	}
	select {
	case l.slot <- struct{}{}:
	default:
		if g != nil {
			g.Did(op, "tries to acquire", ": taken, "+l.Holder().Name()+" holds it")
		}
		return false
	}
	l.setHolder(t)
	if g != nil {
		g.Did(op, "acquires", " (TryAcquire)")
	}
	return true
}

// Release lets go of the lock, on behalf of t; any thread may release it.
// It returns an error, changing nothing, when the lock is free.
func (l *UserLock) Release(t *Thread) error {
	g := schedhook.Goroutine()
	if g == nil && schedhook.Stopped() {
		return nil
	}
	op := l.op()
	if g != nil {
		g.Point(op)
	}
	l.mu.Lock()
	if len(l.slot) == 0 {
		l.mu.Unlock()
		return errors.New("release unlocked lock")
	}
	l.holder = nil
	<-l.slot
	l.mu.Unlock()
	if g != nil {
		g.Did(op, "releases", "")
	}
	return nil
}

// Holder returns the thread that holds the lock, or nil while it is free.
func (l *UserLock) Holder() *Thread {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.holder
}

func (l *UserLock) setHolder(t *Thread) {
	l.mu.Lock()
	l.holder = t
	l.mu.Unlock()
}

// where says where thread t is, for a controlled run's report of a wait:
// "B is at CALL_BUILTIN acquire 1".
func where(t *Thread) string {
	if in := t.Instr(); in != "" {
		return t.Name() + " is at " + in
	}
	return t.Name() + " has not run an instruction yet"
}

// UserLock returns o's lock if it is one, else an error naming its type.
// With CheckGIL it panics if t does not hold the GIL.
func (t *Thread) UserLock(o *Object) (*UserLock, error) {
	t.touch(o)
	if o.kind != LockKind {
		return nil, fmt.Errorf("want a lock, got %s %s", o.kind, o.repr())
	}
	return o.lock, nil
}

// MakeLock is the builtin lock(), threading.Lock(): it returns a new,
// free lock.
func MakeLock(t *Thread, args []*Object) (*Object, error) {
	if len(args) != 0 {
		return nil, fmt.Errorf("lock takes no arguments; got %d", len(args))
	}
	return t.NewObject(NewUserLock()), nil
}

// AcquireLock is the builtin acquire(l), lock.acquire(): it waits until
// the lock l is free and takes it, returning None. As CPython does, it
// first tries to take the lock without waiting; when that fails it
// releases the GIL for the wait, so that the thread holding l can run on
// and release it, and takes the GIL back once it holds l.
func AcquireLock(t *Thread, args []*Object) (*Object, error) {
	l, err := oneLock(t, "acquire", args)
	if err != nil {
		return nil, err
	}
	if l.TryAcquire(t) {
		return nil, nil
	}
	t.ReleaseGIL()
	l.Acquire(t)
	t.AcquireGIL()
	return nil, nil
}

// ReleaseLock is the builtin release(l), lock.release(): it lets go of the
// lock l and returns None. Releasing a free lock is an error
// ("release unlocked lock", as Python's RuntimeError says).
func ReleaseLock(t *Thread, args []*Object) (*Object, error) {
	l, err := oneLock(t, "release", args)
	if err != nil {
		return nil, err
	}
	return nil, l.Release(t)
}

func oneLock(t *Thread, name string, args []*Object) (*UserLock, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("%s takes one argument, a lock; got %d", name, len(args))
	}
	return t.UserLock(args[0])
}
