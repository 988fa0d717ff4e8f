package interleave

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
)

// FailureKind says how a run failed.
type FailureKind int

const (
	// Broken is a Finally check that returned an error.
	Broken FailureKind = iota + 1
	// Panicked is a goroutine that panicked, or that called runtime.Goexit
	// and so ended without returning.
	Panicked
	// Deadlock is every live goroutine blocked.
	Deadlock
	// Stuck is a goroutine that did not come back to the scheduler in time.
	Stuck
	// Livelock is a run longer than Options.MaxSteps.
	Livelock
	// DataRace is a run whose trace has a data race (Trace.Races), when
	// Options.DataRaces asks for the check.
	DataRace
)

// Failure is a run that broke: what went wrong, the trace that led there
// and the schedule that replays it. Its Error method prints the three in
// the kit's numbered form.
type Failure struct {
	Kind     FailureKind
	Scenario string   // the scenario's Name
	Message  string   // the invariant that broke, in words
	Trace    Trace    // what happened, step by step
	Schedule Schedule // replays the run
	// about names what the broken check looked at: the cells a Finally
	// check read, or the cell of a data race; nil when unknown.
	about []string
	// focused prints, of the trace, only the lines about what the check
	// looked at (Explore's failures; a replayed schedule shows every step).
	focused bool
}

// Error formats the failure:
//
//	the foo trace: two threads take and drop a reference to foo
//	  1. A  IncRef  reads foo.refcount -> 1, writes 2
//	  ...
//	  refcount is 2, but only foo's owner still holds it (want 1): foo leaks
//	  replay this schedule: A*3 B*3 A B A B
//
// A livelock leads with its message, and a trace longer than 60 lines is
// cut to its first and last 25.
func (f *Failure) Error() string {
	var b strings.Builder
	if f.Kind == Livelock {
		b.WriteString(strings.SplitN(f.Message, "\n", 2)[0] + "\n")
	}
	if f.Scenario != "" {
		b.WriteString(f.Scenario + "\n")
	}
	var focus []string
	if f.focused {
		focus = f.about
	}
	lines, left := f.Trace.linesAbout(focus)
	if n := len(lines); n > 60 {
		lines = append(append(lines[:25:25], fmt.Sprintf("  ... %d more lines ...", n-50)), lines[n-25:]...)
	}
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	if left > 0 {
		fmt.Fprintf(&b, "  (%d %s left out: %s of cells the check did not look at (only %s); replaying the schedule shows every line)\n",
			left, plural(left, "line"), map[bool]string{true: "a read or write", false: "reads and writes"}[left == 1], strings.Join(f.about, ", "))
	}
	for _, l := range strings.Split(f.Message, "\n") {
		b.WriteString("  " + l + "\n")
	}
	b.WriteString("  replay this schedule: " + f.Schedule.String())
	return b.String()
}

// Result is the outcome of one run.
type Result struct {
	Scenario string   // the scenario's Name
	Schedule Schedule // the steps actually taken
	Trace    Trace    // what happened
	Failure  *Failure // nil when the run passed
	// Notes say where the run could not follow the requested schedule
	// ("step 4: the schedule wants B, but B waits in sync.Mutex.Lock at
	// object.go:21"), and how it went on.
	Notes []string
	// enabled[i] lists the goroutines that could have taken step i+1, and
	// access[i] what each of them would have done.
	enabled [][]string
	access  [][]access
	// opaque reports that a goroutine blocked on something only the
	// goroutine dump shows, so steps may conflict in ways access misses.
	opaque bool
	// abandoned reports that the chooser gave the run up before its end
	// (racekit play's undo): its outcome means nothing.
	abandoned bool
}

// Passed reports whether the run completed with every check satisfied.
func (r *Result) Passed() bool { return r.Failure == nil }

// String summarises the run: its trace, its notes and its outcome.
func (r *Result) String() string {
	if r.Failure != nil {
		return r.Failure.Error()
	}
	var b strings.Builder
	if r.Scenario != "" {
		b.WriteString(r.Scenario + "\n")
	}
	for _, l := range r.Trace.Lines() {
		b.WriteString(l + "\n")
	}
	for _, n := range r.Notes {
		b.WriteString("  note: " + n + "\n")
	}
	b.WriteString("  passed; schedule: " + r.Schedule.String())
	return b.String()
}

