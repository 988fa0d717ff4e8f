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
		return runBattle(ctx, o, progress, n)
	},
}

// runBattle runs countdown(n) in each of two threads of one interpreter,
// under gil.Old and then under gil.New, and reports each lock's time and
// the longest wait of a waiter, with ratios to the old GIL's time.
func runBattle(ctx context.Context, o Options, progress func(string), n int) (Result, error) {
	old, nw := &gil.Old{WakeUp: wakeUp, MaxEvents: maxEvents}, &gil.New{MaxEvents: maxEvents}
	steps := []step{
		{label: battleOld, runtime: VM, baseline: true, run: underLock(old, countdownProgram, "countdown", n)},
		{label: battleOldWait, runtime: VM, run: longestWaitOf(old)},
		{label: battleNew, runtime: VM, run: underLock(nw, countdownProgram, "countdown", n)},
		{label: battleNewWait, runtime: VM, run: longestWaitOf(nw)},
	}
	if o.CPython != "" {
		steps = append(steps, step{label: battlePython, runtime: CPython, baseline: true, run: onCPython(o.CPython, "cpu", "threads", 2, n, 0)})
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
		res.Reading += "; CPython's sys.getswitchinterval() is 0.005 by default"
	}
	return res, nil
}

// fmtSeconds shows a number of seconds as a duration, to the microsecond.
func fmtSeconds(s float64) string {
	return time.Duration(s * float64(time.Second)).Round(time.Microsecond).String()
}

// underLock times fn(args...) run at once by two threads, A and B, of one
// interpreter under lock.
func underLock(lock vm.Lock, p *vm.Program, fn string, args ...any) func(context.Context) (time.Duration, error) {
	return func(context.Context) (time.Duration, error) {
		in := vm.New(vm.Config{Lock: lock})
		start := time.Now()
		a, b := in.NewThread("A"), in.NewThread("B")
		a.Start(p, fn, args...)
		b.Start(p, fn, args...)
		for _, t := range []*vm.Thread{a, b} {
			if _, err := t.Join(); err != nil {
				return 0, err
			}
		}
		return time.Since(start), nil
	}
}

// longestWaitOf returns a step's run that takes no time itself and returns
// the longest wait in lock's timeline so far.
func longestWaitOf(lock timelined) func(context.Context) (time.Duration, error) {
	return func(context.Context) (time.Duration, error) { return longestWait(lock.Timeline()), nil }
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
