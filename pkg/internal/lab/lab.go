// Package lab holds the experiments of racekit lab: the source material's
// measurements (shared/seeds), run on the kit's VM and, when asked, on the
// real CPython, so that their ratios can be read side by side with the
// figures the seeds report.
//
// The experiments are timed on the real clock: they are measurements, not
// tests. The kit's specs check their structure (which rows, which
// baselines, which seed figures), never the times.
package lab

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/racekit/racekit/pkg/gil"
	"github.com/racekit/racekit/pkg/vm"
)

// Runtimes a Row can have run on.
const (
	VM      = "vm"      // the kit's VM
	CPython = "cpython" // the real interpreter
)

// Options says how to run an experiment.
type Options struct {
	// Quick makes the experiment finish in about a second, with smaller
	// counts; the ratios are then noisier.
	Quick bool
	// CPython is the path of a python3 to run the experiment on as well as
	// on the VM; "" runs it on the VM alone.
	CPython string
}

// Row is one measurement of an experiment.
type Row struct {
	Label   string  `json:"label"`   // what ran: "two threads of one interpreter"
	Runtime string  `json:"runtime"` // VM or CPython
	Seconds float64 `json:"seconds"` // how long it took
	// Ratio is Seconds over the time of the row's baseline, the first row
	// of its group on the same runtime; the baseline's own is 1.
	Ratio float64 `json:"ratio"`
	// SeedRatio is the same ratio as the seed reports it, or 0 when the
	// seed gives none.
	SeedRatio float64 `json:"seed_ratio"`
	// Lost and Of are for counting experiments: Lost updates were lost of
	// Of made (0 ≤ Lost ≤ Of); both are 0 for a row that counts nothing.
	// Seconds is still the run's time.
	Lost int `json:"lost,omitempty"`
	Of   int `json:"of,omitempty"`
}

// Result is what an experiment measured.
type Result struct {
	Rows    []Row
	Reading string // one line: what the rows show
	// Timelines are the lock timelines an experiment recorded, by lock
	// ("old GIL", "new GIL"), for pictures; nil when it recorded none.
	Timelines map[string]gil.Timeline
	// Switches are how many times each of those locks changed hands.
	Switches map[string]int
}

// Experiment is one of the lab's experiments.
type Experiment struct {
	Name   string // the name racekit lab takes: "countdown"
	Source string // the seed or lesson it belongs to: "seed 004"
	Shows  string // one line: what it shows
	// Run carries out the experiment, calling progress with each step's
	// label before the step runs.
	Run func(ctx context.Context, o Options, progress func(step string)) (Result, error)
}

// Experiments is every experiment, in the order racekit lab lists them.
var Experiments = []Experiment{countdownExperiment, cpuVsIOExperiment, battleExperiment, convoyExperiment, lostUpdatesExperiment, freeThreadingExperiment}

// Find returns the experiment with the given name.
func Find(name string) (Experiment, bool) {
	for _, x := range Experiments {
		if x.Name == name {
			return x, true
		}
	}
	return Experiment{}, false
}

// Names returns the experiments' names, in order.
func Names() []string {
	names := make([]string, len(Experiments))
	for i, x := range Experiments {
		names[i] = x.Name
	}
	return names
}

// step is one row to measure: its label, its group's baseline label (""
// for a baseline), the seed's ratio and how to run it.
type step struct {
	label     string
	runtime   string
	seedRatio float64
	baseline  bool // the first row of its group: the others' ratios are to it
	run       func(ctx context.Context) (time.Duration, error)
}

// measure runs steps in order and returns their rows, each ratio to the
// last baseline before it on the same runtime.
func measure(ctx context.Context, steps []step, progress func(string)) ([]Row, error) {
	var rows []Row
	base := map[string]float64{}
	for _, s := range steps {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if progress != nil {
			progress(s.label + " (" + s.runtime + ")")
		}
		d, err := s.run(ctx)
		if err != nil {
			return nil, fmt.Errorf("%s (%s): %w", s.label, s.runtime, err)
		}
		secs := d.Seconds()
		if s.baseline {
			base[s.runtime] = secs
		}
		ratio := 0.0
		if b := base[s.runtime]; b > 0 {
			ratio = secs / b
		}
		rows = append(rows, Row{Label: s.label, Runtime: s.runtime, Seconds: secs, Ratio: ratio, SeedRatio: s.seedRatio})
	}
	return rows, nil
}

