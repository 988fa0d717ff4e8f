package convoy

import (
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/racekit/racekit/pkg/gil"
	"github.com/racekit/racekit/pkg/interleave"
	"github.com/racekit/racekit/pkg/vm"
)

// This file holds what the specs run: the programs, the watcher that
// stands between the VM and the lesson's GIL and notes what it sees, the
// fake-time runs and the controlled scenario.

// programs are the bytecode the specs run, with its Python in comments.
// burn and io are the specs' own builtins: burn computes for 1 ms holding
// the GIL, io blocks for 0.3 ms with the GIL released.
var programs = vm.MustAssemble("convoy.asm", `
# def compute(n):
#     while n > 0:
#         burn()
#         n = n - 1
func compute(n)
loop:
    LOAD_FAST n
    LOAD_CONST 0
    COMPARE_OP >
    POP_JUMP_IF_FALSE done
    CALL_BUILTIN burn 0
    POP_TOP
    LOAD_FAST n
    LOAD_CONST 1
    BINARY_OP -
    STORE_FAST n
    JUMP loop
done:
    LOAD_CONST None
    RETURN_VALUE
end

# def fetch(k):
#     while k > 0:
#         io()
#         k = k - 1
func fetch(k)
loop:
    LOAD_FAST k
    LOAD_CONST 0
    COMPARE_OP >
    POP_JUMP_IF_FALSE done
    CALL_BUILTIN io 0
    POP_TOP
    LOAD_FAST k
    LOAD_CONST 1
    BINARY_OP -
    STORE_FAST k
    JUMP loop
done:
    LOAD_CONST None
    RETURN_VALUE
end

# def once(): return io()
func once()
    CALL_BUILTIN io 0
    RETURN_VALUE
end
`)

// The fake-time figures: a burn is 1 ms of computing with the GIL held, an
// I/O call 0.3 ms of waiting without it. Burns start and end on whole
// milliseconds and I/O calls end on x.3 ms, so a waiter's timeout and the
// holder's eval-breaker checks never fall on the same instant, and no
// figure depends on which of two goroutines woken at once runs first.
const (
	burnTime = time.Millisecond
	ioTime   = 300 * time.Microsecond
	ioCalls  = 3 // B's calls of io(); B asks for the GIL 4 times, with its start
)

// obsKind says what the watcher saw.
type obsKind int

const (
	acquireCalled obsKind = iota + 1 // the VM called Acquire
	acquired                         // Acquire returned
	releaseCalled                    // the VM called Release, for the holder
	dropAnswered                     // DropRequested answered true
)

// obs is one thing the watcher saw, at a moment of fake time since the
// watcher was made (outside a bubble the times mean nothing).
type obs struct {
	kind obsKind
	th   string
	at   time.Duration
}

// watcher is the lock the specs give the VM: it passes every call on to
// the lesson's GIL, and notes who called what, when, and what the GIL
// answered. Every figure the specs check comes from what it saw, not from
// what the GIL says of itself. It is safe for concurrent use.
type watcher struct {
	g     *GIL
	start time.Time // fake time, inside a bubble

	mu      sync.Mutex // guards the fields below; never held while calling the GIL
	seen    []obs
	holder  *vm.Thread          // who holds the GIL, as seen: from Acquire's return to the Release call
	asked   map[*vm.Thread]bool // a thread's last DropRequested answer since it took the GIL was true
	overlap []string            // Acquires that returned while another thread held the GIL
	events  []gil.Event         // the timeline, for a chart
}

func newWatcher(g *GIL) *watcher {
	return &watcher{g: g, start: time.Now(), asked: map[*vm.Thread]bool{}}
}

var (
	_ vm.Lock          = (*watcher)(nil)
	_ vm.DropRequester = (*watcher)(nil)
)

// event appends a timeline event; w.mu must be held.
func (w *watcher) event(now time.Time, th *vm.Thread, k gil.Kind, other string, onRequest bool) {
	if len(w.events) >= 5000 {
		return
	}
	w.events = append(w.events, gil.Event{Seq: len(w.events) + 1, Time: now, Thread: th.Name(), Kind: k, Other: other, OnRequest: onRequest})
}

func (w *watcher) note(k obsKind, th *vm.Thread, now time.Time) {
	w.seen = append(w.seen, obs{kind: k, th: th.Name(), at: now.Sub(w.start)})
}

