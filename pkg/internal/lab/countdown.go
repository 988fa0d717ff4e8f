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

// The rows of the countdown experiment: on the VM, each build's label
// starts with its name ("new GIL: one thread").
const (
	oneThread        = "one thread"
	twoThreads       = "two threads of one interpreter"
	twoInterpreters  = "two interpreters"
	twoInterpretersP = "two processes"
)

// noGILShare ends the no-GIL rows' labels: they count a twentieth as far.
const noGILShare = ", n/20"

// onBuild is the label of a row of build b: "new GIL: one thread".
func onBuild(b build, what string) string { return b.name + ": " + what }

var countdownExperiment = Experiment{
	Name:   "countdown",
	Source: "seed 004",
	Shows:  "countdown(n) in one thread, two threads (n/2 each) and two interpreters (n/2 each), under the old GIL, the new one and none: threads of one GIL are no faster",
	Run:    runCountdown,
}

// runCountdown is seed 004's experiment: countdown(n) in one thread, then
// in two threads of one interpreter and in two interpreters (processes for
// CPython), n/2 each, with the ratios to one thread; on the VM under the
// old GIL, the new GIL and no GIL. The seed ran CPython 3 (the new GIL):
// its ratios go beside the new GIL's rows and CPython's.
func runCountdown(ctx context.Context, o Options, progress func(string)) (Result, error) {
	// The seed's COUNT, 5,000,000, took it half a second; the VM and
	// today's CPython count it down several times faster, so the full run
	// counts four times as far and --quick uses the seed's own COUNT.
	n := 20_000_000
	if o.Quick {
		n = 5_000_000
	}
	seedThreads, seedProcesses := seed004TwoThreads/seed004OneThread, seed004TwoProcesses/seed004OneThread
	var steps []step
	for _, b := range []build{oldGIL, newGIL} {
		steps = append(steps,
			step{label: onBuild(b, oneThread), runtime: VM, baseline: true, seedRatio: b.seedRatio(1), run: onVM(b, countdownProgram, "countdown", "seq", 1, n)},
			step{label: onBuild(b, twoThreads), runtime: VM, seedRatio: b.seedRatio(seedThreads), run: onVM(b, countdownProgram, "countdown", "threads", 2, n/2)},
			step{label: onBuild(b, twoInterpreters), runtime: VM, seedRatio: b.seedRatio(seedProcesses), run: onVM(b, countdownProgram, "countdown", "interpreters", 2, n/2)})
	}
	// Without a GIL every int the loop makes is an object whose
	// references are counted (biased counts), a few times the GIL build's
	// cost per step: the no-GIL rows count a twentieth as far, and their
	// ratios are to their own one thread. (Two interpreters would add
	// nothing: threads already run at once.)
	steps = append(steps,
		step{label: onBuild(noGIL, oneThread+noGILShare), runtime: VM, baseline: true, run: onVM(noGIL, countdownProgram, "countdown", "seq", 1, n/20)},
		step{label: onBuild(noGIL, twoThreads+noGILShare), runtime: VM, run: onVM(noGIL, countdownProgram, "countdown", "threads", 2, n/40)})
	if o.CPython != "" {
		steps = append(steps,
			step{label: oneThread, runtime: CPython, baseline: true, seedRatio: 1, run: onCPython(o.CPython, "cpu", "seq", 1, n, 0)},
			step{label: twoThreads, runtime: CPython, seedRatio: seedThreads, run: onCPython(o.CPython, "cpu", "threads", 2, n/2, 0)},
			step{label: twoInterpretersP, runtime: CPython, seedRatio: seedProcesses, run: onCPython(o.CPython, "cpu", "procs", 2, n/2, 0)},
		)
	}
	rows, err := measure(ctx, steps, progress)
	if err != nil {
		return Result{}, err
	}
	old, _ := rowOf(rows, onBuild(oldGIL, twoThreads), VM)
	nw, _ := rowOf(rows, onBuild(newGIL, twoThreads), VM)
	none, _ := rowOf(rows, onBuild(noGIL, twoThreads+noGILShare), VM)
	interps, _ := rowOf(rows, onBuild(newGIL, twoInterpreters), VM)
	return Result{Rows: rows, Reading: fmt.Sprintf(
		"two threads of one interpreter take %.2f× one thread's time under the new GIL (seed 004: %.2f×) and %.2f× under the old one: one GIL, one thread at a time; two interpreters take %.2f×, each with its own lock, and two threads without a GIL %.2f×",
		nw.Ratio, nw.SeedRatio, old.Ratio, interps.Ratio, none.Ratio)}, nil
}
