package lab

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/racekit/racekit/pkg/gil"
	"github.com/racekit/racekit/pkg/vm"
)

// churnProgram is the free-threading experiment's CPU-bound bytecode: a
// loop whose every round takes two references to obj, an object of the
// thread's own, and drops the two it held before, as a program takes and
// drops references all the time. Its loop counters stay within the small
// ints (an inner loop of 200 rounds), which are immortal without a GIL,
// so what the builds count differently is obj's references.
//
// Not countdown: under the GIL the VM counts countdown's n down in place
// (n -= 1 rewrites the int that n alone holds) and reuses freed ints,
// while with a vm.RefCounter every int is a new object that is never
// reused, so countdown would time the allocator and the garbage
// collector more than the counting.
var churnProgram = vm.MustAssemble("churn.asm", `# def churn(rounds, obj):
#     x = y = None
#     while rounds > 0:
#         rounds -= 1
#         i = 200
#         while i > 0:
#             x = obj
#             y = x
#             i -= 1
#     return y
func churn(rounds, obj)
    LOAD_CONST None
    STORE_FAST x
    LOAD_CONST None
    STORE_FAST y
outer:
    LOAD_FAST rounds
    LOAD_CONST 0
    COMPARE_OP >
    POP_JUMP_IF_FALSE done
    LOAD_FAST rounds
    LOAD_CONST 1
    BINARY_OP -
    STORE_FAST rounds
    LOAD_CONST 200
    STORE_FAST i
inner:
    LOAD_FAST i
    LOAD_CONST 0
    COMPARE_OP >
    POP_JUMP_IF_FALSE outer
    LOAD_FAST obj
    STORE_FAST x
    LOAD_FAST x
    STORE_FAST y
    LOAD_FAST i
    LOAD_CONST 1
    BINARY_OP -
    STORE_FAST i
    JUMP inner
done:
    LOAD_FAST y
    RETURN_VALUE
end
`)

// churnObj is the value of thread i's obj: an int that is not a small
// one, so that it is an ordinary object, made by thread i.
func churnObj(i int) int { return 1000 + i }

// ftBuilds are the free-threading experiment's builds (see build), the
// GIL build first.
var ftBuilds = []build{
	{"GIL build (the VM's counts)", false, func(name string) vm.Config {
		return vm.Config{Name: name, Lock: &gil.New{MaxEvents: -1}}
	}},
	{"no GIL, atomic counts", false, func(name string) vm.Config {
		return vm.Config{Name: name, NoGIL: true, RefCounter: atomicCounts{}, MaxFrees: -1}
	}},
	{"no GIL, biased counts", false, func(name string) vm.Config {
		return vm.Config{Name: name, NoGIL: true, RefCounter: biasedCounts{}, MaxFrees: -1}
	}},
}

// oneThreadOf is the label of a build's row for one thread.
func oneThreadOf(name string) string { return name + ": one thread" }

// twoThreadsOf is the label of a build's row for two threads, each doing
// half the work.
func twoThreadsOf(name string) string { return name + ": two threads, half each" }

// freeThreadedNames are the names a free-threaded CPython goes by on PATH.
var freeThreadedNames = []string{"python3.13t", "python3.14t", "python3.15t", "python3t"}

var freeThreadingExperiment = Experiment{
	Name:   "free-threading",
	Source: "lesson 09",
	Shows:  "a CPU-bound loop in one thread and in two, with the GIL and without it (atomic counts, biased counts): what free threading costs one thread, and how two scale",
	Run: func(ctx context.Context, o Options, progress func(string)) (Result, error) {
		rounds := 50_000
		if o.Quick {
			rounds = 5_000
		}
		return runFreeThreading(ctx, o, progress, rounds)
	},
}

