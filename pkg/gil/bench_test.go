package gil_test

import (
	"sync"
	"testing"

	"github.com/racekit/racekit/pkg/gil"
	"github.com/racekit/racekit/pkg/vm"
)

// countdownProgram is the seeds' countdown: while n > 0: n -= 1.
var countdownProgram = vm.MustAssemble("countdown.asm", `
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
    LOAD_CONST None
    RETURN_VALUE
end
`)

// benchLocks are the locks the benchmarks compare: the VM's own, and this
// package's two, with and without a timeline.
var benchLocks = []struct {
	name string
	make func() vm.Lock
}{
	{"vm-default", func() vm.Lock { return nil }},
	{"old", func() vm.Lock { return &gil.Old{MaxEvents: -1} }},
	{"old-timeline", func() vm.Lock { return &gil.Old{} }},
	{"new", func() vm.Lock { return &gil.New{MaxEvents: -1} }},
	{"new-timeline", func() vm.Lock { return &gil.New{} }},
}

// BenchmarkUncontended is one Acquire and one Release by a single thread.
// Every timeline keeps its first DefaultMaxEvents events; later ones are
// only counted.
func BenchmarkUncontended(b *testing.B) {
	for _, l := range benchLocks[1:] {
		b.Run(l.name, func(b *testing.B) {
			lock := l.make()
			t := vm.New(vm.Config{Lock: lock}).NewThread("A")
			for b.Loop() {
				lock.Acquire(t)
				if err := lock.Release(t); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCountdown runs countdown(200,000) on one thread, and split
// between two threads of one interpreter, under each lock (eval-breaker
// check every 100 instructions). On one thread the old GIL pays a release
// and a take every check, the new one an atomic load. On two threads the
// new GIL switches every 5 ms of wall clock; the old one whenever the
// runtime lets the waiter in.
func BenchmarkCountdown(b *testing.B) {
	const n = 200_000
	for _, threads := range []int{1, 2} {
		for _, l := range benchLocks {
			name := l.name + "/one-thread"
			if threads == 2 {
				name = l.name + "/two-threads"
			}
			b.Run(name, func(b *testing.B) {
				for b.Loop() {
					interp := vm.New(vm.Config{Lock: l.make()})
					var wg sync.WaitGroup
					for range threads {
						t := interp.NewThread("T")
						wg.Go(func() {
							if _, err := t.Call(countdownProgram, "countdown", n/threads); err != nil {
								b.Error(err)
							}
						})
					}
					wg.Wait()
				}
			})
		}
	}
}
