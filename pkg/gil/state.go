package gil

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/racekit/racekit/pkg/interleave"
	"github.com/racekit/racekit/pkg/vm"
)

// DefaultMaxEvents is how many events a lock's timeline keeps when its
// MaxEvents field is 0.
const DefaultMaxEvents = 10000

// state is what both locks keep: who holds the lock, who held it last, how
// often it changed hands, the channels waiters wait on, and the timeline.
// Methods whose names end in Locked must be called with mu held.
type state struct {
	mu sync.Mutex // guards every field below except requested; held only briefly, never while waiting

	holder   *vm.Thread // the thread holding the lock; nil while it is free
	last     *vm.Thread // the thread that took it last (CPython's last_holder); nil before the first take; == holder while held
	switches int        // takes by a thread other than last; the first take is not counted
	// forced is the thread that dropped the lock on request, under the
	// controlled scheduler, while no other thread has taken it since (New
	// only): forced switching keeps it from taking the lock back first.
	forced *vm.Thread

	// freed is closed, and set back to nil, by the next release; nil while
	// no waiter waits for one. switched is the same for the next take by a
	// thread other than last. Both are made by the goroutine that is about
	// to wait, so inside the testing/synctest bubble that uses the lock.
	freed, switched chan struct{}

	events  []Event // the timeline; at most the lock's MaxEvents
	omitted int     // events not kept because the timeline was full

	// requested is the holder that a waiter asked to drop the lock (New
	// only), nil when no drop is requested. Written under mu; read without
	// it by DropRequested, at every eval-breaker check.
	requested atomic.Pointer[vm.Thread]
}

// recordLocked appends an event to the timeline, or counts it as omitted
// when limit events are kept already (the lock's MaxEvents: 0 means
// DefaultMaxEvents, a negative number none).
func (s *state) recordLocked(limit int, t *vm.Thread, k Kind, other *vm.Thread, onRequest bool) {
	if limit == 0 {
		limit = DefaultMaxEvents
	}
	if len(s.events) >= limit {
		s.omitted++
		return
	}
	e := Event{Seq: len(s.events) + 1, Time: time.Now(), Thread: t.Name(), Kind: k, OnRequest: onRequest}
	if other != nil {
		e.Other = other.Name()
	}
	s.events = append(s.events, e)
}

// takeLocked makes t the holder of the free lock, counts a switch when t
// did not hold it last, wakes a thread waiting for a switch, and clears the
// drop request (it was made of the thread that held the lock before).
func (s *state) takeLocked(limit int, t *vm.Thread) {
	var from *vm.Thread
	if s.forced != t {
		s.forced = nil // another thread took it: the switch happened
	}
	if s.last != t {
		if s.last != nil {
			s.switches++
			from = s.last
		}
		s.last = t
		if s.switched != nil {
			close(s.switched)
			s.switched = nil
		}
	}
	s.holder = t
	s.requested.Store(nil)
	s.recordLocked(limit, t, Acquired, from, false)
}

// releaseLocked frees the lock held by t and wakes its waiters. It returns
// an error wrapping vm.ErrNotHolder, changing nothing, when t does not hold
// it; which names the lock in that message ("old GIL").
func (s *state) releaseLocked(limit int, t *vm.Thread, which string, onRequest bool) error {
	if s.holder != t {
		return fmt.Errorf("gil: the %s %w: thread %s released it while %s holds it", which, vm.ErrNotHolder, t.Name(), s.holder.Name())
	}
	s.holder = nil
	s.recordLocked(limit, t, Released, nil, onRequest)
	if s.freed != nil {
		close(s.freed)
		s.freed = nil
	}
	return nil
}

// freedLocked returns the channel the next release closes.
func (s *state) freedLocked() chan struct{} {
	if s.freed == nil {
		s.freed = make(chan struct{})
	}
	return s.freed
}

// switchedLocked returns the channel the next switch closes.
func (s *state) switchedLocked() chan struct{} {
	if s.switched == nil {
		s.switched = make(chan struct{})
	}
	return s.switched
}

// mustNotHoldLocked panics when t asks for a lock it holds: a real lock
// would wait for itself forever.
func (s *state) mustNotHoldLocked(t *vm.Thread, which string) {
	if s.holder == t {
		s.mu.Unlock()
		panic(fmt.Sprintf("gil: thread %s acquires the %s, which it already holds", t.Name(), which))
	}
}

// wakeUp is where a waiter woken by a release stands before it tries the
// lock again. Under the controlled scheduler it is a scheduling point, so
// that the schedule decides whether the waiter or the thread that let go
// gets there first.
func wakeUp() {
	interleave.PointAs("take_gil", "wakes up: the GIL was released")
}

func (s *state) timeline() Timeline {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Timeline{Events: append([]Event(nil), s.events...), Omitted: s.omitted}
}

func (s *state) holderNow() *vm.Thread {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.holder
}

func (s *state) switchCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.switches
}
