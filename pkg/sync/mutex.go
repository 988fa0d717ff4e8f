package sync

import (
	stdsync "sync"

	"github.com/racekit/racekit/pkg/internal/lazy"
	"github.com/racekit/racekit/pkg/internal/schedhook"
)

// A Locker represents an object that can be locked and unlocked.
type Locker interface {
	Lock()
	Unlock()
}

// noCopy may be embedded into structs which must not be copied after first
// use; go vet's copylocks check reports copies.
type noCopy struct{}

func (*noCopy) Lock()   {}
func (*noCopy) Unlock() {}

// A Mutex is a mutual exclusion lock, the standard library's sync.Mutex
// seen by the scheduler. The zero value is an unlocked mutex.
//
// A Mutex must not be copied after first use: a copy is a lock of its own,
// which keeps nobody out of what the original guards.
//
// In the terminology of the Go memory model, the n'th call to Unlock
// "synchronizes before" the m'th call to Lock for any n < m, as for
// sync.Mutex. Under a controlled run, Lock, TryLock and Unlock are each a
// scheduling point recorded in the trace ("locks foo.mu"), and a goroutine
// whose Lock finds the mutex locked waits, as the trace shows, until
// another goroutine unlocks it.
type Mutex struct {
	_   noCopy
	mu  stdsync.Mutex            // the lock itself, in and out of runs
	run lazy.Pointer[mutexInRun] // made by every method, in and out of runs
}

// mutexInRun is a Mutex's state under a controlled run.
type mutexInRun struct {
	holder string // the goroutine of the run that locked mu; "" when free or locked outside runs
}

func (m *Mutex) op() schedhook.Op { return schedhook.Op{Obj: m, Kind: "mutex", Write: true} }

// Lock locks m. If the lock is already in use, the calling goroutine blocks
// until the mutex is available.
func (m *Mutex) Lock() {
	st := m.run.Get()
	g := schedhook.Goroutine()
	if g == nil {
		if schedhook.Stopped() {
			return
		}
		m.mu.Lock()
		return
	}
	op := m.op()
	op.Blocked = func() bool { return st.holder != "" }
	op.Waits = func() (string, string) { return "waits for", heldBy(st.holder) }
	g.Point(op)
	m.mu.Lock() // free: no goroutine of the run holds it
	st.holder = g.Name()
	g.Did(op, "locks", "")
}

// TryLock tries to lock m and reports whether it succeeded. Correct uses of
// TryLock are rare, as the standard library's documentation says.
func (m *Mutex) TryLock() bool {
	st := m.run.Get()
	g := schedhook.Goroutine()
	if g == nil {
		if schedhook.Stopped() {
			return true
		}
		return m.mu.TryLock()
	}
	op := m.op()
	g.Point(op)
	if !m.mu.TryLock() {
		g.Did(op, "tries to lock", ": taken"+heldBy(st.holder))
		return false
	}
	st.holder = g.Name()
	g.Did(op, "locks", " (TryLock)")
	return true
}

// Unlock unlocks m. It is a run-time error if m is not locked on entry to
// Unlock. A locked Mutex is not associated with a particular goroutine: one
// goroutine may lock it and another unlock it.
func (m *Mutex) Unlock() {
	st := m.run.Get()
	g := schedhook.Goroutine()
	if g == nil {
		if schedhook.Stopped() {
			return
		}
		st.holder = ""
		m.mu.Unlock()
		return
	}
	op := m.op()
	g.Point(op)
	if st.holder == "" && m.mu.TryLock() {
		// Only goroutines of the run use m now, one at a time: it was free.
		m.mu.Unlock()
		panic("sync: unlock of unlocked mutex")
	}
	st.holder = ""
	m.mu.Unlock()
	g.Did(op, "unlocks", "")
}

// heldBy says who holds a lock, for a trace line.
func heldBy(holder string) string {
	if holder == "" {
		return ""
	}
	return ", which " + holder + " holds"
}
