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

// lostProgram is lesson 08's two updates of a global without a lock, as
// the VM runs them: add(n) does counter = counter + one() n times, with a
// call between the load of counter and its store; inc(n) does counter +=
// 1 n times, with neither a call nor a backward jump between the two.
var lostProgram = vm.MustAssemble("lost.asm", `# def setup():
#     global counter
#     counter = 0
func setup()
    LOAD_CONST 0
    STORE_GLOBAL counter
    LOAD_CONST None
    RETURN_VALUE
end

# def add(n):
#     global counter
#     while n > 0:
#         counter = counter + one()
#         n -= 1
func add(n)
loop:
    LOAD_FAST n
    LOAD_CONST 0
    COMPARE_OP >
    POP_JUMP_IF_FALSE done
    LOAD_GLOBAL counter
    CALL_BUILTIN one 0
    BINARY_OP +
    STORE_GLOBAL counter
    LOAD_FAST n
    LOAD_CONST 1
    BINARY_OP -
    STORE_FAST n
    JUMP loop
done:
    LOAD_CONST None
    RETURN_VALUE
end

# def inc(n):
#     global counter
#     while n > 0:
#         counter += 1
#         n -= 1
func inc(n)
loop:
    LOAD_FAST n
    LOAD_CONST 0
    COMPARE_OP >
    POP_JUMP_IF_FALSE done
    LOAD_GLOBAL counter
    LOAD_CONST 1
    BINARY_OP +
    STORE_GLOBAL counter
    LOAD_FAST n
    LOAD_CONST 1
    BINARY_OP -
    STORE_FAST n
    JUMP loop
done:
    LOAD_CONST None
    RETURN_VALUE
end

# def get(): return counter
func get()
    LOAD_GLOBAL counter
    RETURN_VALUE
end
`)

// The updates of the lost-updates experiment: each one's line of Python,
// by the function of lostProgram (and of lostScript) that does it.
var lostUpdates = []struct{ fn, line string }{
	{"add", "counter = counter + one()"},
	{"inc", "counter += 1"},
}

// lostPlacements are where the experiment checks the eval breaker, with
// each placement's words in a row's label.
var lostPlacements = []struct {
	at    vm.BreakerPlacement
	words string
}{
	{vm.EveryInterval, "checks at every instruction (CPython up to 3.9)"},
	{vm.BackwardJumpsAndCalls, "checks at backward jumps and calls (3.10+)"},
}

// lostInterval is the switch interval of the experiment's GIL, on the VM
// and on CPython: short, so that the GIL changes hands often.
const lostInterval = 100 * time.Microsecond

// lostThreads is how many threads update the counter at once.
const lostThreads = 2

var lostUpdatesExperiment = Experiment{
	Name:   "lost-updates",
	Source: "lesson 08",
	Shows:  "two threads update a global without a lock: updates lost by counter = counter + one() and by counter += 1, with eval-breaker checks at every instruction and only at jumps and calls",
	Run: func(ctx context.Context, o Options, progress func(string)) (Result, error) {
		n := 400_000
		if o.Quick {
			n = 100_000
		}
		return runLostUpdates(ctx, o, progress, n)
	},
}

// LostOf says how many updates a counting row lost, "1,234 of 200,000",
// or "" for a row that counted nothing (Of 0).
func (r Row) LostOf() string {
	if r.Of == 0 {
		return ""
	}
	return thousands(r.Lost) + " of " + thousands(r.Of)
}

// thousands writes n with a comma between each group of three digits.
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// tally is what a counting run found: how many updates it lost of how
// many, and, on CPython, the interpreter's version ("3.11").
type tally struct {
	lost, of int
	version  string
}

// runLostUpdates has lostThreads threads each make n updates of one
// global, without a lock, with each update of lostUpdates and each
// placement of the eval breaker, under the new GIL at lostInterval; on
// CPython, each update with the interpreter's own placement. Each row says
// how many updates were lost; its time's ratio is to the first row of its
// runtime.
func runLostUpdates(ctx context.Context, o Options, progress func(string), n int) (Result, error) {
	var steps []step
	var tallies []*tally
	for _, u := range lostUpdates {
		for _, p := range lostPlacements {
			t := new(tally)
			tallies = append(tallies, t)
			steps = append(steps, step{label: u.line + ", " + p.words, runtime: VM, baseline: len(steps) == 0,
				run: lostOnVM(u.fn, p.at, n, t)})
		}
	}
	if o.CPython != "" {
		for i, u := range lostUpdates {
			t := new(tally)
			tallies = append(tallies, t)
			steps = append(steps, step{label: u.line, runtime: CPython, baseline: i == 0, run: lostOnCPython(o.CPython, u.fn, n, t)})
		}
	}
	rows, err := measure(ctx, steps, progress)
	if err != nil {
		return Result{}, err
	}
	python := ""
	for i, t := range tallies {
		rows[i].Lost, rows[i].Of = t.lost, t.of
		if rows[i].Runtime == CPython {
			python = "CPython " + t.version
			rows[i].Label += ", " + python + "'s own checks"
		}
	}
	return Result{Rows: rows, Reading: lostReading(rows, python)}, nil
}