// Acquire passes the call on, and notes when it was made and when it
// returned.
func (w *watcher) Acquire(t *vm.Thread) {
	now := time.Now()
	w.mu.Lock()
	w.note(acquireCalled, t, now)
	if w.holder != nil && w.holder != t {
		w.event(now, t, gil.Waiting, w.holder.Name(), false)
	}
	w.mu.Unlock()

	w.g.Acquire(t)
	interleave.LabelAs("Acquire", "returns: "+t.Name()+" holds the GIL")

	now = time.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	w.note(acquired, t, now)
	if w.holder != nil {
		w.overlap = append(w.overlap, fmt.Sprintf("%s's Acquire returned while %s held the GIL", t.Name(), w.holder.Name()))
	}
	from := ""
	for i := len(w.seen) - 2; i >= 0; i-- {
		if w.seen[i].kind == acquired {
			if w.seen[i].th != t.Name() {
				from = w.seen[i].th
			}
			break
		}
	}
	w.holder = t
	w.asked[t] = false
	w.event(now, t, gil.Acquired, from, false)
}

// Release notes the call, for the holder, and passes it on.
func (w *watcher) Release(t *vm.Thread) error {
	now := time.Now()
	w.mu.Lock()
	if w.holder == t {
		w.note(releaseCalled, t, now)
		w.holder = nil
		w.event(now, t, gil.Released, "", w.asked[t])
	}
	w.mu.Unlock()
	interleave.LabelAs("Release", t.Name()+" lets go of the GIL")
	return w.g.Release(t)
}

// DropRequested passes the question on and notes a yes.
func (w *watcher) DropRequested(t *vm.Thread) bool {
	yes := w.g.DropRequested(t)
	if yes {
		interleave.LabelAs("DropRequested", "says yes: drop the GIL")
		now := time.Now()
		w.mu.Lock()
		w.note(dropAnswered, t, now)
		w.asked[t] = true
		w.mu.Unlock()
	}
	return yes
}

// observations returns a copy of what the watcher saw.
func (w *watcher) observations() []obs {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.seen)
}

// timeline returns what the watcher saw as a pkg/gil timeline.
func (w *watcher) timeline() gil.Timeline {
	w.mu.Lock()
	defer w.mu.Unlock()
	return gil.Timeline{Events: slices.Clone(w.events)}
}

// overlaps lists the Acquires that returned while another thread held the
// GIL.
func (w *watcher) overlaps() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.overlap)
}

// newInterp returns an interpreter with lock as its GIL, an eval-breaker
// check before every instruction, the debug checks on, and the specs'
// burn and io.
func newInterp(lock vm.Lock, burn, io vm.Builtin) *vm.Interpreter {
	in := vm.New(vm.Config{Lock: lock, CheckInterval: 1, Checks: vm.Debug, Stdout: GinkgoWriter})
	in.Define("burn", burn)
	in.Define("io", io)
	return in
}

// errStopped ends a thread whose run went on far longer than it should.
var errStopped = errors.New("the spec stopped the thread: the run went on far longer, in fake time, than it takes with a working GIL")

// convoyRun is what happened in a fake-time run of the convoy: thread A
// computing, thread B (if any) making I/O calls.
type convoyRun struct {
	Interval time.Duration // the GIL's switch interval
	asked    time.Duration // NewGIL's argument: Interval, or 0 for the default
	Burns    int           // A's burns
	WithB    bool          // B ran too
	Jobs     []job         // the threads: A, then B if WithB, or the run's own

	Seen     []obs            // what the watcher saw
	Timeline gil.Timeline     // the same, as a timeline
	Overlaps []string         // Acquires that returned while another thread held the GIL
	Switches int              // the GIL's own count, asked at the end
	Elapsed  time.Duration    // fake time from A's start to the end of the run (to the last thing the watcher saw, if it did not finish)
	Finished bool             // every thread's call ended, one way or another
	Errs     map[string]error // per thread: the error its call returned
	Panics   map[string]any   // per thread: what it panicked with
	Returned map[string]bool  // per thread: its call returned
	Stopped  bool             // the spec had to stop the threads
	Escaped  any              // a panic of the bubble itself (a deadlock of every goroutine in it)
	Raced    bool             // the race detector reported a race inside the bubble, or the bubble failed
}

// burnsFor is how many burns A makes so that it is still computing when B,
// with a working GIL, has made all its calls: B asks for the GIL 4 times
// and each time gets it one switch interval and 0.7 ms later, then A
// computes on, 1 ms a burn.
func burnsFor(interval time.Duration) int {
	return (ioCalls+1)*int((interval+burnTime)/burnTime) + 2
}

