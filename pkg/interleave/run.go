package interleave

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/racekit/racekit/pkg/internal/schedhook"
)

// Scenario is a small concurrent program to run under the scheduler.
type Scenario struct {
	// Name says what happens, in a few words; a failure report starts with
	// it ("the foo trace: two threads take and drop a reference to foo").
	Name string
	// Goal is what a learner who plays the scenario (racekit play) tries
	// to make happen on the lesson's buggy code, as a dare: "make foo
	// leak". Reaching it is breaking the scenario's checks. It changes
	// nothing in Replay or Explore; a scenario without one is played only
	// when asked for by name.
	Goal string
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
	// DataRaces fails a run whose trace has a data race (see
	// Trace.Races): two goroutines touching a cell, one writing, with no
	// operation of the kit's sync between them. Only for scenarios whose
	// goroutines synchronise with the kit's sync alone: ordering through a
	// channel is invisible to it.
	DataRaces bool
	// NoReduction turns off Explore's partial-order reduction, so that it
	// runs schedules that differ only in the order of independent steps
	// too. Benchmarks use it to measure what the reduction saves.
	NoReduction bool
	// RandomSchedules is how many schedules Explore draws at random after a
	// bounded exploration that found no failure and was not exhaustive (it
	// stopped at MaxPreemptions or MaxSchedules): probabilistic concurrency
	// testing (PCT; Burckhardt, Kothari, Musuvathi and Nagarakatte, 2010),
	// which finds any bug of a small depth with a probability it states
	// (see Report.Coverage). The random choices are seeded with the
	// scenario's name, so the same code gets the same schedules every time.
	// Zero draws none.
	RandomSchedules int

	// outcomes is EnvOutcomes's word: count every run's outcome and go on
	// after a failure. Explore sets it.
	outcomes bool
	// where records where every goroutine pauses, not only before an
	// operation that may block, for racekit play's lanes.
	where bool
}

// optionsOf is the Options a variadic opts argument gives: its first, or
// the zero value.
func optionsOf(opts []Options) Options {
	if len(opts) > 0 {
		return opts[0]
	}
	return Options{}
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
	ids     map[any]int    // each object a goroutine acted on, numbered in order of first use
	names   map[any]string // what the trace calls an object: Run.Name's, or its kind and a number
	kinds   map[string]int // how many unnamed objects of each kind have been numbered
	// opaque records that a goroutine blocked on something only the
	// goroutine dump shows (a channel, the standard library's sync): the
	// run shared state the scheduler cannot see.
	opaque bool
	looked []string // the cells the Finally checks read, in order of first read

	checking atomic.Bool // the Finally checks are running: cells note their reads
}

// lookedAt notes that a Finally check read the cell named name.
func (r *Run) lookedAt(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !slices.Contains(r.looked, name) {
		r.looked = append(r.looked, name)
	}
}

// active is the run in progress, if any. Cells consult it on every access:
// outside a run it is nil and they stay plain memory.
var active atomic.Pointer[Run]

// current returns the calling goroutine's scheduler handle, or nil when the
// caller is not a goroutine of the active run or is being stopped.
func current() *goroutine {
	r := active.Load()
	if r == nil {
		return nil
	}
	id := goid()
	r.mu.Lock()
	defer r.mu.Unlock()
	if g := r.byGoid[id]; g != nil && !g.stopping {
		return g
	}
	return nil
}

func init() {
	schedhook.Current = func() schedhook.G {
		if g := current(); g != nil {
			return g
		}
		return nil
	}
	schedhook.Stopping = func() bool {
		r := active.Load()
		if r == nil {
			return false
		}
		id := goid()
		r.mu.Lock()
		defer r.mu.Unlock()
		g := r.byGoid[id]
		return g != nil && g.stopping
	}
}

type gstate int