// lostReading is the lost-updates experiment's one line, from its rows:
// the VM's four, then, when python names the CPython that ran ("CPython
// 3.11"), its two.
func lostReading(rows []Row, python string) string {
	lost := func(i int) string { return thousands(rows[i].Lost) }
	s := fmt.Sprintf("%s lost %s of %s with checks at every instruction and %s with checks only at jumps and calls; %s lost %s and %s the same two ways",
		lostUpdates[0].line, lost(0), thousands(rows[0].Of), lost(1), lostUpdates[1].line, lost(2), lost(3))
	if python != "" && len(rows) == 6 {
		s += fmt.Sprintf("; on %s the two lost %s and %s of %s", python, lost(4), lost(5), thousands(rows[4].Of))
	}
	return s + ": since CPython 3.10 the GIL changes hands only at a backward jump or a call, and counter += 1 has neither " +
		"between its load and its store, while the call of one() still lets another thread in"
}

// counterInterp returns an interpreter for lostProgram under lock, with
// the eval breaker checked at every instruction (CheckInterval 1) or only
// at backward jumps and calls, and the builtin one(), which returns 1.
func counterInterp(lock vm.Lock, at vm.BreakerPlacement) *vm.Interpreter {
	in := vm.New(vm.Config{Lock: lock, BreakerAt: at, CheckInterval: 1})
	in.Define("one", func(t *vm.Thread, args []*vm.Object) (*vm.Object, error) {
		if len(args) != 0 {
			return nil, fmt.Errorf("one takes no arguments; got %d", len(args))
		}
		return t.NewObject(1), nil
	})
	return in
}

// lostOnVM times lostThreads threads of one interpreter under the new GIL
// at lostInterval, each running fn(n) of lostProgram with the eval
// breaker checked at at, and records in got how many updates were lost.
func lostOnVM(fn string, at vm.BreakerPlacement, n int, got *tally) func(context.Context) (time.Duration, error) {
	return func(context.Context) (time.Duration, error) {
		in := counterInterp(&gil.New{Interval: lostInterval, MaxEvents: -1}, at)
		main := in.NewThread("main")
		if _, err := main.Call(lostProgram, "setup"); err != nil {
			return 0, err
		}
		ths := make([]*vm.Thread, lostThreads)
		start := time.Now()
		for i := range ths {
			ths[i] = in.NewThread(fmt.Sprint("T", i+1))
			ths[i].Start(lostProgram, fn, n)
		}
		for _, t := range ths {
			if _, err := t.Join(); err != nil {
				return 0, err
			}
		}
		elapsed := time.Since(start)
		v, err := main.Call(lostProgram, "get")
		if err != nil {
			return 0, err
		}
		counter, ok := v.(int)
		if !ok {
			return 0, fmt.Errorf("lab: counter is %v, not an int", v)
		}
		got.of = lostThreads * n
		got.lost = got.of - counter
		return elapsed, nil
	}
}

// lostScript runs lostThreads threads in Python, each doing fn(n), add or
// inc as in lostProgram, with sys.setswitchinterval(interval), and prints
// the seconds they took, the counter they left and the version of Python.
// Its arguments: fn, the number of threads, n and interval.
const lostScript = `import sys, time
from threading import Thread

counter = 0

def one():
    return 1

def add(n):
    global counter
    while n > 0:
        counter = counter + one()
        n -= 1

def inc(n):
    global counter
    while n > 0:
        counter += 1
        n -= 1

fn, k, n, interval = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
sys.setswitchinterval(interval)
ts = [Thread(target=add if fn == "add" else inc, args=(n,)) for _ in range(k)]
start = time.perf_counter()
for t in ts: t.start()
for t in ts: t.join()
print(time.perf_counter() - start, counter, "%d.%d" % sys.version_info[:2])
`

// lostOnCPython times lostScript's fn(n) on lostThreads threads of the
// python3 at path, and records in got how many updates were lost and the
// version of Python.
func lostOnCPython(path, fn string, n int, got *tally) func(context.Context) (time.Duration, error) {
	return func(ctx context.Context) (time.Duration, error) {
		out, err := runPython(ctx, path, lostScript, fn, strconv.Itoa(lostThreads), strconv.Itoa(n), strconv.FormatFloat(lostInterval.Seconds(), 'g', -1, 64))
		if err != nil {
			return 0, err
		}
		var secs float64
		var counter int
		if _, err := fmt.Sscan(out, &secs, &counter, &got.version); err != nil {
			return 0, fmt.Errorf("%s printed %q, not a time, a counter and a version", path, out)
		}
		got.of = lostThreads * n
		got.lost = got.of - counter
		return time.Duration(secs * float64(time.Second)), nil
	}
}

// runPython runs script with args in the python at path (python -c) and
// returns what it printed, trimmed.
func runPython(ctx context.Context, path, script string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, path, append([]string{"-c", script}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s: %v: %s", path, err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}