// runConvoy runs thread A, computing burns ms, and (withB) thread B, making
// ioCalls I/O calls from 0.3 ms on, on one interpreter whose GIL is
// NewGIL(interval), inside a testing/synctest bubble, with GOMAXPROCS 1
// and garbage collection paused, as the controlled scheduler runs: a
// thread that drops the GIL and takes it straight back, without blocking
// in between, then always gets there before a woken waiter. Each thread
// runs in a goroutine that recovers its panic.
//
// synctest.Test fails the suite's T with FailNow, which ends the calling
// goroutine, when the race detector reported a race inside the bubble: it
// runs on a goroutine of its own here, so that the spec can say so.
func runConvoy(interval time.Duration, burns int, withB bool) convoyRun {
	jobs := []job{{"A", "compute", burns, 0}}
	if withB {
		jobs = append(jobs, job{"B", "fetch", ioCalls, ioTime})
	}
	return runJobs(interval, jobs)
}

// job is a thread of a fake-time run: it calls fn(arg) from at on.
type job struct {
	name, fn string
	arg      int
	at       time.Duration
}

// runJobs is runConvoy with the threads given: jobs[0] is A, which starts
// first; each other thread starts at its time, once the threads before it
// have blocked.
func runJobs(interval time.Duration, jobs []job) convoyRun {
	c := convoyRun{Interval: interval, Burns: jobs[0].arg, WithB: len(jobs) == 2 && jobs[1].fn == "fetch", Jobs: jobs, asked: interval,
		Errs: map[string]error{}, Panics: map[string]any{}, Returned: map[string]bool{}}
	var w *watcher // made in the bubble
	finished := make(chan bool)
	go func() {
		normally := false
		defer func() { finished <- normally }()
		defer func() { c.Escaped = recover() }()
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
		defer debug.SetGCPercent(debug.SetGCPercent(-1))
		synctest.Test(suiteT, func(*testing.T) { c.inBubble(&w) })
		normally = true
	}()
	if !<-finished && c.Escaped == nil {
		c.Raced = true
	}
	if w != nil {
		// Read even when the bubble did not end normally: what the
		// watcher saw up to a deadlock still says what happened.
		c.Seen, c.Timeline, c.Overlaps = w.observations(), w.timeline(), w.overlaps()
		if !c.Finished && len(c.Seen) > 0 {
			c.Elapsed = c.Seen[len(c.Seen)-1].at
		}
	}
	return c
}

// inBubble is runConvoy's bubble.
func (c *convoyRun) inBubble(watched **watcher) {
	var stop atomic.Bool
	burn := func(t *vm.Thread, args []*vm.Object) (*vm.Object, error) {
		if stop.Load() {
			return nil, errStopped
		}
		time.Sleep(burnTime) // computing, with the GIL held
		return nil, nil
	}
	io := func(t *vm.Thread, args []*vm.Object) (*vm.Object, error) {
		if stop.Load() {
			return nil, errStopped
		}
		t.ReleaseGIL()
		time.Sleep(ioTime) // blocking I/O, with the GIL released
		t.AcquireGIL()
		return nil, nil
	}
	w := newWatcher(NewGIL(c.asked))
	*watched = w
	in := newInterp(w, burn, io)
	var mu sync.Mutex // guards c's per-thread maps while the threads run
	done := make(chan struct{}, 2)
	run := func(th *vm.Thread, fn string, arg int) {
		defer func() { done <- struct{}{} }()
		defer func() {
			if p := recover(); p != nil {
				mu.Lock()
				c.Panics[th.Name()] = p
				mu.Unlock()
			}
		}()
		_, err := th.Call(programs, fn, arg)
		mu.Lock()
		c.Errs[th.Name()], c.Returned[th.Name()] = err, true
		mu.Unlock()
	}
	start := time.Now()
	work := 0
	for _, j := range c.Jobs {
		if j.fn == "compute" {
			work += j.arg
		}
		if j.at > 0 {
			synctest.Wait() // the threads before it hold the GIL or wait for it
			time.Sleep(j.at - time.Since(start))
		}
		go run(in.NewThread(j.name), j.fn, j.arg)
	}
	limit := time.NewTimer(10*time.Duration(work)*burnTime + time.Second)
	for left := len(c.Jobs); left > 0; {
		select {
		case <-done:
			left--
		case <-limit.C:
			stop.Store(true)
			c.Stopped = true
		}
	}
	limit.Stop()
	c.Elapsed, c.Finished = time.Since(start), true
	c.Switches = w.g.Switches()
}