// runFreeThreading times churn(rounds, obj) on one thread and
// churn(rounds/2, obj) on each of two, in each of ftBuilds, then, with
// CPython, in python3 and in a free-threaded python if one is on PATH. A
// build's one-thread ratio is to the GIL build's one thread on its
// runtime (what the build costs a single thread); its two-thread ratio is
// to its own one thread (how it scales).
func runFreeThreading(ctx context.Context, o Options, progress func(string), rounds int) (Result, error) {
	var steps []step
	for i, b := range ftBuilds {
		steps = append(steps,
			step{label: oneThreadOf(b.name), runtime: VM, baseline: i == 0, run: timeChurn(b, 1, rounds)},
			step{label: twoThreadsOf(b.name), runtime: VM, run: timeChurn(b, 2, rounds)})
	}
	var pythons []string // the CPython builds run, by name
	freeThreaded := ""
	if o.CPython != "" {
		version, gilOn, err := probePython(ctx, o.CPython)
		if err != nil {
			return Result{}, err
		}
		pythons = append(pythons, pythonBuild(version, gilOn))
		if !gilOn {
			freeThreaded = o.CPython
		}
		paths := []string{o.CPython}
		if freeThreaded == "" {
			if path, version := findFreeThreaded(ctx); path != "" {
				freeThreaded = path
				paths = append(paths, path)
				pythons = append(pythons, pythonBuild(version, false))
			}
		}
		for i, path := range paths {
			steps = append(steps,
				step{label: oneThreadOf(pythons[i]), runtime: CPython, baseline: i == 0, run: churnOnCPython(path, 1, rounds)},
				step{label: twoThreadsOf(pythons[i]), runtime: CPython, run: churnOnCPython(path, 2, rounds)})
		}
	}
	rows, err := measure(ctx, steps, progress)
	if err != nil {
		return Result{}, err
	}
	for i := 1; i < len(rows); i += 2 { // each two-thread row, to its own one thread
		rows[i].Ratio = 0
		if rows[i-1].Seconds > 0 {
			rows[i].Ratio = rows[i].Seconds / rows[i-1].Seconds
		}
	}
	return Result{Rows: rows, Reading: freeThreadingReading(rows, pythons, freeThreaded)}, nil
}

// freeThreadingReading is the free-threading experiment's one line, from
// its rows, the CPython builds that ran (by name) and the free-threaded
// python found ("" for none).
func freeThreadingReading(rows []Row, pythons []string, freeThreaded string) string {
	row := func(label, runtime string) Row { r, _ := rowOf(rows, label, runtime); return r }
	gilB, atomicB, biasedB := ftBuilds[0].name, ftBuilds[1].name, ftBuilds[2].name
	atomicOne, biasedOne := row(oneThreadOf(atomicB), VM), row(oneThreadOf(biasedB), VM)
	biasedToAtomic := 0.0
	if atomicOne.Seconds > 0 {
		biasedToAtomic = biasedOne.Seconds / atomicOne.Seconds
	}
	s := fmt.Sprintf("without a GIL two threads take %.2f× one thread's time with atomic counts and %.2f× with biased counts "+
		"(with the GIL %.2f×); on one thread atomic counts cost %.2f× the GIL build's time and biased counts %.2f× "+
		"(%.2f× atomic counts'): besides counting, a no-GIL build calls its RefCounter for every reference, which the GIL build counts inline",
		row(twoThreadsOf(atomicB), VM).Ratio, row(twoThreadsOf(biasedB), VM).Ratio, row(twoThreadsOf(gilB), VM).Ratio,
		atomicOne.Ratio, biasedOne.Ratio, biasedToAtomic)
	for _, p := range pythons {
		s += fmt.Sprintf("; %s: two threads take %.2f×", p, row(twoThreadsOf(p), CPython).Ratio)
	}
	if len(pythons) > 0 && freeThreaded == "" {
		s += "; no free-threaded python (" + strings.Join(freeThreadedNames, ", ") + ") was found on PATH"
	}
	return s
}

// timeChurn times churn on k threads of one interpreter of build b,
// rounds/k rounds each.
func timeChurn(b build, k, rounds int) func(context.Context) (time.Duration, error) {
	return func(context.Context) (time.Duration, error) {
		_, d, err := churnOn(b.config("main"), k, rounds)
		return d, err
	}
}

