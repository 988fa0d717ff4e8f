package lab

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/racekit/racekit/pkg/gil"
	"github.com/racekit/racekit/pkg/vm"
)

// convoyProgram holds the two threads of the convoy: io(k) makes k
// blocking calls sleep(1), which let go of the GIL, then sets the global
// done and returns how many calls it made. spin() is CPU-bound: it counts
// down until done is set, so it keeps the CPU busy for as long as the I/O
// thread runs, however long that is.
var convoyProgram = vm.MustAssemble("convoy.asm", `# def io(k):
#     global done
#     calls = 0
#     while calls < k:
#         sleep(1)
#         calls += 1
#     done = 1
#     return calls
func io(k)
    LOAD_CONST 0
    STORE_FAST calls
loop:
    LOAD_FAST calls
    LOAD_FAST k
    COMPARE_OP <
    POP_JUMP_IF_FALSE finish
    LOAD_CONST 1
    CALL_BUILTIN sleep 1
    POP_TOP
    LOAD_FAST calls
    LOAD_CONST 1
    BINARY_OP +
    STORE_FAST calls
    JUMP loop
finish:
    LOAD_CONST 1
    STORE_GLOBAL done
    LOAD_FAST calls
    RETURN_VALUE
end

# def spin():
#     n = 0
#     while not done:
#         n -= 1
func spin()
    LOAD_CONST 0
    STORE_FAST n
loop:
    LOAD_GLOBAL done
    POP_JUMP_IF_TRUE finish
    LOAD_FAST n
    LOAD_CONST 1
    BINARY_OP -
    STORE_FAST n
    JUMP loop
finish:
    LOAD_CONST None
    RETURN_VALUE
end
`)

// oldGILWait is about how long an I/O call waits for the old GIL beside a
// CPU-bound thread, to size the old GIL's row (see convoyCalls).
const oldGILWait = 25 * time.Millisecond

// The switch intervals the convoy tries the new GIL at.
var convoyIntervals = []time.Duration{100 * time.Microsecond, time.Millisecond, 5 * time.Millisecond, 50 * time.Millisecond}

// The rows of the convoy experiment.
const (
	convoyAlone = "I/O call of 1 ms, alone"
	convoyOld   = "I/O call beside a CPU-bound thread, old GIL"
)

// convoyNew is the label of the row for the new GIL at switch interval d.
func convoyNew(d time.Duration) string {
	return "I/O call beside a CPU-bound thread, new GIL at " + d.String()
}

var convoyExperiment = Experiment{
	Name:   "convoy",
	Source: "lesson 07",
	Shows:  "an I/O-bound thread's 1 ms calls beside a CPU-bound thread (bpo-7946): each call waits for the GIL, longer the longer the switch interval",
	Run: func(ctx context.Context, o Options, progress func(string)) (Result, error) {
		budget := time.Second
		if o.Quick {
			budget = 200 * time.Millisecond
		}
		return runConvoy(ctx, o, progress, budget)
	},
}

// convoyCalls is how many 1 ms calls the I/O thread makes in a row whose
// calls each wait about wait for the GIL: enough to fill budget, and no
// fewer than 5, so that a long switch interval still gives an average.
func convoyCalls(budget, wait time.Duration) int {
	return max(5, int(budget/(wait+time.Millisecond)))
}

// runConvoy times the I/O thread's calls alone, then beside the spinning
// thread under the old GIL and under the new GIL at each of
// convoyIntervals; each row is the time per I/O call, with the ratio to the
// one alone. Each row's calls fill about budget (see convoyCalls), so that
// the 50 ms row does not take fifty times the 1 ms row's time. The old
// GIL's wait has no interval to go by: its calls are counted as if each
// waited oldGILWait (one run here waited 28 ms a call).
func runConvoy(ctx context.Context, o Options, progress func(string), budget time.Duration) (Result, error) {
	alone := convoyCalls(budget, 0)
	steps := []step{
		{label: convoyAlone, runtime: VM, baseline: true, run: ioCalls(nil, alone)},
		{label: convoyOld, runtime: VM, run: ioCalls(&gil.Old{WakeUp: wakeUp, MaxEvents: -1}, convoyCalls(budget, oldGILWait))},
	}
	for _, d := range convoyIntervals {
		steps = append(steps, step{label: convoyNew(d), runtime: VM, run: ioCalls(&gil.New{Interval: d, MaxEvents: -1}, convoyCalls(budget, d))})
	}
	if o.CPython != "" {
		steps = append(steps, step{label: convoyAlone, runtime: CPython, baseline: true, run: onCPython(o.CPython, "convoy", "alone", alone, 0, 1)})
		for _, d := range convoyIntervals {
			steps = append(steps, step{label: convoyNew(d), runtime: CPython, run: onCPython(o.CPython, "convoy", strconv.FormatFloat(d.Seconds(), 'g', -1, 64), convoyCalls(budget, d), 0, 1)})
		}
	}
	rows, err := measure(ctx, steps, progress)
	if err != nil {
		return Result{}, err
	}
	old, _ := rowOf(rows, convoyOld, VM)
	at5, _ := rowOf(rows, convoyNew(5*time.Millisecond), VM)
	at01, _ := rowOf(rows, convoyNew(100*time.Microsecond), VM)
	return Result{Rows: rows, Reading: fmt.Sprintf(
		"beside a CPU-bound thread a 1 ms I/O call takes %.1f× its time alone under the old GIL, %.1f× under the new GIL at 5 ms and %.1f× at 0.1 ms: after each call the thread waits up to a switch interval to get the GIL back",
		old.Ratio, at5.Ratio, at01.Ratio)}, nil
}

// ioCalls times io(calls) on thread IO and returns the time per call.
// With a lock, spin() runs beside it on thread CPU, started first, until
// io is done.
func ioCalls(lock vm.Lock, calls int) func(context.Context) (time.Duration, error) {
	return func(context.Context) (time.Duration, error) {
		in := vm.New(vm.Config{Lock: lock})
		in.SetGlobal("done", 0)
		var cpu *vm.Thread
		if lock != nil {
			cpu = in.NewThread("CPU")
			cpu.Start(convoyProgram, "spin")
		}
		io := in.NewThread("IO")
		start := time.Now()
		io.Start(convoyProgram, "io", calls)
		made, err := io.Join()
		elapsed := time.Since(start)
		if err != nil {
			return 0, err
		}
		if cpu != nil {
			if _, err := cpu.Join(); err != nil {
				return 0, err
			}
		}
		if made != int64(calls) && made != calls {
			return 0, fmt.Errorf("io made %v calls, want %d", made, calls)
		}
		return elapsed / time.Duration(calls), nil
	}
}
