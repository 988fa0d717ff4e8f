package gil

import (
	"time"

	"github.com/racekit/racekit/pkg/interleave"
	"github.com/racekit/racekit/pkg/internal/lazy"
	"github.com/racekit/racekit/pkg/vm"
)

// Old is CPython 2's global interpreter lock: a lock with an owner and
// nothing more. It does not implement [vm.DropRequester], so an interpreter
// drops and re-takes it at every eval-breaker check (every
// Config.CheckInterval instructions, as CPython 2 did every 100 ticks).
// Release wakes the threads waiting for it but hands it to none of them:
// whoever asks next gets it, and that is usually the thread that has just
// let go, since it is still running while the waiters wake up.
//
// The zero value is an unlocked lock, ready to use; set the fields before
// first use and do not change them afterwards. An Old must not be copied
// after first use.
//
// Old is safe for concurrent use. A Release happens before the Acquire that
// next returns.
type Old struct {
	// WakeUp is how long a waiter takes to wake up after a release before
	// it tries the lock again: the operating system's latency in waking a
	// blocked thread, which is what let CPython 2's releasing thread win
	// the lock back every time. 0 means no delay. Inside a testing/synctest
	// bubble any WakeUp > 0 makes the convoy deterministic: a thread that
	// drops the lock and takes it straight back, without blocking in
	// between, always wins, because fake time cannot pass while it runs.
	// Under package interleave the delay is a scheduling point instead.
	WakeUp time.Duration

	// MaxEvents is how many events the timeline keeps (the first ones):
	// 0 means DefaultMaxEvents, a negative number none.
	MaxEvents int

	s lazy.Pointer[state] // made on first use; a pointer, so that fmt shows no timeline (its times would tell a fake clock)
}

// Acquire blocks until t holds the lock. It panics if t holds it already.
func (l *Old) Acquire(t *vm.Thread) {
	s := l.s.Get()
	s.mu.Lock()
	s.mustNotHoldLocked(t, "old GIL")
	if s.holder != nil {
		s.recordLocked(l.MaxEvents, t, Waiting, s.holder, false)
		for s.holder != nil {
			freed := s.freedLocked()
			s.mu.Unlock()
			<-freed
			if interleave.InRun() {
				wakeUp()
			} else if l.WakeUp > 0 {
				time.Sleep(l.WakeUp)
			}
			s.mu.Lock()
		}
	}
	s.takeLocked(l.MaxEvents, t)
	s.mu.Unlock()
}

// Release lets go of the lock held by t and wakes every thread waiting for
// it, without handing it to any of them. It returns an error wrapping
// [vm.ErrNotHolder], and changes nothing, when t does not hold the lock.
func (l *Old) Release(t *vm.Thread) error {
	s := l.s.Get()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.releaseLocked(l.MaxEvents, t, "old GIL", false)
}

// Holder returns the thread holding the lock, or nil while it is free.
func (l *Old) Holder() *vm.Thread { return l.s.Get().holderNow() }

// Switches returns how many times the lock changed hands: how often a
// thread took it that was not the last one to hold it.
func (l *Old) Switches() int { return l.s.Get().switchCount() }

// Timeline returns a copy of the events recorded so far.
func (l *Old) Timeline() Timeline { return l.s.Get().timeline() }