// churnOn runs churn(rounds/k, obj) on each of k threads of a new
// interpreter configured by c, each with an obj of its own
// (churnObj(i) for thread i), and returns the interpreter and how long
// the threads took. It checks that each churn returned its obj.
func churnOn(c vm.Config, k, rounds int) (*vm.Interpreter, time.Duration, error) {
	in := vm.New(c)
	ths := make([]*vm.Thread, k)
	for i := range ths {
		ths[i] = in.NewThread(fmt.Sprint("T", i+1))
	}
	start := time.Now()
	for i, t := range ths {
		t.Start(churnProgram, "churn", rounds/k, churnObj(i))
	}
	for i, t := range ths {
		v, err := t.Join()
		if err != nil {
			return nil, 0, err
		}
		if v != churnObj(i) {
			return nil, 0, fmt.Errorf("lab: %s's churn returned %v, not its obj %d", t.Name(), v, churnObj(i))
		}
	}
	return in, time.Since(start), nil
}

// pythonBuild names a CPython build: "CPython 3.11", or "CPython 3.13t"
// for a free-threaded one.
func pythonBuild(version string, gilOn bool) string {
	if gilOn {
		return "CPython " + version
	}
	return "CPython " + version + "t"
}

// probeScript prints the version of Python and whether its GIL is on
// (always True before 3.13, which added sys._is_gil_enabled).
const probeScript = `import sys
print("%d.%d" % sys.version_info[:2], getattr(sys, "_is_gil_enabled", lambda: True)())`

// probePython returns the version of the python at path ("3.11") and
// whether its GIL is on.
func probePython(ctx context.Context, path string) (version string, gilOn bool, err error) {
	out, err := runPython(ctx, path, probeScript)
	if err != nil {
		return "", false, err
	}
	version, enabled, ok := strings.Cut(out, " ")
	if !ok || (enabled != "True" && enabled != "False") {
		return "", false, fmt.Errorf("%s printed %q, not a version and whether the GIL is on", path, out)
	}
	return version, enabled == "True", nil
}

// findFreeThreaded returns the path and version of the first python of
// freeThreadedNames on PATH that runs without its GIL, or "" and "".
func findFreeThreaded(ctx context.Context) (path, version string) {
	for _, name := range freeThreadedNames {
		p, err := exec.LookPath(name)
		if err != nil {
			continue
		}
		if v, gilOn, err := probePython(ctx, p); err == nil && !gilOn {
			return p, v
		}
	}
	return "", ""
}

// churnScript is churnProgram in Python: k threads each run churn(rounds
// // k, obj) with an obj each made on its own thread, and the script
// prints the seconds they took. Its arguments: k and rounds.
const churnScript = `import sys, time
from threading import Thread

def churn(rounds, obj):
    x = y = None
    while rounds > 0:
        rounds -= 1
        i = 200
        while i > 0:
            x = obj
            y = x
            i -= 1
    return y

k, rounds = int(sys.argv[1]), int(sys.argv[2])
ts = [Thread(target=lambda: churn(rounds // k, object())) for _ in range(k)]
start = time.perf_counter()
for t in ts: t.start()
for t in ts: t.join()
print(time.perf_counter() - start)
`

// churnOnCPython times churnScript on k threads of the python at path.
func churnOnCPython(path string, k, rounds int) func(context.Context) (time.Duration, error) {
	return func(ctx context.Context) (time.Duration, error) {
		out, err := runPython(ctx, path, churnScript, strconv.Itoa(k), strconv.Itoa(rounds))
		if err != nil {
			return 0, err
		}
		secs, err := strconv.ParseFloat(out, 64)
		if err != nil {
			return 0, fmt.Errorf("%s printed %q, not a time in seconds", path, out)
		}
		return time.Duration(secs * float64(time.Second)), nil
	}
}
