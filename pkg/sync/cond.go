package sync

import (
	"slices"
	stdsync "sync"
	"time"

	"github.com/racekit/racekit/pkg/internal/lazy"
	"github.com/racekit/racekit/pkg/internal/schedhook"
)

// Cond implements a condition variable, a rendezvous point for goroutines
// waiting for or announcing an event: the standard library's sync.Cond seen
// by the scheduler.
//
// Each Cond has a Locker L (often a *Mutex of this package), which must be
// held when changing the condition and when calling Wait. A Cond must not
// be copied after first use. Create one with NewCond, or set L before first
// use.
//
// As with sync.Cond, a call to Broadcast or Signal "synchronizes before" any
// Wait or WaitTimeout call that it unblocks. Under a controlled run, Wait, Signal and
// Broadcast are scheduling points recorded in the trace, and a waiter is
// runnable again when Signal or Broadcast picks it (Signal picks the
// goroutine that has waited longest). Like sync.Cond, Wait never wakes
// without a Signal or Broadcast, but callers should still check their
// condition in a loop: another goroutine may change it first.
type Cond struct {
	_ noCopy
	// L is held while observing or changing the condition.
	L Locker

	once  stdsync.Once            // makes std
	std   *stdsync.Cond           // the condition outside runs; its L is L
	mu    stdsync.Mutex           // guards run's waiters and timed
	run   lazy.Pointer[condInRun] // made by every method, in and out of runs
	timed []chan struct{}         // outside runs: the goroutines in WaitTimeout, longest waiting first; each channel is closed to wake its waiter
}

// condInRun is a Cond's state under a controlled run.
type condInRun struct {
	waiters []*ticket // goroutines of a run in Wait, longest waiting first; guarded by the Cond's mu
}

// ticket is one goroutine's place in a Cond's queue.
type ticket struct {
	signalled bool // guarded by the Cond's mu
}

// NewCond returns a new Cond with Locker l.
func NewCond(l Locker) *Cond { return &Cond{L: l} }

func (c *Cond) op() schedhook.Op { return schedhook.Op{Obj: c, Kind: "cond", Write: true} }

func (c *Cond) outside() *stdsync.Cond {
	c.once.Do(func() { c.std = stdsync.NewCond(c.L) })
	return c.std
}

// Wait atomically unlocks c.L and suspends the calling goroutine; after it
// resumes, Wait locks c.L again before returning. Wait cannot return unless
// woken by Broadcast or Signal.
func (c *Cond) Wait() {
	c.run.Get()
	g := schedhook.Goroutine()
	if g == nil {
		if schedhook.Stopped() {
			return
		}
		c.outside().Wait()
		return
	}
	c.waitInRun(g, false, 0)
}

// WaitTimeout is Wait with a timeout: it atomically unlocks c.L and
// suspends the calling goroutine until Signal or Broadcast wakes it or d has
// passed, whichever comes first, then locks c.L again and reports whether
// the wait timed out. It is the kit's one addition to the standard
// library's API, whose Cond has no timed wait; CPython's GIL waits for the
// lock this way (COND_TIMED_WAIT in Python/ceval_gil.c). Callers check their
// condition in a loop, as with Wait.
//
// Outside a controlled run d is measured by the clock (fake time in a
// testing/synctest bubble). Under a run the clock is the schedule's: the
// wait may time out, whatever d is, once another goroutine has taken a step
// since it began, or when nothing else can go on, and the trace says which
// ("times out on gil.cond" or "wakes on gil.cond").
func (c *Cond) WaitTimeout(d time.Duration) (timedOut bool) {
	c.run.Get()
	g := schedhook.Goroutine()
	if g == nil {
		if schedhook.Stopped() {
			return false
		}
		return c.waitTimedOutside(d)
	}
	return c.waitInRun(g, true, d)
}

