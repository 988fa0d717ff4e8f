package lab

import (
	"context"
	"fmt"
	"time"

	"github.com/racekit/racekit/pkg/gil"
	"github.com/racekit/racekit/pkg/vm"
)

// wakeUp is the old GIL's WakeUp in the lab: about how long an operating
// system takes to wake a thread blocked on a condition variable, the
// latency that let CPython 2's releasing thread take its lock back.
const wakeUp = 50 * time.Microsecond

// maxEvents is how many events a lab lock keeps in its timeline: enough for
// a full run's every drop and take.
const maxEvents = 1 << 21

// timelined is a lock that counts its switches and records a timeline.
type timelined interface {
	vm.Lock
	Switches() int
	Timeline() gil.Timeline
}

// The rows of the battle experiment.
const (
	battleAlone   = "one thread: both countdowns, one after the other"
	battleOld     = "old GIL: two CPU-bound threads"
	battleOldWait = "old GIL: longest wait of a waiter"
	battleNew     = "new GIL: two CPU-bound threads"
	battleNewWait = "new GIL: longest wait of a waiter"
	battlePython  = "two CPU-bound threads"
)

var battleExperiment = Experiment{
	Name:   "battle",
	Source: "seed 000, lesson 07",
	Shows:  "two CPU-bound threads under the old GIL and the new one: who held it when, how often it changed hands, how long a waiter waited",
	Run: func(ctx context.Context, o Options, progress func(string)) (Result, error) {
		n := 8_000_000
		if o.Quick {
			n = 1_500_000
		}
		return runBattle(ctx, o, progress, cpuJob{program: countdownProgram, fn: "countdown", args: []any{n}}, n)
	},
}

// A cpuJob is the CPU-bound work each thread of the battle does: fn(args...)
// of program, on an interpreter with builtins defined besides the VM's own.
// The battle counts down; its fake-time specs give a job whose builtin
// sleeps while it holds the GIL, since bytecode takes no time there.
type cpuJob struct {
	program  *vm.Program
	fn       string
	args     []any
	builtins map[string]vm.Builtin
	// checkInterval is the interpreters' vm.Config.CheckInterval; 0 is
	// the VM's default.
	checkInterval int
}

// interpreter returns a new interpreter under lock with j's builtins.
func (j cpuJob) interpreter(lock vm.Lock) *vm.Interpreter {
	in := vm.New(vm.Config{Lock: lock, CheckInterval: j.checkInterval})
	for name, fn := range j.builtins {
		in.Define(name, fn)
	}
	return in
}

// runBattle runs job twice on one thread, then once in each of two
// threads of one interpreter, under gil.Old and then under gil.New, and
// reports each lock's time and the longest wait of a waiter, with ratios
// to the one thread's time; on CPython, countdown(n) twice on one thread
// and once on each of two, and the switch interval CPython reports.
func runBattle(ctx context.Context, o Options, progress func(string), job cpuJob, n int) (Result, error) {
	// Recording a timeline costs a clock reading per event, and the old
	// GIL makes an event at every check: the times come from locks that
	// keep none, the pictures, waits and switch counts from a second run
	// of each lock that keeps them.
	old, nw := &gil.Old{WakeUp: wakeUp, MaxEvents: maxEvents}, &gil.New{MaxEvents: maxEvents}
	steps := []step{
		{label: battleAlone, runtime: VM, baseline: true, run: job.onOneThread(&gil.New{MaxEvents: -1})},
		{label: battleOld, runtime: VM, run: job.onTwoThreads(&gil.Old{WakeUp: wakeUp, MaxEvents: -1})},
		{label: battleOldWait, runtime: VM, run: job.longestWait(old)},
		{label: battleNew, runtime: VM, run: job.onTwoThreads(&gil.New{MaxEvents: -1})},
		{label: battleNewWait, runtime: VM, run: job.longestWait(nw)},
	}
	var interval time.Duration // CPython's sys.getswitchinterval()
	if o.CPython != "" {
		steps = append(steps,
			step{label: battleAlone, runtime: CPython, baseline: true, run: onCPython(o.CPython, "cpu", "seq", 2, n, 0)},
			step{label: battlePython, runtime: CPython, run: onCPython(o.CPython, "cpu", "threads", 2, n, 0)})
		var err error
		if interval, err = onCPython(o.CPython, "switchinterval", "-", 0, 0, 0)(ctx); err != nil {
			return Result{}, err
		}
	}
	rows, err := measure(ctx, steps, progress)
	if err != nil {
		return Result{}, err
	}
	res := Result{
		Rows:      rows,
		Timelines: map[string]gil.Timeline{"old GIL": old.Timeline(), "new GIL": nw.Timeline()},
		Switches:  map[string]int{"old GIL": old.Switches(), "new GIL": nw.Switches()},
	}
	oldWait, _ := rowOf(rows, battleOldWait, VM)
	newWait, _ := rowOf(rows, battleNewWait, VM)
	res.Reading = fmt.Sprintf(
		"the old GIL changed hands %d times and kept a waiter waiting up to %s; the new GIL %d times, a waiter waiting at most %s: it hands the lock over every switch interval (%s)",
		old.Switches(), fmtSeconds(oldWait.Seconds), nw.Switches(), fmtSeconds(newWait.Seconds), nw.SwitchInterval())
	if o.CPython != "" {
		res.Reading += fmt.Sprintf("; CPython's is %s (sys.getswitchinterval())", interval)
	}
	return res, nil
}

