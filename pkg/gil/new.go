package gil

import (
	"fmt"
	"time"

	"github.com/racekit/racekit/pkg/interleave"
	"github.com/racekit/racekit/pkg/internal/lazy"
	"github.com/racekit/racekit/pkg/internal/schedhook"
	"github.com/racekit/racekit/pkg/vm"
)

// DefaultInterval is the switch interval of a New lock whose Interval is
// 0: CPython's default, sys.getswitchinterval() == 0.005.
const DefaultInterval = 5 * time.Millisecond

// New is the global interpreter lock of CPython 3.2 and later, after
// take_gil and drop_gil in Python/ceval_gil.c.
//
// A thread that finds the lock held waits for it one switch interval at a
// time. When a round timed out and the lock did not change hands
// meanwhile, the thread asks the holder to drop it (gil_drop_request), and
// goes on waiting. The holder sees the request at its next eval-breaker
// check, through DropRequested, and drops the lock. With forced switching
// (CPython's FORCE_SWITCHING, on unless DisableForcedSwitching is set) a
// thread that lets go while a drop is requested of it waits, inside
// Release, until another thread has taken the lock, so it cannot take it
// straight back. Taking the lock clears the request; a take by a thread
// other than the last holder is a switch, and switches are counted.
//
// The zero value is an unlocked lock with the default switch interval,
// ready to use; set the fields before first use and do not change them
// afterwards. A New must not be copied after first use.
//
// New is safe for concurrent use. A Release happens before the Acquire that
// next returns.
type New struct {
	// Interval is the switch interval: how long a waiter waits before it
	// asks the holder to drop the lock. 0 means DefaultInterval. Under
	// package interleave one scheduling step stands for it.
	Interval time.Duration

	// DisableForcedSwitching lets a thread that drops the lock on request
	// take it back before the waiter that asked for it, as CPython would
	// built without FORCE_SWITCHING: the waiter may then have to ask again.
	DisableForcedSwitching bool

	// MaxEvents is how many events the timeline keeps (the first ones):
	// 0 means DefaultMaxEvents, a negative number none.
	MaxEvents int

	s lazy.Pointer[state] // made on first use; a pointer, so that fmt shows no timeline (its times would tell a fake clock)
}

// SwitchInterval returns the switch interval in effect: Interval, or
// DefaultInterval when Interval is 0.
func (l *New) SwitchInterval() time.Duration {
	if l.Interval <= 0 {
		return DefaultInterval
	}
	return l.Interval
}

// Acquire blocks until t holds the lock: take_gil. While another thread
// holds it, t waits in rounds of one switch interval; after a round that
// timed out with no switch, t asks the holder to drop the lock. It panics
// if t holds the lock already.
func (l *New) Acquire(t *vm.Thread) {
	s := l.s.Get()
	if schedhook.Stopped() {
		// A goroutine of a controlled run that the run is stopping: the
		// run's state is thrown away, and waiting could be for ever.
		return
	}
	inRun := interleave.InRun()
	s.mu.Lock()
	s.mustNotHoldLocked(t, "new GIL")
	if inRun && s.forced == t {
		// Forced switching, under the controlled scheduler: t dropped the
		// lock on request and may not take it back before another thread
		// has taken it (see Release).
		s.mu.Unlock()
		l.waitSwitch(t)
		s.mu.Lock()
	}
	if s.holder != nil {
		s.recordLocked(l.MaxEvents, t, Waiting, s.holder, false)
		interval := l.SwitchInterval()
		if inRun {
			l.waitControlled(t, interval)
		} else {
			l.waitTimed(t, interval)
		}
	}
	from := s.last
	s.takeLocked(l.MaxEvents, t)
	s.mu.Unlock()
	if inRun {
		label := "takes the GIL"
		if from != nil && from != t {
			label += " from " + from.Name()
		}
		interleave.LabelAs("take_gil", label)
	}
}

// op is an operation on the lock, for the scheduler of a controlled run:
// a wait for it. The trace calls the lock "GIL #1" unless the run named it
// with Run.Name ("the GIL").
func (l *New) op() schedhook.Op { return schedhook.Op{Obj: l, Kind: "GIL", Write: true} }

// waitTimed waits, with mu held on entry and on return, until the lock is
// free, in timed rounds of interval.
func (l *New) waitTimed(t *vm.Thread, interval time.Duration) {
	s := l.s.Get()
	for s.holder != nil {
		saved := s.switches
		freed := s.freedLocked()
		s.mu.Unlock()
		timer := time.NewTimer(interval)
		timedOut := false
		select {
		case <-freed:
			timer.Stop()
		case <-timer.C:
			timedOut = true
		}
		s.mu.Lock()
		if timedOut && s.holder != nil && s.switches == saved {
			l.requestDropLocked(t)
		}
	}
}

