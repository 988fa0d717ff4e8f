package vm_test

import (
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/racekit/racekit/pkg/gil"
	"github.com/racekit/racekit/pkg/vm"
)

// count is the seeds' COUNT: the notebook times countdown(5_000_000).
const count = 5_000_000

// countdown is the seeds' countdown(n) as the VM runs it (countdownText,
// which the specs share).
var countdown = vm.MustAssemble("countdown.asm", countdownText)

// runThreads runs countdown(n) on each of threads threads of interp at
// once and waits for them.
func runThreads(b *testing.B, interp *vm.Interpreter, threads, n int) {
	ts := make([]*vm.Thread, threads)
	for i := range ts {
		ts[i] = interp.NewThread(fmt.Sprint("T", i+1))
		ts[i].Start(countdown, "countdown", n)
	}
	for _, t := range ts {
		if _, err := t.Join(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCountdown is the seeds' experiment on the VM: countdown(5,000,000)
// in one thread; in two threads of one interpreter, n/2 each, under
// CPython 3.2's GIL (the seeds ran Python 3), CPython 2's, and the VM's own
// lock; and in two interpreters, n/2 each (Python's multiprocessing).
func BenchmarkCountdown(b *testing.B) {
	b.Run("one-thread", func(b *testing.B) {
		for b.Loop() {
			runThreads(b, vm.New(vm.Config{}), 1, count)
		}
	})
	b.Run("two-threads-one-interpreter/new-gil", func(b *testing.B) {
		for b.Loop() {
			runThreads(b, vm.New(vm.Config{Lock: &gil.New{MaxEvents: -1}}), 2, count/2)
		}
	})
	b.Run("two-threads-one-interpreter/old-gil", func(b *testing.B) {
		for b.Loop() {
			runThreads(b, vm.New(vm.Config{Lock: &gil.Old{MaxEvents: -1}}), 2, count/2)
		}
	})
	b.Run("two-threads-one-interpreter/vm-lock", func(b *testing.B) {
		for b.Loop() {
			runThreads(b, vm.New(vm.Config{}), 2, count/2)
		}
	})
	b.Run("two-interpreters", func(b *testing.B) {
		for b.Loop() {
			var wg sync.WaitGroup
			for range 2 {
				wg.Go(func() { runThreads(b, vm.New(vm.Config{}), 1, count/2) })
			}
			wg.Wait()
		}
	})
}

// cpythonCountdown times the seeds' experiment inside python3, reps times,
// and returns the mean time of one: countdown(5_000_000) in one thread
// (mode "one-thread"), in two threads n/2 each ("two-threads") or in two
// processes n/2 each ("two-processes").
func cpythonCountdown(b *testing.B, mode string, reps int) time.Duration {
	const script = `
import sys, time
from threading import Thread
from multiprocessing import Process
def countdown(n):
    while n > 0:
        n -= 1
def both(kind, n):
    ws = [kind(target=countdown, args=(n // 2,)) for _ in range(2)]
    for w in ws: w.start()
    for w in ws: w.join()
mode, reps, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
if __name__ == "__main__":
    start = time.perf_counter()
    for _ in range(reps):
        if mode == "one-thread": countdown(n)
        elif mode == "two-threads": both(Thread, n)
        else: both(Process, n)
    print(time.perf_counter() - start)
`
	out, err := exec.Command("python3", "-c", script, mode, strconv.Itoa(reps), strconv.Itoa(count)).Output()
	if err != nil {
		b.Fatalf("python3: %v", err)
	}
	secs, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	if err != nil {
		b.Fatalf("python3 printed %q, not a time in seconds", out)
	}
	return time.Duration(secs / float64(reps) * float64(time.Second))
}

// BenchmarkCountdownVsCPython runs countdown(5,000,000) in CPython and in
// the VM, one after the other in each iteration, and reports both times and
// their ratio (vm/cpython below 1 means the VM is faster). It is skipped
// where python3 is not installed.
func BenchmarkCountdownVsCPython(b *testing.B) {
	if _, err := exec.LookPath("python3"); err != nil {
		b.Skip("python3 is not installed")
	}
	var py, own time.Duration
	for b.Loop() {
		py += cpythonCountdown(b, "one-thread", 1)
		start := time.Now()
		runThreads(b, vm.New(vm.Config{}), 1, count)
		own += time.Since(start)
	}
	n := float64(b.N)
	b.ReportMetric(float64(py.Nanoseconds())/n, "cpython-ns/op")
	b.ReportMetric(float64(own.Nanoseconds())/n, "vm-ns/op")
	b.ReportMetric(float64(own)/float64(py), "vm/cpython")
}

// BenchmarkCountdownCPython is the seeds' experiment in python3 itself, for
// comparison with BenchmarkCountdown. It is skipped where python3 is not
// installed.
func BenchmarkCountdownCPython(b *testing.B) {
	if _, err := exec.LookPath("python3"); err != nil {
		b.Skip("python3 is not installed")
	}
	for _, mode := range []string{"one-thread", "two-threads", "two-processes"} {
		b.Run(mode, func(b *testing.B) {
			var total time.Duration
			for b.Loop() {
				total += cpythonCountdown(b, mode, 1)
			}
			b.ReportMetric(float64(total.Nanoseconds())/float64(b.N), "ns/op")
		})
	}
}