// chooser picks who takes the next step: step is 0-based, prev is the
// goroutine that took the last step (nil at first), en the goroutines that
// may go on, in creation order, never empty, and acc what each would do.
// Returning nil abandons the run: it goes on without preemptions to its
// end, without asking again, and its Result says abandoned.
type chooser func(step int, prev *goroutine, en []*goroutine, acc []access) *goroutine

// defaultChoice continues prev when it can go on, else takes the first
// paused goroutine: a choice that is never a preemption.
func defaultChoice(prev *goroutine, en []*goroutine) *goroutine {
	for _, g := range en {
		if g == prev {
			return g
		}
	}
	return en[0]
}

// execute runs the scenario once, asking choose at every step.
func execute(sc Scenario, opts Options, choose chooser) *Result {
	if sc.Setup == nil {
		panic("interleave: Scenario.Setup is nil")
	}
	r := &Run{opts: opts, changed: make(chan struct{}, 1), byGoid: map[uint64]*goroutine{},
		ids: map[any]int{}, names: map[any]string{}, kinds: map[string]int{}}
	if !active.CompareAndSwap(nil, r) {
		panic("interleave: runs must not overlap: another Replay or Explore is running in this process")
	}
	defer active.Store(nil)
	// One processor: a goroutine woken inside a step (by an Unlock, say)
	// then waits for the stepping goroutine to pause instead of racing it
	// for the lock on another processor.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	// Little garbage collection inside a run: its workers would take the
	// one processor for milliseconds, long enough for a goroutine's
	// time.Sleep to end before the scheduler has seen it asleep. It runs
	// between runs, or when a run has allocated 256 MiB.
	defer pauseGC()()
	sc.Setup(r)
	if len(r.gs) == 0 {
		panic("interleave: the scenario started no goroutines: call Run.Go in Setup")
	}
	res := &Result{Scenario: sc.Name}
	// pick is choose until it gives the run up; the run then goes on
	// without preemptions to its end, so that its goroutines finish
	// (stopping them would leave any blocked on a channel behind), and
	// the Result says it was abandoned.
	pick := func(step int, prev *goroutine, en []*goroutine, acc []access) *goroutine {
		if !res.abandoned {
			if g := choose(step, prev, en, acc); g != nil {
				return g
			}
			res.abandoned = true
		}
		return defaultChoice(prev, en)
	}
	fail := func(kind FailureKind, msg string) *Result {
		r.stopAll(kind == Stuck)
		r.mu.Lock()
		res.Trace = append(Trace(nil), r.trace...)
		res.opaque = r.opaque
		r.mu.Unlock()
		res.Failure = &Failure{Kind: kind, Scenario: sc.Name, Message: msg, Trace: res.Trace, Schedule: res.Schedule}
		return res
	}
	var prev *goroutine
	for {
		if err := r.settle(false); err != nil {
			return fail(Stuck, err.Error())
		}
		r.mu.Lock()
		var panicked *goroutine
		live := 0
		for _, g := range r.gs {
			if g.panicked != nil && panicked == nil {
				panicked = g
			}
			if g.state != done {
				live++
			}
		}
		r.mu.Unlock()
		if panicked != nil {
			p := panicked.panicked
			if p.goexit {
				return fail(Panicked, fmt.Sprintf("%s called runtime.Goexit at %s (%s): it ended before its function returned, "+
					"which runs its deferred calls as if it had finished; a goroutine of a run must return", panicked.name, p.at, p.at.ShortFunc()))
			}
			return fail(Panicked, fmt.Sprintf("%s panicked at %s (%s): %v", panicked.name, p.at, p.at.ShortFunc(), p.value))
		}
		if live == 0 {
			break
		}
		en, acc, asleep := r.enabled()
		if asleep {
			// Nothing else can go on: time passes, and the sleepers wake.
			if err := r.settle(true); err != nil {
				return fail(Stuck, err.Error())
			}
			continue
		}
		if len(en) == 0 && r.timedWake() {
			continue // a goroutine in a select or receive with a timeout woke up
		}
		if len(en) == 0 {
			return fail(Deadlock, "deadlock: every goroutine is blocked, and none can wake another\n  "+
				strings.ReplaceAll(r.blockedReport(), "\n", "\n  "))
		}
		if len(res.Schedule) >= opts.MaxSteps {
			return fail(Livelock, fmt.Sprintf("livelock: the run took more than %d steps without finishing: the goroutines may be spinning, each waiting for another to move", opts.MaxSteps))
		}
		g := pick(len(res.Schedule), prev, en, acc)
		names := make([]string, len(en))
		for i, e := range en {
			names[i] = e.name
		}
		res.enabled = append(res.enabled, names)
		res.access = append(res.access, acc)
		res.Schedule = append(res.Schedule, g.name)
		prev = g
		r.grant(g)
	}
	r.mu.Lock()
	res.Trace = append(Trace(nil), r.trace...)
	res.opaque = r.opaque
	checks := r.finally
	r.mu.Unlock()
	var broken []string
	r.checking.Store(true)
	for _, check := range checks {
		if err := check(); err != nil {
			broken = append(broken, err.Error())
		}
	}
	r.checking.Store(false)
	if len(broken) > 0 {
		r.mu.Lock()
		looked := slices.Clone(r.looked)
		r.mu.Unlock()
		res.Failure = &Failure{Kind: Broken, Scenario: sc.Name, Message: strings.Join(broken, "\n"), Trace: res.Trace, Schedule: res.Schedule, about: looked}
	} else if races := res.Trace.Races(); opts.DataRaces && len(races) > 0 {
		res.Failure = &Failure{Kind: DataRace, Scenario: sc.Name, Message: "data race: " + races[0].String(), Trace: res.Trace, Schedule: res.Schedule,
			about: []string{races[0].First.Cell}}
	}
	return res
}

