package lab

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/racekit/racekit/pkg/gil"
	"github.com/racekit/racekit/pkg/vm"
)

// convoyProgram holds the two threads of the convoy: io(k) makes up to k
// blocking calls sleep(1), which let go of the GIL, and stops early once
// the global stop is set; it returns how many calls it made. spin() is
// CPU-bound: it counts n down, then sets stop.
var convoyProgram = vm.MustAssemble("convoy.asm", `# def io(k):
#     calls = 0
#     while calls < k and not stop:
#         sleep(1)
#         calls += 1
#     return calls
func io(k)
    LOAD_CONST 0
    STORE_FAST calls
loop:
    LOAD_FAST calls
    LOAD_FAST k
    COMPARE_OP <
    POP_JUMP_IF_FALSE done
    LOAD_GLOBAL stop
    POP_JUMP_IF_TRUE done
    LOAD_CONST 1
    CALL_BUILTIN sleep 1
    POP_TOP
    LOAD_FAST calls
    LOAD_CONST 1
    BINARY_OP +
    STORE_FAST calls
    JUMP loop
done:
    LOAD_FAST calls
    RETURN_VALUE
end

# def spin(n):
#     global stop
#     while n > 0:
#         n -= 1
#     stop = 1
func spin(n)
loop:
    LOAD_FAST n
    LOAD_CONST 0
    COMPARE_OP >
    POP_JUMP_IF_FALSE done
    LOAD_FAST n
    LOAD_CONST 1
    BINARY_OP -
    STORE_FAST n
    JUMP loop
done:
    LOAD_CONST 1
    STORE_GLOBAL stop
    LOAD_CONST None
    RETURN_VALUE
end
`)

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
		calls, n := 200, 20_000_000
		if o.Quick {
			calls, n = 50, 2_000_000
		}
		return runConvoy(ctx, o, progress, calls, n)
	},
}

// runConvoy times io(calls) alone, then io beside spin(n) under the old GIL
// and under the new GIL at each of convoyIntervals; each row is the time
// per I/O call, with the ratio to the one alone.
func runConvoy(ctx context.Context, o Options, progress func(string), calls, n int) (Result, error) {
	steps := []step{
		{label: convoyAlone, runtime: VM, baseline: true, run: ioCalls(nil, calls, 0)},
		{label: convoyOld, runtime: VM, run: ioCalls(&gil.Old{WakeUp: wakeUp, MaxEvents: -1}, calls, n)},
	}
	for _, d := range convoyIntervals {
		steps = append(steps, step{label: convoyNew(d), runtime: VM, run: ioCalls(&gil.New{Interval: d, MaxEvents: -1}, calls, n)})
	}
	if o.CPython != "" {
		steps = append(steps, step{label: convoyAlone, runtime: CPython, baseline: true, run: onCPython(o.CPython, "convoy", "alone", calls, n, 1)})
		for _, d := range convoyIntervals {
			steps = append(steps, step{label: convoyNew(d), runtime: CPython, run: onCPython(o.CPython, "convoy", strconv.FormatFloat(d.Seconds(), 'g', -1, 64), calls, n, 1)})
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
		"beside a CPU-bound thread a 1 ms I/O call takes %.1f× its time alone under the old GIL, %.1f× under the new GIL at 5 ms and %.1f× at 0.1 ms: after each call the thread waits a switch interval to get the GIL back",
		old.Ratio, at5.Ratio, at01.Ratio)}, nil
}

// ioCalls times io(calls) on thread IO and returns the time per call made.
// With a lock, spin(n) runs beside it on thread CPU, started first, and io
// stops when spin is done.
func ioCalls(lock vm.Lock, calls, n int) func(context.Context) (time.Duration, error) {
	return func(context.Context) (time.Duration, error) {
		in := vm.New(vm.Config{Lock: lock})
		in.SetGlobal("stop", 0)
		var cpu *vm.Thread
		if lock != nil {
			cpu = in.NewThread("CPU")
			cpu.Start(convoyProgram, "spin", n)
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
		k, ok := made.(int64)
		if !ok {
			if i, isInt := made.(int); isInt {
				k = int64(i)
			} else {
				return 0, fmt.Errorf("io returned %v, not a count", made)
			}
		}
		return elapsed / time.Duration(max(k, 1)), nil
	}
}