// onVM times k calls of fn(args...) in p on interpreters of build b: one
// after the other on one thread (how "seq"), at once on k threads of one
// interpreter ("threads"), or at once on one thread each of k interpreters
// ("interpreters").
func onVM(b build, p *vm.Program, fn, how string, k int, args ...any) func(context.Context) (time.Duration, error) {
	return func(context.Context) (time.Duration, error) {
		start := time.Now()
		switch how {
		case "seq":
			t := vm.New(b.config("main")).NewThread("T1")
			for range k {
				if _, err := t.Call(p, fn, args...); err != nil {
					return 0, err
				}
			}
		case "threads", "interpreters":
			one := vm.New(b.config("main"))
			ts := make([]*vm.Thread, k)
			for i := range ts {
				in := one
				if how == "interpreters" {
					in = vm.New(b.config(fmt.Sprint("interp", i+1)))
				}
				ts[i] = in.NewThread(fmt.Sprint("T", i+1))
				ts[i].Start(p, fn, args...)
			}
			for _, t := range ts {
				if _, err := t.Join(); err != nil {
					return 0, err
				}
			}
		default:
			panic("lab: unknown way to run " + how)
		}
		return time.Since(start), nil
	}
}

// cpythonScript runs k jobs in python3 and prints how many seconds they
// took, timed inside Python so that the interpreter's start-up is left
// out. Its arguments: the job ("cpu": countdown(n); "io": three rounds of
// time.sleep(ms) then countdown(n); "convoy": the time per call of k
// calls time.sleep(ms), alone or beside a thread that counts down until
// they are done; n is not used; "switchinterval": no job, the switch
// interval, sys.getswitchinterval()),
// how ("seq", "threads" or "procs"; for "convoy", "alone" or the switch
// interval in seconds), k, n and ms.
const cpythonScript = `import sys, time
from threading import Thread
from multiprocessing import Process

def countdown(n):
    while n > 0:
        n -= 1

def convoy(interval, k, ms):
    # time per I/O call of ms, alone or beside a CPU-bound thread at a switch interval
    done = []
    def spin():
        n = 0
        while not done:
            n -= 1
    if interval != "alone":
        sys.setswitchinterval(float(interval))
        t = Thread(target=spin)
        t.start()
    start = time.perf_counter()
    for _ in range(k):
        time.sleep(ms / 1000)
    elapsed = time.perf_counter() - start
    done.append(1)
    if interval != "alone":
        t.join()
    return elapsed / k

def work_io(n, ms):
    for _ in range(3):
        time.sleep(ms / 1000)
        countdown(n)

if __name__ == "__main__":
    job, how, k, n, ms = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    if job == "convoy":
        print(convoy(how, k, ms))
        sys.exit(0)
    if job == "switchinterval":
        print(sys.getswitchinterval())
        sys.exit(0)
    target, args = (countdown, (n,)) if job == "cpu" else (work_io, (n, ms))
    start = time.perf_counter()
    if how == "seq":
        for _ in range(k):
            target(*args)
    else:
        kind = Thread if how == "threads" else Process
        ws = [kind(target=target, args=args) for _ in range(k)]
        for w in ws: w.start()
        for w in ws: w.join()
    print(time.perf_counter() - start)
`

// ResolvePython returns the file of the interpreter that the python at
// path runs (sys.executable). A launcher such as a pyenv shim can take a
// second to start the interpreter; the experiments start it dozens of
// times, so racekit lab looks through the launcher once.
func ResolvePython(ctx context.Context, path string) (string, error) {
	out, err := exec.CommandContext(ctx, path, "-c", "import sys; print(sys.executable)").Output()
	if err != nil {
		return "", fmt.Errorf("lab: %s does not run: %w", path, err)
	}
	exe := strings.TrimSpace(string(out))
	if exe == "" {
		return path, nil // an embedded interpreter may not know its file
	}
	return exe, nil
}

// onCPython times cpythonScript in the python3 at path.
func onCPython(path, job, how string, k, n, ms int) func(context.Context) (time.Duration, error) {
	return func(ctx context.Context) (time.Duration, error) {
		dir, err := os.MkdirTemp("", "racekit-lab-")
		if err != nil {
			return 0, err
		}
		defer os.RemoveAll(dir)
		script := filepath.Join(dir, "lab.py")
		if err := os.WriteFile(script, []byte(cpythonScript), 0o644); err != nil {
			return 0, err
		}
		cmd := exec.CommandContext(ctx, path, script, job, how, strconv.Itoa(k), strconv.Itoa(n), strconv.Itoa(ms))
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return 0, fmt.Errorf("%s: %v: %s", path, err, strings.TrimSpace(stderr.String()))
		}
		secs, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
		if err != nil {
			return 0, fmt.Errorf("%s printed %q, not a time in seconds", path, out)
		}
		return time.Duration(secs * float64(time.Second)), nil
	}
}

// rowOf returns the row of rows with the given label and runtime.
func rowOf(rows []Row, label, runtime string) (Row, bool) {
	for _, r := range rows {
		if r.Label == label && r.Runtime == runtime {
			return r, true
		}
	}
	return Row{}, false
}