// waitControlled is waitTimed under the controlled scheduler, which cannot
// see a timer: one scheduling step stands for a round of the switch
// interval, after which the round counts as timed out. The wait for the
// release is one the scheduler sees: the waiter is let go only once the
// lock is free, and a deadlock report names the holder and where the
// waiter is ("waits for the GIL, which B holds (A is at LOAD_GLOBAL
// counter)").
func (l *New) waitControlled(t *vm.Thread, interval time.Duration) {
	s := l.s.Get()
	label := fmt.Sprintf("waits %v for the GIL", interval)
	for s.holder != nil {
		saved := s.switches
		s.mu.Unlock()
		interleave.PointAs("take_gil", label)
		s.mu.Lock()
		if s.holder == nil || s.switches != saved {
			continue // free now, or it changed hands: a fresh round
		}
		if l.requestDropLocked(t) {
			interleave.LabelAs("take_gil", "asks "+s.holder.Name()+" to drop the GIL")
		}
		s.mu.Unlock()
		l.wait(func() bool { return s.holder != nil }, func() (string, string) {
			return "waits for", fmt.Sprintf(", which %s holds (%s)", s.holder.Name(), where(t))
		})
		s.mu.Lock()
	}
}

// waitSwitch waits, under the controlled scheduler, until a thread other
// than t has taken the lock since t dropped it on request.
func (l *New) waitSwitch(t *vm.Thread) {
	s := l.s.Get()
	l.wait(func() bool { return s.forced == t }, func() (string, string) {
		return "waits for", fmt.Sprintf(" to change hands first (%s; forced switching)", where(t))
	})
}

// wait pauses the calling goroutine of a controlled run while blocked
// reports true: a wait the scheduler sees, and names with waits in its
// trace and its deadlock report. blocked and waits are called with every
// goroutine of the run paused, and read the lock's state without mu.
func (l *New) wait(blocked func() bool, waits func() (string, string)) {
	g := schedhook.Goroutine()
	if g == nil {
		return
	}
	op := l.op()
	op.Blocked, op.Waits = blocked, waits
	g.Point(op)
}

// where says where thread t is, for a controlled run's report of a wait:
// "A is at LOAD_GLOBAL counter".
func where(t *vm.Thread) string {
	if in := t.Instr(); in != "" {
		return t.Name() + " is at " + in
	}
	return t.Name() + " has not run an instruction yet"
}

// requestDropLocked asks the holder to drop the lock, on behalf of the
// waiter t, and reports whether it did; a request already made of the
// holder is not made or recorded again.
func (l *New) requestDropLocked(t *vm.Thread) bool {
	s := l.s.Get()
	if s.requested.Load() == s.holder {
		return false
	}
	s.requested.Store(s.holder)
	s.recordLocked(l.MaxEvents, t, Requested, s.holder, false)
	return true
}

// DropRequested reports whether a waiter has asked t, the holder, to drop
// the lock: the VM asks it at every eval-breaker check, and drops the lock
// when it reports true. It is false for a thread that does not hold the
// lock. It implements [vm.DropRequester].
func (l *New) DropRequested(t *vm.Thread) bool {
	return t != nil && l.s.Get().requested.Load() == t
}

// Release lets go of the lock held by t and wakes the threads waiting for
// it: drop_gil. When a drop was requested of t, and forced switching is on,
// Release then waits until another thread has taken the lock. (Under the
// controlled scheduler t waits for that in its next Acquire instead, which
// is the same for the bytecode it runs, and lets the trace show the drop
// where it happened.) It returns an error wrapping [vm.ErrNotHolder], and
// changes nothing, when t does not hold the lock.
func (l *New) Release(t *vm.Thread) error {
	s := l.s.Get()
	inRun := interleave.InRun()
	s.mu.Lock()
	onRequest := s.holder == t && s.requested.Load() == t
	if err := s.releaseLocked(l.MaxEvents, t, "new GIL", onRequest); err != nil {
		s.mu.Unlock()
		return err
	}
	forced := onRequest && !l.DisableForcedSwitching
	if forced {
		s.recordLocked(l.MaxEvents, t, AwaitingSwitch, nil, false)
	}
	if inRun {
		if forced {
			s.forced = t
		}
		s.mu.Unlock()
		interleave.LabelAs("drop_gil", map[bool]string{false: "releases the GIL", true: "drops the GIL on request"}[onRequest])
		return nil
	}
	if !forced || schedhook.Stopped() { // a goroutine the run is stopping: nobody else will take the lock
		s.mu.Unlock()
		return nil
	}
	switched := s.switchedLocked()
	s.mu.Unlock()
	<-switched
	return nil
}

// Holder returns the thread holding the lock, or nil while it is free.
func (l *New) Holder() *vm.Thread { return l.s.Get().holderNow() }

// Switches returns how many times the lock changed hands (CPython's
// switch_number, without the first take): how often a thread took it that
// was not the last one to hold it.
func (l *New) Switches() int { return l.s.Get().switchCount() }

// Timeline returns a copy of the events recorded so far.
func (l *New) Timeline() Timeline { return l.s.Get().timeline() }