// fmtSeconds shows a number of seconds as a duration, to the microsecond.
func fmtSeconds(s float64) string {
	return time.Duration(s * float64(time.Second)).Round(time.Microsecond).String()
}

// onOneThread times the job done twice, one after the other, by thread A
// of an interpreter under lock.
func (j cpuJob) onOneThread(lock vm.Lock) func(context.Context) (time.Duration, error) {
	return func(context.Context) (time.Duration, error) {
		a := j.interpreter(lock).NewThread("A")
		start := time.Now()
		for range 2 {
			if _, err := a.Call(j.program, j.fn, j.args...); err != nil {
				return 0, err
			}
		}
		return time.Since(start), nil
	}
}

// onTwoThreads times the job done at once by two threads, A and B, of one
// interpreter under lock. A starts first.
func (j cpuJob) onTwoThreads(lock vm.Lock) func(context.Context) (time.Duration, error) {
	return func(context.Context) (time.Duration, error) {
		in := j.interpreter(lock)
		start := time.Now()
		a, b := in.NewThread("A"), in.NewThread("B")
		a.Start(j.program, j.fn, j.args...)
		b.Start(j.program, j.fn, j.args...)
		for _, t := range []*vm.Thread{a, b} {
			if _, err := t.Join(); err != nil {
				return 0, err
			}
		}
		return time.Since(start), nil
	}
}

// longestWait returns a step's run that runs the job on two threads under
// lock, which records its timeline, and returns the longest wait in it.
func (j cpuJob) longestWait(lock timelined) func(context.Context) (time.Duration, error) {
	return func(ctx context.Context) (time.Duration, error) {
		if _, err := j.onTwoThreads(lock)(ctx); err != nil {
			return 0, err
		}
		return longestWait(lock.Timeline()), nil
	}
}

// longestWait is the longest time a thread of tl waited for the lock: from
// its Waiting event to its next take, or to the last event kept when it
// never took the lock within the timeline.
func longestWait(tl gil.Timeline) time.Duration {
	since := map[string]time.Time{}
	var longest time.Duration
	for _, e := range tl.Events {
		switch e.Kind {
		case gil.Waiting:
			if _, ok := since[e.Thread]; !ok {
				since[e.Thread] = e.Time
			}
		case gil.Acquired:
			if from, ok := since[e.Thread]; ok {
				longest = max(longest, e.Time.Sub(from))
				delete(since, e.Thread)
			}
		}
	}
	if len(tl.Events) > 0 {
		last := tl.Events[len(tl.Events)-1].Time
		for _, from := range since {
			longest = max(longest, last.Sub(from))
		}
	}
	return longest
}
