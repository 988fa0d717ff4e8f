package interleave

import (
	"fmt"
	"runtime"
	"runtime/metrics"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Scenario is a small concurrent program to run under the scheduler.
type Scenario struct {
	// Name says what happens, in a few words; a failure report starts with
	// it ("the foo trace: two threads take and drop a reference to foo").
	Name string
	// Setup builds fresh shared state, starts goroutines with Run.Go and
	// registers final checks with Run.Finally. It is called once per
	// schedule, so it must not reuse state between calls.
	Setup func(r *Run)
}

// Options bound a run or an exploration. The zero value means the defaults.
type Options struct {
	// MaxPreemptions is the highest preemption bound Explore tries
	// (default 3). A preemption is a switch away from a goroutine that could
	// have gone on; switches at a goroutine's end or block are free.
	MaxPreemptions int
	// MaxSchedules caps how many schedules Explore runs (default 10000).
	MaxSchedules int
	// MaxSteps caps the steps of one schedule (default 10000); a run that
	// needs more is reported as a livelock.
	MaxSteps int
	// StepTimeout is how long one goroutine may run without coming back to
	// the scheduler, blocking, or finishing (default 10s). It bounds hangs;
	// it never decides whether a run passes.
	StepTimeout time.Duration
}

func (o Options) withDefaults() Options {
	if o.MaxPreemptions <= 0 {
		o.MaxPreemptions = 3
	}
	if o.MaxSchedules <= 0 {
		o.MaxSchedules = 10000
	}
	if o.MaxSteps <= 0 {
		o.MaxSteps = 10000
	}
	if o.StepTimeout <= 0 {
		o.StepTimeout = 10 * time.Second
	}
	return o
}

// Run is one execution of a scenario under one schedule. A Setup function
// receives it to start goroutines and register checks; its methods must be
// called from Setup only, not from the goroutines it starts.
type Run struct {
	opts    Options
	changed chan struct{} // a goroutine paused, finished or panicked; capacity 1

	mu      sync.Mutex // guards the fields below
	gs      []*goroutine
	byGoid  map[uint64]*goroutine
	trace   []Event
	step    int    // steps granted so far
	moves   uint64 // goroutines' own state changes (paused, done) so far
	finally []func() error
}

// active is the run in progress, if any. Cells consult it on every access:
// outside a run it is nil and they stay plain memory.
var active atomic.Pointer[Run]

// current returns the calling goroutine's scheduler handle, or nil when the
// caller is not a goroutine of the active run.
func current() *goroutine {
	r := active.Load()
	if r == nil {
		return nil
	}
	id := goid()
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.byGoid[id]
}

type gstate int

const (
	running gstate = iota // let go (or just started): not yet back at a point
	paused                // waiting at a scheduling point for its turn
	blocked               // blocked in a wait state, per the goroutine dump
	done                  // returned, panicked or was stopped
)

// goroutine is the scheduler's handle on a goroutine started by Run.Go.
type goroutine struct {
	run    *Run
	name   string
	index  int           // order of Go calls
	resume chan bool     // true: take one step; false: stop (runtime.Goexit)
	ready  chan struct{} // closed once goid is known
	goid   uint64        // written before ready is closed

	// guarded by run.mu:
	state    gstate
	wait     string // the last wait state seen since its last pause ("sync.Mutex.Lock")
	waitAt   Frame  // where it waited, in the code under test
	panicked *panicInfo
}

type panicInfo struct {
	value any
	at    Frame
}

// Go starts fn in a new goroutine named name, paused before its first
// statement. Names must be unique within a run; short names ("A", "B") keep
// schedules readable.
func (r *Run) Go(name string, fn func()) {
	if name == "" || strings.ContainsAny(name, " \t\n*") {
		panic(fmt.Sprintf("interleave: goroutine name %q must be non-empty and contain no spaces or '*'", name))
	}
	r.mu.Lock()
	for _, g := range r.gs {
		if g.name == name {
			r.mu.Unlock()
			panic(fmt.Sprintf("interleave: two goroutines are named %q; names must be unique", name))
		}
	}
	g := &goroutine{run: r, name: name, index: len(r.gs), resume: make(chan bool), ready: make(chan struct{}), state: running}
	r.gs = append(r.gs, g)
	r.mu.Unlock()
	go g.main(fn)
	<-g.ready
}

// Finally registers a check that runs after every goroutine has returned;
// a non-nil error fails the run with its message, which should say which
// invariant broke and how ("refcount is 2, but only foo's owner still holds
// it (want 1): foo leaks").
func (r *Run) Finally(check func() error) {
	r.mu.Lock()
	r.finally = append(r.finally, check)
	r.mu.Unlock()
}

func (g *goroutine) main(fn func()) {
	r := g.run
	g.goid = goid()
	r.mu.Lock()
	r.byGoid[g.goid] = g
	r.mu.Unlock()
	close(g.ready)
	normal := false
	defer func() {
		p := recover()
		r.mu.Lock()
		if p != nil && !normal {
			g.panicked = &panicInfo{value: p, at: panicFrame()}
			r.trace = append(r.trace, Event{Step: r.step, G: g.name, Kind: Panic, Label: fmt.Sprint(p), At: g.panicked.at})
		}
		g.state = done
		r.moves++
		r.mu.Unlock()
		r.notify()
	}()
	g.pause()
	fn()
	normal = true
}

// panicFrame is where, in the code under test, the goroutine panicked; it
// is called from the deferred recover, so the panicking frames are still on
// the stack, inside runtime.gopanic.
func panicFrame() Frame {
	pcs := make([]uintptr, 64)
	n := runtime.Callers(3, pcs)
	for i := range n {
		fn := runtime.FuncForPC(pcs[i] - 1)
		if fn != nil && fn.Name() == "runtime.gopanic" {
			return codeFrame(runtime.CallersFrames(pcs[i+1 : n]))
		}
	}
	return Frame{}
}

func (r *Run) notify() {
	select {
	case r.changed <- struct{}{}:
	default:
	}
}

// pause parks the goroutine at a scheduling point until the scheduler lets
// it take its next step, or stops it.
func (g *goroutine) pause() {
	r := g.run
	r.mu.Lock()
	g.state = paused
	g.wait, g.waitAt = "", Frame{}
	r.moves++
	r.mu.Unlock()
	r.notify()
	if !<-g.resume {
		// A stop unwinds the goroutine, running its deferred calls (a
		// deferred Unlock, say); unlike a panic, code under test cannot
		// recover it.
		runtime.Goexit()
	}
}

// record appends an event of the current step to the trace.
func (g *goroutine) record(e Event) {
	e.G = g.name
	e.At = callerFrame()
	r := g.run
	r.mu.Lock()
	e.Step = r.step
	r.trace = append(r.trace, e)
	r.mu.Unlock()
}

// settle waits until every goroutine is paused, blocked or done, and no
// blocked goroutine has been woken. It fails when a goroutine stays running
// longer than the step timeout.
//
// A goroutine dump is a snapshot: by the time it is read, a goroutine that
// was running may have woken a blocked one and finished. Such a goroutine
// always ends its run by pausing, finishing or blocking; the first two count
// as moves, and a dump taken across a move is not trusted to settle the run.
func (r *Run) settle() error {
	deadline := time.Now().Add(r.opts.StepTimeout)
	wait := 20 * time.Microsecond
	yields := 0
	for {
		r.mu.Lock()
		var run, blk []*goroutine
		for _, g := range r.gs {
			switch g.state {
			case running:
				run = append(run, g)
			case blocked:
				blk = append(blk, g)
			}
		}
		moves := r.moves
		r.mu.Unlock()
		if len(run) == 0 && len(blk) == 0 {
			return nil
		}
		if len(run) > 0 {
			select {
			case <-r.changed:
				continue
			default:
			}
			if yields < 100 {
				// Let the running goroutines run on the one processor
				// until they park; a timer would sleep a millisecond.
				yields++
				runtime.Gosched()
				if !nothingRunnable() {
					continue
				}
				select {
				case <-r.changed:
					continue
				default:
				}
				// Nothing can run: they have parked, or are outside Go.
			} else {
				timer := time.NewTimer(wait)
				select {
				case <-r.changed:
					timer.Stop()
					continue
				case <-timer.C:
				}
				if wait < 2*time.Millisecond {
					wait *= 2
				}
			}
		}
		// Read the goroutine dump: running goroutines may have blocked, and
		// blocked ones may have been woken by the last step.
		want := map[uint64]bool{}
		for _, g := range run {
			want[g.goid] = true
		}
		for _, g := range blk {
			want[g.goid] = true
		}
		stacks := dump(want)
		r.mu.Lock()
		for _, g := range r.gs {
			st, ok := stacks[g.goid]
			isBlocked := ok && blockingStates[st.state] && !st.inSelf
			if g.state != running && g.state != blocked {
				continue // paused or done since the dump: its own report wins
			}
			if isBlocked && (st.state != g.wait || st.at != g.waitAt) {
				// A new wait, or the same goroutine woken and blocked
				// somewhere else between two dumps: either way one event.
				g.wait, g.waitAt = st.state, st.at
				r.trace = append(r.trace, Event{Step: r.step, G: g.name, Kind: Block, Label: st.state, At: st.at})
			}
			if isBlocked {
				g.state = blocked
			} else {
				g.state = running
			}
		}
		settled := r.moves == moves
		for _, g := range r.gs {
			if g.state == running {
				settled = false
			}
		}
		r.mu.Unlock()
		if settled {
			return nil
		}
		if len(run) > 0 && time.Now().After(deadline) {
			return r.timeout(run, stacks)
		}
	}
}

func (r *Run) timeout(run []*goroutine, stacks map[uint64]gstack) error {
	var parts []string
	for _, g := range run {
		r.mu.Lock()
		still := g.state == running
		r.mu.Unlock()
		if !still {
			continue
		}
		st := stacks[g.goid]
		parts = append(parts, fmt.Sprintf("%s did not come back to the scheduler within %v: it is [%s] at %s (%s); it may loop forever or wait on something outside the scheduler's control",
			g.name, r.opts.StepTimeout, st.state, st.at, st.at.ShortFunc()))
	}
	if len(parts) == 0 {
		return nil
	}
	return &stuckError{msg: strings.Join(parts, "\n")}
}

// runnable reads how many goroutines wait for a processor.
var runnable = []metrics.Sample{{Name: "/sched/goroutines/runnable:goroutines"}}

// nothingRunnable reports whether no goroutine in the process waits for a
// processor: called by the run's driver on the run's only processor, it
// means every goroutine it let go has parked (or is outside Go). It errs
// towards false.
func nothingRunnable() bool {
	metrics.Read(runnable)
	return runnable[0].Value.Kind() == metrics.KindUint64 && runnable[0].Value.Uint64() == 0
}

type stuckError struct{ msg string }

func (e *stuckError) Error() string { return e.msg }

// enabled returns the paused goroutines in creation order.
func (r *Run) enabled() []*goroutine {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*goroutine
	for _, g := range r.gs {
		if g.state == paused {
			out = append(out, g)
		}
	}
	return out
}

// grant lets g take one step.
func (r *Run) grant(g *goroutine) {
	r.mu.Lock()
	r.step++
	g.state = running
	r.mu.Unlock()
	g.resume <- true
}

// stopAll stops every paused goroutine, lets the ones it wakes reach a
// point, and stops those too, for a bounded number of rounds; goroutines
// blocked for good, or that keep coming back, are left behind. After a
// stuck step it does not wait again for the stuck goroutine.
func (r *Run) stopAll(stuck bool) {
	for range 100 {
		if !stuck && r.settle() != nil {
			return
		}
		en := r.enabled()
		if len(en) == 0 {
			return
		}
		for _, g := range en {
			r.mu.Lock()
			g.state = running
			r.mu.Unlock()
			g.resume <- false
		}
		if stuck {
			return
		}
	}
}

// blockedReport lists where each blocked goroutine waits.
func (r *Run) blockedReport() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var lines []string
	for _, g := range r.gs {
		if g.state == blocked {
			lines = append(lines, fmt.Sprintf("%s waits in %s at %s (%s)", g.name, g.wait, g.waitAt, g.waitAt.ShortFunc()))
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}
