package sync

import (
	stdsync "sync"

	"github.com/racekit/racekit/pkg/internal/lazy"
	"github.com/racekit/racekit/pkg/internal/schedhook"
)

// An RWMutex is a reader/writer mutual exclusion lock, the standard
// library's sync.RWMutex seen by the scheduler: it can be held by any number
// of readers or a single writer. The zero value is an unlocked mutex.
//
// An RWMutex must not be copied after first use. As with sync.RWMutex, a
// reader must not take a second read lock while it holds one: with a
// writer waiting in between, that deadlocks in a real program. (Under a
// controlled run, a waiting writer does not keep new readers out, so the
// scheduler does not show that deadlock.)
//
// The happens-before promises are sync.RWMutex's. Under a controlled run,
// every method is a scheduling point recorded in the trace
// ("read-locks cache.mu"), and a goroutine that must wait tells the
// scheduler so.
type RWMutex struct {
	_   noCopy
	rw  stdsync.RWMutex            // the lock itself, in and out of runs
	run lazy.Pointer[rwMutexInRun] // made by every method, in and out of runs
}

// rwMutexInRun is an RWMutex's state under a controlled run.
type rwMutexInRun struct {
	writer  string // the goroutine of the run holding the write lock
	readers int    // read locks held by goroutines of the run
}

func (rw *RWMutex) op() schedhook.Op { return schedhook.Op{Obj: rw, Kind: "rwmutex", Write: true} }

// Lock locks rw for writing, blocking until no reader or writer holds it.
func (rw *RWMutex) Lock() {
	st := rw.run.Get()
	g := schedhook.Goroutine()
	if g == nil {
		if schedhook.Stopped() {
			return
		}
		rw.rw.Lock()
		return
	}
	op := rw.op()
	op.Blocked = func() bool { return st.writer != "" || st.readers > 0 }
	op.Waits = func() (string, string) { return "waits to write-lock", rw.held() }
	g.Point(op)
	rw.rw.Lock()
	st.writer = g.Name()
	g.Did(op, "write-locks", "")
}

// TryLock tries to lock rw for writing and reports whether it succeeded.
func (rw *RWMutex) TryLock() bool {
	st := rw.run.Get()
	g := schedhook.Goroutine()
	if g == nil {
		if schedhook.Stopped() {
			return true
		}
		return rw.rw.TryLock()
	}
	op := rw.op()
	g.Point(op)
	if !rw.rw.TryLock() {
		g.Did(op, "tries to write-lock", ": taken"+rw.held())
		return false
	}
	st.writer = g.Name()
	g.Did(op, "write-locks", " (TryLock)")
	return true
}

// Unlock unlocks rw for writing. It is a run-time error if rw is not locked
// for writing on entry to Unlock.
func (rw *RWMutex) Unlock() {
	st := rw.run.Get()
	g := schedhook.Goroutine()
	if g == nil {
		if schedhook.Stopped() {
			return
		}
		rw.rw.Unlock()
		return
	}
	op := rw.op()
	g.Point(op)
	if st.writer == "" && rw.rw.TryRLock() {
		rw.rw.RUnlock()
		panic("sync: Unlock of unlocked RWMutex")
	}
	st.writer = ""
	rw.rw.Unlock()
	g.Did(op, "write-unlocks", "")
}

// RLock locks rw for reading, blocking while a writer holds it or waits for
// it.
func (rw *RWMutex) RLock() {
	st := rw.run.Get()
	g := schedhook.Goroutine()
	if g == nil {
		if schedhook.Stopped() {
			return
		}
		rw.rw.RLock()
		return
	}
	op := rw.op()
	op.Blocked = func() bool { return st.writer != "" }
	op.Waits = func() (string, string) { return "waits to read-lock", rw.held() }
	g.Point(op)
	rw.rw.RLock()
	st.readers++
	g.Did(op, "read-locks", "")
}

// TryRLock tries to lock rw for reading and reports whether it succeeded.
func (rw *RWMutex) TryRLock() bool {
	st := rw.run.Get()
	g := schedhook.Goroutine()
	if g == nil {
		if schedhook.Stopped() {
			return true
		}
		return rw.rw.TryRLock()
	}
	op := rw.op()
	g.Point(op)
	if !rw.rw.TryRLock() {
		g.Did(op, "tries to read-lock", ": taken"+rw.held())
		return false
	}
	st.readers++
	g.Did(op, "read-locks", " (TryRLock)")
	return true
}

// RUnlock undoes a single RLock call. It is a run-time error if rw is not
// locked for reading on entry to RUnlock.
func (rw *RWMutex) RUnlock() {
	st := rw.run.Get()
	g := schedhook.Goroutine()
	if g == nil {
		if schedhook.Stopped() {
			return
		}
		rw.rw.RUnlock()
		return
	}
	op := rw.op()
	g.Point(op)
	if st.readers == 0 {
		panic("sync: RUnlock of unlocked RWMutex")
	}
	st.readers--
	rw.rw.RUnlock()
	g.Did(op, "read-unlocks", "")
}

// RLocker returns a Locker whose Lock and Unlock call rw.RLock and
// rw.RUnlock.
func (rw *RWMutex) RLocker() Locker { return (*rlocker)(rw) }

type rlocker RWMutex

func (r *rlocker) Lock()   { (*RWMutex)(r).RLock() }
func (r *rlocker) Unlock() { (*RWMutex)(r).RUnlock() }

// held says who holds rw, for a trace line.
func (rw *RWMutex) held() string {
	st := rw.run.Get()
	switch {
	case st.writer != "":
		return heldBy(st.writer) + " for writing"
	case st.readers == 1:
		return ", which a reader holds"
	case st.readers > 1:
		return ", which readers hold"
	}
	return ""
}