const (
	running  gstate = iota // let go (or just started): not yet back at a point
	paused                 // waiting at a scheduling point for its turn (or, while its op is blocked, for the op)
	blocked                // blocked in a wait state, per the goroutine dump
	sleeping               // in time.Sleep, per the goroutine dump: it comes back by itself
	done                   // returned, panicked or was stopped
)

// access is what a paused goroutine's next step does to shared state, for
// partial-order reduction: two steps whose accesses do not conflict give
// the same result in either order.
type access struct {
	obj   int  // the object's number in the run (Run.ids); 0: no shared object
	write bool // the step changes the object
	all   bool // unknown: the step may touch anything (an explicit Point)
}

// conflicts reports whether the order of two steps with accesses a and b
// may matter.
func (a access) conflicts(b access) bool {
	if a.all || b.all {
		return true
	}
	return a.obj != 0 && a.obj == b.obj && (a.write || b.write)
}

// goroutine is the scheduler's handle on a goroutine started by Run.Go.
type goroutine struct {
	run    *Run
	name   string
	index  int           // order of Go calls
	resume chan bool     // true: take one step; false: stop (runtime.Goexit)
	going  chan struct{} // the goroutine took its step: sent on after a true resume
	ready  chan struct{} // closed once goid is known
	goid   uint64        // written before ready is closed

	// guarded by run.mu:
	state     gstate
	wait      string // the last wait state seen since its last pause ("sync.Mutex.Lock")
	waitAt    Frame  // where it waited, in the code under test
	panicked  *panicInfo
	next      access        // while paused: what its next step does
	op        *schedhook.Op // while paused before an operation of the kit's sync: the operation
	pausedAt  Frame         // while paused before such an operation (before any step, with Options.where): where
	waitShown bool          // while paused: the trace already says its operation waits
	slept     bool          // seen in time.Sleep since it was last let go
	napped    bool          // paused after a sleep: it runs only when nothing else can
	pausedOn  int           // while paused: the run's step count when it paused (a timed wait may time out once it has grown)
	stopping  bool          // being stopped: its points end it instead of pausing
}

type panicInfo struct {
	value  any
	at     Frame
	goexit bool // the goroutine called runtime.Goexit; value says so
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
	g := &goroutine{run: r, name: name, index: len(r.gs), resume: make(chan bool), going: make(chan struct{}), ready: make(chan struct{}), state: running}
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
		switch {
		case p != nil && !normal:
			g.panicked = &panicInfo{value: p, at: unwindFrame("runtime.gopanic")}
		case !normal && !g.stopping:
			// Neither a panic nor the scheduler's stop: the code under
			// test called runtime.Goexit, which runs deferred calls (a
			// wg.Done, say) as if the function had finished. A run's
			// goroutines must return; this one did not.
			g.panicked = &panicInfo{value: goexitValue, at: unwindFrame("runtime.Goexit"), goexit: true}
		}
		if g.panicked != nil {
			r.trace = append(r.trace, Event{Step: r.step, G: g.name, Kind: Panic, Label: fmt.Sprint(g.panicked.value), At: g.panicked.at})
		}
		g.state = done
		r.moves++
		r.mu.Unlock()
		r.notify()
	}()
	g.pause(access{}, nil)
	fn()
	normal = true
}

// goexitValue is the panic value a goroutine that called runtime.Goexit
// is reported with.
const goexitValue = "runtime.Goexit ended the goroutine before its function returned"