// waitInRun is Wait under a controlled run, and with timed WaitTimeout(d):
// it queues the goroutine before it unlocks L, so that no Signal is lost,
// and pauses until it is signalled or, when timed, until the schedule lets
// its wait time out.
func (c *Cond) waitInRun(g schedhook.G, timed bool, d time.Duration) (timedOut bool) {
	op := c.op()
	g.Point(op)
	t := &ticket{}
	c.mu.Lock()
	st := c.run.Get()
	st.waiters = append(st.waiters, t)
	c.mu.Unlock()
	verb, until := "waits on", " until it is signalled"
	if timed {
		verb, until = "waits up to "+d.String()+" on", " until it is signalled or "+d.String()+" pass"
	}
	g.Did(op, verb, "")
	c.L.Unlock()
	wake := c.op()
	wake.Blocked = func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return !t.signalled
	}
	wake.Waits = func() (string, string) { return "sleeps on", until }
	wake.Timed = timed
	g.Point(wake) // untimed, it returns only once signalled
	c.mu.Lock()
	if !t.signalled {
		timedOut = true
		st.waiters = slices.DeleteFunc(st.waiters, func(w *ticket) bool { return w == t })
	}
	c.mu.Unlock()
	if timedOut {
		g.Did(wake, "times out on", "")
	} else {
		g.Did(wake, "wakes on", "")
	}
	c.L.Lock()
	return timedOut
}

// waitTimedOutside is WaitTimeout outside a run: the waiter queues a
// channel of its own, made before c.L is unlocked so that no Signal is
// lost, and waits for it to be closed or for a timer.
func (c *Cond) waitTimedOutside(d time.Duration) (timedOut bool) {
	woken := make(chan struct{})
	c.mu.Lock()
	c.timed = append(c.timed, woken)
	c.mu.Unlock()
	c.L.Unlock()
	timer := time.NewTimer(d)
	select {
	case <-woken:
	case <-timer.C:
		c.mu.Lock()
		queued := len(c.timed)
		c.timed = slices.DeleteFunc(c.timed, func(w chan struct{}) bool { return w == woken })
		timedOut = len(c.timed) < queued // still queued: no Signal chose it
		c.mu.Unlock()
	}
	timer.Stop()
	c.L.Lock()
	return timedOut
}

// wakeTimed wakes the longest-waiting goroutine in WaitTimeout outside a
// run (every one, when all) and reports whether there was one.
func (c *Cond) wakeTimed(all bool) bool {
	c.mu.Lock()
	var woken []chan struct{}
	if all {
		woken, c.timed = c.timed, nil
	} else if len(c.timed) > 0 {
		woken, c.timed = c.timed[:1], c.timed[1:]
	}
	c.mu.Unlock()
	for _, w := range woken {
		close(w)
	}
	return len(woken) > 0
}

// Signal wakes the goroutine that has waited longest on c, if there is one.
// The caller may but need not hold c.L.
func (c *Cond) Signal() {
	g := schedhook.Goroutine()
	if g == nil {
		if !c.wake(false) && !c.wakeTimed(false) {
			c.outside().Signal()
		}
		return
	}
	op := c.op()
	g.Point(op)
	woke := c.wake(false)
	if !woke && !c.wakeTimed(false) {
		c.outside().Signal()
	}
	g.Did(op, "signals", map[bool]string{true: ": one waiter woken", false: ": nobody waits"}[woke])
}

// Broadcast wakes every goroutine waiting on c. The caller may but need
// not hold c.L.
func (c *Cond) Broadcast() {
	g := schedhook.Goroutine()
	if g != nil {
		op := c.op()
		g.Point(op)
		defer g.Did(op, "broadcasts on", "")
	}
	c.wake(true)
	c.wakeTimed(true)
	c.outside().Broadcast()
}

// wake marks the longest-waiting goroutine of a run (every one, when all)
// signalled, which lets it go on, and reports whether there was one.
func (c *Cond) wake(all bool) bool {
	c.mu.Lock()
	st := c.run.Get()
	var woken []*ticket
	if all {
		woken, st.waiters = st.waiters, nil
	} else if len(st.waiters) > 0 {
		woken, st.waiters = st.waiters[:1], st.waiters[1:]
	}
	for _, t := range woken {
		t.signalled = true
	}
	c.mu.Unlock()
	return len(woken) > 0
}
