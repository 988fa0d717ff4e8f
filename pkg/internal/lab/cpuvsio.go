package lab

import (
	"context"
	"fmt"

	"github.com/racekit/racekit/pkg/vm"
)

// Seed 002 (shared/seeds/002_*.txt) runs two CPU-bound jobs in CPython in
// 22.589264 s one after the other and 28.020673 s in two threads, and two
// I/O-bound jobs (three rounds of time.sleep(2) and a CPU-bound part) in
// 39.043801 s one after the other and 27.756528 s in two threads. Its
// processes figure (9.981085 s against 23.084413 s for threads) is for
// three smaller jobs and no sequential run, so it gives no ratio to the
// sequential baseline.
const (
	seed002CPUSequential = 22.589264
	seed002CPUThreads    = 28.020673
	seed002IOSequential  = 39.043801
	seed002IOThreads     = 27.756528
)

// workIOProgram is seed 002's work_io as the VM runs it: three rounds of
// sleep(ms), which releases the GIL, then countdown(n).
var workIOProgram = vm.MustAssemble("work_io.asm", `# def work_io(ms, n):
#     for _ in range(3):
#         sleep(ms)
#         countdown(n)
func work_io(ms, n)
    LOAD_CONST 3
    STORE_FAST r
round:
    LOAD_FAST r
    LOAD_CONST 0
    COMPARE_OP >
    POP_JUMP_IF_FALSE done
    LOAD_FAST r
    LOAD_CONST 1
    BINARY_OP -
    STORE_FAST r
    LOAD_FAST ms
    CALL_BUILTIN sleep 1
    POP_TOP
    LOAD_FAST n
    STORE_FAST i
spin:
    LOAD_FAST i
    LOAD_CONST 0
    COMPARE_OP >
    POP_JUMP_IF_FALSE round
    LOAD_FAST i
    LOAD_CONST 1
    BINARY_OP -
    STORE_FAST i
    JUMP spin
done:
    LOAD_CONST 0
    RETURN_VALUE
end
`)

// The rows of the cpu-vs-io experiment.
const (
	cpuSequential   = "CPU-bound: sequential"
	cpuThreads      = "CPU-bound: two threads"
	cpuInterpreters = "CPU-bound: two interpreters"
	cpuProcesses    = "CPU-bound: two processes"
	ioSequential    = "I/O-bound: sequential"
	ioThreads       = "I/O-bound: two threads"
)

var cpuVsIOExperiment = Experiment{
	Name:   "cpu-vs-io",
	Source: "seed 002",
	Shows:  "two CPU-bound jobs and two I/O-bound jobs, one after the other and at once: threads help only when a job waits",
	Run:    runCPUVsIO,
}

// runCPUVsIO is seed 002's experiment: two CPU-bound jobs one after the
// other, in two threads and in two interpreters (processes for CPython);
// two I/O-bound jobs one after the other and in two threads; on the VM
// under the old GIL and the new one (the seed's). Each group's ratios are
// to its sequential row.
func runCPUVsIO(ctx context.Context, o Options, progress func(string)) (Result, error) {
	cpuN, ioN, ioMS := 10_000_000, 2_000_000, 200
	if o.Quick {
		cpuN, ioN, ioMS = 2_500_000, 500_000, 40
	}
	var steps []step
	for _, b := range []build{oldGIL, newGIL} {
		steps = append(steps,
			step{label: onBuild(b, cpuSequential), runtime: VM, baseline: true, seedRatio: b.seedRatio(1), run: onVM(b, countdownProgram, "countdown", "seq", 2, cpuN)},
			step{label: onBuild(b, cpuThreads), runtime: VM, seedRatio: b.seedRatio(seed002CPUThreads / seed002CPUSequential), run: onVM(b, countdownProgram, "countdown", "threads", 2, cpuN)},
			step{label: onBuild(b, cpuInterpreters), runtime: VM, run: onVM(b, countdownProgram, "countdown", "interpreters", 2, cpuN)},
			step{label: onBuild(b, ioSequential), runtime: VM, baseline: true, seedRatio: b.seedRatio(1), run: onVM(b, workIOProgram, "work_io", "seq", 2, ioMS, ioN)},
			step{label: onBuild(b, ioThreads), runtime: VM, seedRatio: b.seedRatio(seed002IOThreads / seed002IOSequential), run: onVM(b, workIOProgram, "work_io", "threads", 2, ioMS, ioN)},
		)
	}
	if o.CPython != "" {
		steps = append(steps,
			step{label: cpuSequential, runtime: CPython, baseline: true, seedRatio: 1, run: onCPython(o.CPython, "cpu", "seq", 2, cpuN, 0)},
			step{label: cpuThreads, runtime: CPython, seedRatio: seed002CPUThreads / seed002CPUSequential, run: onCPython(o.CPython, "cpu", "threads", 2, cpuN, 0)},
			step{label: cpuProcesses, runtime: CPython, run: onCPython(o.CPython, "cpu", "procs", 2, cpuN, 0)},
			step{label: ioSequential, runtime: CPython, baseline: true, seedRatio: 1, run: onCPython(o.CPython, "io", "seq", 2, ioN, ioMS)},
			step{label: ioThreads, runtime: CPython, seedRatio: seed002IOThreads / seed002IOSequential, run: onCPython(o.CPython, "io", "threads", 2, ioN, ioMS)},
		)
	}
	rows, err := measure(ctx, steps, progress)
	if err != nil {
		return Result{}, err
	}
	cpu, _ := rowOf(rows, onBuild(newGIL, cpuThreads), VM)
	io, _ := rowOf(rows, onBuild(newGIL, ioThreads), VM)
	oldCPU, _ := rowOf(rows, onBuild(oldGIL, cpuThreads), VM)
	return Result{Rows: rows, Reading: fmt.Sprintf(
		"under the new GIL two threads take %.2f× the sequential time for CPU-bound jobs (seed 002: %.2f×; the old GIL: %.2f×) but %.2f× for I/O-bound ones (seed 002: %.2f×): a waiting thread lets the GIL go",
		cpu.Ratio, cpu.SeedRatio, oldCPU.Ratio, io.Ratio, io.SeedRatio)}, nil
}
