package lab

import (
	"context"
	"fmt"

	"github.com/racekit/racekit/pkg/vm"
)

// Seed 004 (shared/seeds/004_*.txt) times countdown(5_000_000) in CPython:
// 0.4990673065185547 s in one thread, 0.6345868110656738 s in two threads of
// COUNT//2 each, and 3.6697864532470703 s in two processes of COUNT//2 each.
const (
	seed004OneThread    = 0.4990673065185547
	seed004TwoThreads   = 0.6345868110656738
	seed004TwoProcesses = 3.6697864532470703
)

// countdownProgram is the seeds' countdown(n) as the VM runs it.
var countdownProgram = vm.MustAssemble("countdown.asm", `# def countdown(n):
#     while n > 0:
#         n -= 1
func countdown(n)
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
    LOAD_FAST n
    RETURN_VALUE
end
`)

// The rows of the countdown experiment.
const (
	oneThread        = "one thread"
	twoThreads       = "two threads of one interpreter"
	twoInterpreters  = "two interpreters"
	twoInterpretersP = "two processes"
)

var countdownExperiment = Experiment{
	Name:   "countdown",
	Source: "seed 004",
	Shows:  "countdown(n) in one thread, two threads (n/2 each) and two interpreters (n/2 each): threads of one GIL are no faster",
	Run:    runCountdown,
}

// runCountdown is seed 004's experiment: countdown(n) in one thread, then
// in two threads of one interpreter and in two interpreters (processes for
// CPython), n/2 each, with the ratios to one thread.
func runCountdown(ctx context.Context, o Options, progress func(string)) (Result, error) {
	// The seed's COUNT, 5,000,000, took it half a second; the VM and
	// today's CPython count it down several times faster, so the full run
	// counts four times as far and --quick uses the seed's own COUNT.
	n := 20_000_000
	if o.Quick {
		n = 5_000_000
	}
	steps := []step{
		{label: oneThread, runtime: VM, baseline: true, seedRatio: 1, run: onVM(countdownProgram, "countdown", "seq", 1, n)},
		{label: twoThreads, runtime: VM, seedRatio: seed004TwoThreads / seed004OneThread, run: onVM(countdownProgram, "countdown", "threads", 2, n/2)},
		{label: twoInterpreters, runtime: VM, seedRatio: seed004TwoProcesses / seed004OneThread, run: onVM(countdownProgram, "countdown", "interpreters", 2, n/2)},
	}
	if o.CPython != "" {
		steps = append(steps,
			step{label: oneThread, runtime: CPython, baseline: true, seedRatio: 1, run: onCPython(o.CPython, "cpu", "seq", 1, n, 0)},
			step{label: twoThreads, runtime: CPython, seedRatio: seed004TwoThreads / seed004OneThread, run: onCPython(o.CPython, "cpu", "threads", 2, n/2, 0)},
			step{label: twoInterpretersP, runtime: CPython, seedRatio: seed004TwoProcesses / seed004OneThread, run: onCPython(o.CPython, "cpu", "procs", 2, n/2, 0)},
		)
	}
	rows, err := measure(ctx, steps, progress)
	if err != nil {
		return Result{}, err
	}
	threads, _ := rowOf(rows, twoThreads, VM)
	interps, _ := rowOf(rows, twoInterpreters, VM)
	return Result{Rows: rows, Reading: fmt.Sprintf(
		"two threads of one interpreter take %.2f× one thread's time on the VM (seed 004: %.2f×): one GIL, one thread at a time; two interpreters take %.2f×, each with its own lock",
		threads.Ratio, threads.SeedRatio, interps.Ratio)}, nil
}