// unwindFrame is where, in the code under test, the goroutine called the
// runtime function fn (runtime.gopanic for a panic, runtime.Goexit); it is
// called from the deferred recover, so the unwinding frames are still on
// the stack, below fn.
func unwindFrame(fn string) Frame {
	pcs := make([]uintptr, 64)
	n := runtime.Callers(3, pcs)
	for i := range n {
		f := runtime.FuncForPC(pcs[i] - 1)
		if f != nil && f.Name() == fn {
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
// it take its next step, or stops it. next is what that step will do; op,
// when not nil, is the operation of the kit's sync it is about to do,
// which may block.
func (g *goroutine) pause(next access, op *schedhook.Op) {
	var at Frame
	if op != nil && op.Blocked != nil || g.run.opts.where {
		at = callerFrame()
	}
	r := g.run
	r.mu.Lock()
	if g.stopping {
		r.mu.Unlock()
		runtime.Goexit()
	}
	g.state = paused
	g.next = next
	g.op, g.pausedAt, g.waitShown = op, at, false
	g.pausedOn = r.step
	if op != nil && op.Timed {
		// When a timed wait times out depends on every step the others take,
		// which the reduction's independence does not capture: explore every
		// schedule.
		r.opaque = true
	}
	g.napped, g.slept = g.slept, false
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
	// Wake the driver. On the one processor this puts it next in line, so
	// it runs as soon as this goroutine parks, wherever it parks: before a
	// time.Sleep it is in could end.
	g.going <- struct{}{}
}

// objectID numbers obj in the run, in order of first use, so that the
// accesses of two runs that followed the same steps compare equal.
func (r *Run) objectID(obj any, kind string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.idLocked(obj, kind)
}

func (r *Run) idLocked(obj any, kind string) int {
	if id, ok := r.ids[obj]; ok {
		return id
	}
	id := len(r.ids) + 1
	r.ids[obj] = id
	if _, ok := r.names[obj]; !ok && kind != "" {
		r.kinds[kind]++
		r.names[obj] = fmt.Sprintf("%s #%d", kind, r.kinds[kind])
	}
	return id
}

// nameOf is what the trace calls obj.
func (r *Run) nameOf(obj any, kind string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.idLocked(obj, kind)
	return r.names[obj]
}

// The methods below are the scheduler's side of the kit's sync and atomic
// packages (package schedhook).

// Name is the goroutine's name in the run.
func (g *goroutine) Name() string { return g.name }

// Point pauses before op, and while op is blocked.
func (g *goroutine) Point(op schedhook.Op) {
	g.pause(access{obj: g.run.objectID(op.Obj, op.Kind), write: op.Write}, &op)
}

// Did records what op did.
func (g *goroutine) Did(op schedhook.Op, verb, detail string) {
	name := g.run.nameOf(op.Obj, op.Kind)
	g.record(Event{Kind: Sync, Cell: name, Label: verb + " " + name + detail, Verb: verb})
}

// Mark records a label for op, as Point's label does.
func (g *goroutine) Mark(op schedhook.Op, label string) {
	g.record(Event{Kind: Label, Cell: g.run.nameOf(op.Obj, op.Kind), Label: label})
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

// settle waits until every goroutine is paused, blocked, asleep or done, and no blocked goroutine has been woken; with sleepers set, it also
// waits for the goroutines asleep in time.Sleep to wake up and come back. It
// fails when a goroutine stays running (or asleep) longer than the step
// timeout.
//
// A goroutine dump is a snapshot: by the time it is read, a goroutine that
// was running may have woken a blocked one and finished. Such a goroutine
// always ends its run by pausing, finishing or blocking; the first two count
// as moves, and a dump taken across a move is not trusted to settle the run.
func (r *Run) settle(sleepers bool) error {
	deadline := time.Now().Add(r.opts.StepTimeout)
	wait := 20 * time.Microsecond
	yields := 0
	look := true // look at the dump before yielding: the goroutine let go has just parked
	for {
		r.mu.Lock()
		var run, blk []*goroutine
		for _, g := range r.gs {
			switch {
			case g.state == running, g.state == sleeping && sleepers:
				run = append(run, g)
			case g.state == blocked, g.state == sleeping:
				blk = append(blk, g)
			}
		}
		moves := r.moves
		r.mu.Unlock()
		if len(run) == 0 && len(blk) == 0 {
			return nil
		}
		if len(run) > 0 && !look {
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
		look = false
		stacks := dump(want)
		r.mu.Lock()
		for _, g := range r.gs {
			st, ok := stacks[g.goid]
			if g.state != running && g.state != blocked && g.state != sleeping {
				continue // paused or done since the dump: its own report wins
			}
			switch {
			case ok && st.state == "sleep" && !st.inSelf:
				g.state, g.slept = sleeping, true
			case ok && blockingStates[st.state] && !st.inSelf:
				if st.state != g.wait || st.at != g.waitAt {
					// A new wait, or the same goroutine woken and blocked
					// somewhere else between two dumps: either way one event.
					g.wait, g.waitAt = st.state, st.at
					r.trace = append(r.trace, Event{Step: r.step, G: g.name, Kind: Block, Label: st.state, At: st.at})
				}
				g.state = blocked
				r.opaque = true
			default:
				g.state = running
			}
		}
		settled := r.moves == moves
		for _, g := range r.gs {
			if g.state == running || g.state == sleeping && sleepers {
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
		state := g.state
		r.mu.Unlock()
		st := stacks[g.goid]
		if state == sleeping {
			parts = append(parts, fmt.Sprintf("%s has slept in time.Sleep at %s (%s) for longer than %v; a sleep that long cannot be part of a lesson's schedule",
				g.name, st.at, st.at.ShortFunc(), r.opts.StepTimeout))
			continue
		}
		if state != running {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s did not come back to the scheduler within %v: it is [%s] at %s (%s); it may loop forever or wait on something outside the scheduler's control",
			g.name, r.opts.StepTimeout, st.state, st.at, st.at.ShortFunc()))
	}
	if len(parts) == 0 {
		return nil
	}
	return &stuckError{msg: strings.Join(parts, "\n")}
}

// timedWait is how long a run whose goroutines all wait gives those
// blocked in a channel operation or a select, which the goroutine dump
// cannot tell from one with a timeout, to wake up by themselves before it
// calls the run a deadlock.
const timedWait = time.Second

// timedWake is called when no goroutine can go on. When some goroutine is
// blocked where a timer could wake it (a channel receive or a select, as
// the goroutine dump shows), it lets real time pass, up to timedWait, and
// reports whether one woke: as with time.Sleep, time passes only when
// nothing else can run. It reports false at once when nothing could wake.
func (r *Run) timedWake() bool {
	r.mu.Lock()
	want := map[uint64]bool{}
	for _, g := range r.gs {
		if g.state == blocked && (g.wait == "select" || g.wait == "chan receive") {
			want[g.goid] = true
		}
	}
	r.mu.Unlock()
	if len(want) == 0 {
		return false
	}
	deadline := time.Now().Add(timedWait)
	for wait := 100 * time.Microsecond; time.Now().Before(deadline); wait = min(2*wait, 20*time.Millisecond) {
		time.Sleep(wait)
		for id, st := range dump(want) {
			if !blockingStates[st.state] || st.inSelf {
				r.mu.Lock()
				for _, g := range r.gs {
					if g.goid == id && g.state == blocked {
						g.state = running
					}
				}
				r.mu.Unlock()
				return true
			}
		}
	}
	return false
}

// heapBytes reads the bytes of live and unswept heap objects.
var heapBytes = []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}

// pauseGC turns garbage collection off until the heap has grown by 256 MiB,
// and returns the function that turns it back on as it was.
func pauseGC() (restore func()) {
	metrics.Read(heapBytes)
	limit := int64(256 << 20)
	if heapBytes[0].Value.Kind() == metrics.KindUint64 {
		limit += int64(heapBytes[0].Value.Uint64())
	}
	oldLimit := debug.SetMemoryLimit(limit)
	oldPercent := debug.SetGCPercent(-1)
	return func() {
		debug.SetGCPercent(oldPercent)
		debug.SetMemoryLimit(oldLimit)
	}
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

// enabled returns the goroutines that may take the next step, in creation
// order: the paused ones whose operation is not blocked, except those that
// slept in this step's time while any other can go on. Time passes only
// when nothing else can run, as in a testing/synctest bubble: a goroutine
// that slept runs after every goroutine that did not, and sleepers must all
// have woken before it does (asleep reports that some have not). A
// goroutine in a timed wait (Op.Timed) may time out once another goroutine
// has moved since it began to wait, and before that only as a sleeper
// does. A goroutine found blocked is recorded in the trace, once, with what
// it waits for.
func (r *Run) enabled() (en []*goroutine, acc []access, asleep bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var napped []*goroutine
	for _, g := range r.gs {
		switch {
		case g.state == sleeping:
			asleep = true
		case g.state != paused:
		case g.op != nil && g.op.Blocked != nil && g.op.Blocked() && g.op.Timed:
			// A timed wait may time out, but not before some other goroutine
			// moved since it began: until then it waits like a sleeper.
			if r.step > g.pausedOn {
				en = append(en, g)
			} else {
				napped = append(napped, g)
			}
		case g.op != nil && g.op.Blocked != nil && g.op.Blocked():
			if !g.waitShown {
				g.waitShown = true
				name := r.names[g.op.Obj]
				r.trace = append(r.trace, Event{Step: r.step, G: g.name, Kind: Block, Cell: name, Label: r.waitsLocked(g), At: g.pausedAt})
			}
		case g.napped:
			g.waitShown = false
			napped = append(napped, g)
		default:
			g.waitShown = false
			en = append(en, g)
		}
	}
	if len(en) == 0 {
		if asleep {
			return nil, nil, true
		}
		for _, g := range napped {
			g.napped = false // their sleep is over: time has passed
		}
		en = napped
	}
	for _, g := range en {
		acc = append(acc, g.next)
	}
	return en, acc, false
}

// waitsLocked says what paused g waits for, when its operation is blocked
// ("waits for foo.mu, which A holds"), else "". r.mu must be held.
func (r *Run) waitsLocked(g *goroutine) string {
	if g.state != paused || g.op == nil || g.op.Blocked == nil || !g.op.Blocked() {
		return ""
	}
	verb, detail := "waits for", ""
	if g.op.Waits != nil {
		verb, detail = g.op.Waits()
	}
	r.idLocked(g.op.Obj, g.op.Kind)
	return verb + " " + r.names[g.op.Obj] + detail
}

// grant lets g take one step.
func (r *Run) grant(g *goroutine) {
	r.mu.Lock()
	r.step++
	g.state = running
	g.napped = false
	r.mu.Unlock()
	g.resume <- true
	<-g.going
}

// stopAll stops every paused goroutine, lets the ones it wakes
// reach a point, and stops those too, for a bounded number of rounds;
// goroutines blocked for good, or that keep coming back, are left behind.
// After a stuck step it does not wait again for the stuck goroutine. A
// stopped goroutine's later points end it at once.
func (r *Run) stopAll(stuck bool) {
	r.mu.Lock()
	for _, g := range r.gs {
		g.stopping = true
	}
	r.mu.Unlock()
	for range 100 {
		if !stuck && r.settle(false) != nil {
			return
		}
		r.mu.Lock()
		var stop []*goroutine
		for _, g := range r.gs {
			if g.state == paused {
				g.state = running
				stop = append(stop, g)
			}
		}
		r.mu.Unlock()
		if len(stop) == 0 {
			return
		}
		for _, g := range stop {
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
		switch g.state {
		case blocked:
			lines = append(lines, fmt.Sprintf("%s waits in %s at %s (%s)", g.name, g.wait, g.waitAt, g.waitAt.ShortFunc()))
		case paused:
			if w := r.waitsLocked(g); w != "" {
				lines = append(lines, fmt.Sprintf("%s, at %s (%s), %s", g.name, g.pausedAt, g.pausedAt.ShortFunc(), w))
			}
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}