// Trouble lists what went wrong other than the figures.
func (c convoyRun) Trouble() []string {
	var out []string
	if c.Raced {
		out = append(out, "the race detector reported a data race inside the fake-time bubble (WARNING: DATA RACE above), or the bubble failed")
	}
	if c.Escaped != nil {
		out = append(out, fmt.Sprint(c.Escaped))
	}
	for _, j := range c.Jobs {
		name := j.name
		switch {
		case c.Panics[name] != nil:
			out = append(out, fmt.Sprintf("thread %s panicked: %v", name, c.Panics[name]))
		case c.Errs[name] != nil:
			out = append(out, fmt.Sprintf("thread %s's call raised an error: %v", name, c.Errs[name]))
		case !c.Returned[name] && c.Escaped == nil && !c.Raced:
			out = append(out, fmt.Sprintf("thread %s's call never returned: its goroutine ended inside it (runtime.Goexit)", name))
		}
	}
	return out
}

// figures is what the specs measure in a convoy run, all from what the
// watcher saw.
type figures struct {
	Waits     []time.Duration // each of B's calls of Acquire that found the GIL held: how long it took to return
	Calls     int             // how many times B asked for the GIL: at its start, and after each I/O call
	Retakes   int             // A's takes of the GIL right after its own release while B waited
	Drops     int             // A's releases right after DropRequested said yes
	Yeses     int             // DropRequested's yes answers, to any thread
	Switches  int             // takes by a thread other than the one that took the GIL before
	FreeWhile time.Duration   // fake time the GIL was free while B waited for it
	Idle      time.Duration   // fake time the GIL was free before A finished
	AEnd      time.Duration   // when A released the GIL for the last time
}

// measure computes the figures of c.
func (c convoyRun) measure() figures {
	var f figures
	if c.WithB {
		f.Calls = ioCalls + 1
	}
	var holder, lastTaker, lastReleaser string
	var bWaitingSince time.Duration = -1
	bContended := false
	freeSince := time.Duration(-1)
	lastYes := map[string]bool{}
	for _, o := range c.Seen {
		if o.kind == releaseCalled && o.th == "A" {
			f.AEnd = o.at
		}
	}
	for _, o := range c.Seen {
		switch o.kind {
		case dropAnswered:
			f.Yeses++
			lastYes[o.th] = true
		case acquireCalled:
			if o.th == "B" {
				bWaitingSince, bContended = o.at, holder != ""
			}
		case acquired:
			if freeSince >= 0 {
				if freeSince < f.AEnd {
					f.Idle += min(o.at, f.AEnd) - freeSince
				}
				if bWaitingSince >= 0 {
					f.FreeWhile += o.at - max(freeSince, bWaitingSince)
				}
				freeSince = -1
			}
			if lastTaker != "" && lastTaker != o.th {
				f.Switches++
			}
			if o.th == "A" && lastReleaser == "A" && lastTaker == "A" && bWaitingSince >= 0 {
				f.Retakes++
			}
			if o.th == "B" {
				if bContended {
					f.Waits = append(f.Waits, o.at-bWaitingSince)
				}
				bWaitingSince = -1
			}
			holder, lastTaker = o.th, o.th
			lastYes[o.th] = false
		case releaseCalled:
			if o.th == "A" && lastYes["A"] {
				f.Drops++
			}
			holder, lastReleaser, freeSince = "", o.th, o.at
		}
	}
	return f
}

// letGo is what the specs measure in a run in which A lets go of the GIL
// while other threads wait for it, from what the watcher saw.
type letGo struct {
	Free      time.Duration // fake time the GIL was free while a thread waited for it
	FreeFrom  time.Duration // when the first such stretch began
	FreeUntil time.Duration // and when it ended
	Early     []earlyAsk    // yes answers to a holder that had not held the GIL a whole switch interval
	Slow      []slowTake    // calls of Acquire that took longer than two switch intervals and a burn
}

// slowTake is a call of Acquire by th, at asked, that returned at took.
type slowTake struct {
	th          string
	asked, took time.Duration
}

// earlyAsk is a drop request answered too early: th took the GIL at took
// and said yes at yes.
type earlyAsk struct {
	th        string
	took, yes time.Duration
}