// Replay runs the scenario once, following schedule (its text form, e.g.
// "A*3 B*3 A B A B"). When a step names a goroutine that cannot take it
// (blocked, finished, or not started by the scenario), the run notes why in
// Result.Notes and lets the goroutine that would run without a preemption
// take the step instead; after the schedule's last step the run goes on
// without preemptions until every goroutine has finished. A fix that makes
// a bad interleaving impossible therefore reads, in the notes, as the place
// where the schedule could no longer be followed.
//
// The error is non-nil only for a schedule that does not parse.
func Replay(schedule string, sc Scenario, opts ...Options) (*Result, error) {
	showRequested(sc, opts)
	playRequested(sc, opts)
	want, err := ParseSchedule(schedule)
	if err != nil {
		return nil, err
	}
	o := optionsOf(opts)
	var notes []string
	diverged := 0
	res := execute(sc, o.withDefaults(), func(step int, prev *goroutine, en []*goroutine, _ []access) *goroutine {
		if step >= len(want) {
			return defaultChoice(prev, en)
		}
		for _, g := range en {
			if g.name == want[step] {
				return g
			}
		}
		alt := defaultChoice(prev, en)
		if diverged++; diverged == 1 {
			notes = append(notes, fmt.Sprintf("step %d: the schedule wants %s, but %s; %s runs instead", step+1, want[step], whyNot(want[step], en[0].run), alt.name))
		}
		return alt
	})
	if diverged > 1 {
		notes = append(notes, fmt.Sprintf("%d later %s of the schedule could not be followed either", diverged-1, plural(diverged-1, "step")))
	}
	if left := len(want) - len(res.Schedule); left > 0 && res.Failure == nil {
		notes = append(notes, fmt.Sprintf("the run ended after %d %s; the schedule's last %d %s not needed",
			len(res.Schedule), plural(len(res.Schedule), "step"), left, map[bool]string{true: "was", false: "were"}[left == 1]))
	}
	res.Notes = notes
	return res, nil
}

// whyNot says why the goroutine named name cannot take a step.
func whyNot(name string, r *Run) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, g := range r.gs {
		if g.name != name {
			continue
		}
		switch g.state {
		case blocked:
			return fmt.Sprintf("%s waits in %s at %s", name, g.wait, g.waitAt)
		case sleeping:
			return name + " sleeps"
		case paused:
			if w := r.waitsLocked(g); w != "" {
				return fmt.Sprintf("%s %s, at %s", name, w, g.pausedAt)
			}
			if g.napped {
				return name + " has slept, and runs only when nothing else can"
			}
		case done:
			return name + " has finished"
		}
		return name + " is not at a scheduling point"
	}
	return "the scenario started no goroutine named " + name
}