// measureLetGo computes the figures of a run in which A lets go of the GIL
// while others wait.
func (c convoyRun) measureLetGo() letGo {
	var l letGo
	holder := ""
	waiting := map[string]bool{}
	took := map[string]time.Duration{}
	asked := map[string]time.Duration{}
	var prev time.Duration
	for _, o := range c.Seen {
		if holder == "" && len(waiting) > 0 && o.at > prev {
			if l.Free == 0 {
				l.FreeFrom = prev
			}
			if l.FreeUntil == 0 || l.FreeUntil == prev {
				l.FreeUntil = o.at
			}
			l.Free += o.at - prev
		}
		prev = o.at
		switch o.kind {
		case acquireCalled:
			waiting[o.th], asked[o.th] = true, o.at
		case acquired:
			if o.at-asked[o.th] > 2*c.Interval+burnTime {
				l.Slow = append(l.Slow, slowTake{o.th, asked[o.th], o.at})
			}
			delete(waiting, o.th)
			holder, took[o.th] = o.th, o.at
		case releaseCalled:
			holder = ""
		case dropAnswered:
			if o.at-took[o.th] < c.Interval {
				l.Early = append(l.Early, earlyAsk{o.th, took[o.th], o.at})
			}
		}
	}
	return l
}

// want is the exact wait of each of B's calls for a held GIL with a
// working GIL: the switch interval, after which B asks A to drop the GIL,
// then the rest of A's burn, up to its next eval-breaker check (the I/O
// call ended 0.3 ms into A's burn, so 0.7 ms).
func want(interval time.Duration) time.Duration { return interval + burnTime - ioTime }

// durations formats waits as "5.7ms, 5.7ms, 5.7ms".
func durations(ds []time.Duration) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = d.String()
	}
	return strings.Join(parts, ", ")
}

// chart draws the run's timeline, at most about 80 columns wide.
func (c convoyRun) chart() string {
	cell := burnTime
	if len(c.Timeline.Events) > 1 {
		span := c.Timeline.Events[len(c.Timeline.Events)-1].Time.Sub(c.Timeline.Events[0].Time)
		for span/cell > 80 {
			cell *= 2
		}
	}
	return fmt.Sprintf("the GIL in fake time, one column per %v ('#' holds it, '.' waits for it):\n%s", cell, indent(c.Timeline.Chart(cell)))
}

func indent(s string) string { return "  " + strings.ReplaceAll(s, "\n", "\n  ") }

// ---- the controlled scenario ----

// handOff is the scenario of the exploration: A computes (burn does
// nothing under the scheduler) and B makes one I/O call, whose wait is a
// step of its own. The watcher notes every call, and the check reads the
// order off it: after A said yes to a drop request and released the GIL,
// the next thread to take it must not be A.
func handOff() interleave.Scenario {
	return interleave.Scenario{
		Name: "A runs compute(1) while B runs once(), which makes one I/O call; the VM checks the eval breaker before every 3rd instruction",
		Setup: func(r *interleave.Run) {
			g := NewGIL(0)
			r.Name(g, "gil")
			w := newWatcher(g)
			in := vm.New(vm.Config{Lock: w, CheckInterval: 3, Checks: vm.Debug, Stdout: GinkgoWriter})
			in.Define("burn", func(*vm.Thread, []*vm.Object) (*vm.Object, error) { return nil, nil })
			in.Define("io", func(t *vm.Thread, _ []*vm.Object) (*vm.Object, error) {
				t.ReleaseGIL()
				interleave.PointAs("io", "waits for I/O, without the GIL")
				t.AcquireGIL()
				return nil, nil
			})
			var errA, errB error
			a, b := in.NewThread("A"), in.NewThread("B")
			r.Go("A", func() { _, errA = a.Call(programs, "compute", 1) })
			r.Go("B", func() { _, errB = b.Call(programs, "once") })
			r.Finally(func() error {
				var broken []error
				if errA != nil {
					broken = append(broken, fmt.Errorf("thread A's call raised an error: %v", errA))
				}
				if errB != nil {
					broken = append(broken, fmt.Errorf("thread B's call raised an error: %v", errB))
				}
				for _, o := range w.overlaps() {
					broken = append(broken, errors.New(o))
				}
				broken = append(broken, forcedSwitching(w.observations()))
				return errors.Join(broken...)
			})
		},
	}
}

// forcedSwitching checks, on what the watcher saw, that every thread that
// released the GIL right after DropRequested said yes was not the next to
// take it.
func forcedSwitching(seen []obs) error {
	asked := map[string]bool{}
	dropped := ""
	for _, o := range seen {
		switch o.kind {
		case dropAnswered:
			asked[o.th] = true
		case releaseCalled:
			if asked[o.th] {
				dropped = o.th
			}
		case acquired:
			if dropped != "" && o.th == dropped {
				return fmt.Errorf("%s%s said yes to a drop request, released the GIL at an eval-breaker check, and then took it back "+
					"itself, before any other thread had it", forcedPhrase, dropped)
			}
			dropped = ""
			asked[o.th] = false
		}
	}
	return nil
}

// forcedPhrase starts the exploration's failure.
const forcedPhrase = "forced switching: "
