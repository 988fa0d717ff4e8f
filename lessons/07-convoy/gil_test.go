package convoy

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"runtime"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/interleave"
	"github.com/racekit/racekit/pkg/interleave/interleavetest"
	"github.com/racekit/racekit/pkg/vm"
)

// lessonCode is this package's files as they were compiled into the test
// binary: under go test, the learner's own; under racekit check and grade,
// which overlay the learner's files on the kit's specs, those too.
//
//go:embed *.go
var lessonCode embed.FS

// The specs are Ordered and stop at the first failure: the rules first,
// then one thread under the scheduler, then the convoy in fake time (where
// the old GIL fails), the other switch intervals, a thread alone, the
// exploration of the hand-off, and the free-running hammer last.
var _ = Describe("The GIL", Ordered, func() {
	It("uses the kit's sync, which the scheduler sees", func() {
		Expect(lessonCode).To(interleavetest.UseTheKitsSync(), "build the GIL from the kit's sync: its Cond has the timed "+
			"wait the new GIL needs (WaitTimeout), and the specs' scheduler sees every Lock, Unlock, Wait and Signal. "+
			"Next: HINTS.md, hint 1.")
	})

	It("is yours to write, not the kit's reference lock", func() {
		Expect(lessonCode).NotTo(ImportTheKitsGIL(), "this lesson's GIL is yours to write: do not wrap pkg/gil's New or Old, "+
			"the kit's reference locks, which the specs of other lessons use. Read them afterwards, to compare. "+
			"Next: HINTS.md, hint 1.")
	})

	When("one thread takes and releases it", func() {
		It("names its holder, refuses a release by another thread, and counts no switch", func() {
			res := alone()
			Expect(res).To(interleavetest.Pass(), func() string { return explainRun(res.Failure) })
		})
	})

	When("A computes while B makes I/O calls, with the default switch interval (in fake time)", func() {
		It("gives B the GIL one switch interval after it asked, every time, while A keeps computing", func() {
			c := runConvoy(0, burnsFor(DefaultInterval), true)
			c.Interval = DefaultInterval // NewGIL(0)'s
			checkConvoy(c, DefaultInterval)
		})
	})

	When("the switch interval is set, like sys.setswitchinterval (in fake time)", func() {
		It("makes B wait 1 ms and 0.7 ms with an interval of 1 ms", func() {
			checkConvoy(runConvoy(time.Millisecond, burnsFor(time.Millisecond), true), time.Millisecond)
		})
		It("makes B wait 50 ms and 0.7 ms with an interval of 50 ms", func() {
			checkConvoy(runConvoy(50*time.Millisecond, burnsFor(50*time.Millisecond), true), 50*time.Millisecond)
		})
	})

	When("A lets go of the GIL while B and C wait for it (in fake time)", func() {
		It("gives it to one of them at once, and the other asks the new holder to drop it after a whole switch interval, not before", func() {
			c := runJobs(0, letGoJobs)
			c.Interval = DefaultInterval // NewGIL(0)'s
			Expect(c.Overlaps).To(BeEmpty(), "global interpreter lock: two threads held the GIL at once (below). Acquire must wait "+
				"while another thread holds it. Next: HINTS.md, hint 3.")
			Expect(c.Trouble()).To(BeEmpty(), func() string { return explainTrouble(c) })
			l := c.measureLetGo()
			Expect(l.Free).To(BeZero(), func() string { return explainAsleep(c, l) })
			Expect(l.Early).To(BeEmpty(), func() string { return explainSaved(c, l) })
			Expect(l.Slow).To(BeEmpty(), func() string { return explainSlow(c, l) })
		})
	})

	When("A computes alone (in fake time)", func() {
		It("never asks A to drop the GIL, and counts no switch", func() {
			c := runConvoy(0, 20, false)
			Expect(c.Trouble()).To(BeEmpty(), func() string { return explainTrouble(c) })
			f := c.measure()
			Expect(f.Yeses).To(BeZero(), func() string {
				return fmt.Sprintf("a thread alone was asked to drop the GIL: DropRequested said yes %d times to A, which computed "+
					"alone for %v, and each yes made A drop the GIL and take it back for nothing. Only a waiter asks for a drop, "+
					"after it has waited a whole switch interval: with nobody waiting, DropRequested must say no. Next: HINTS.md, hint 1.",
					f.Yeses, c.Elapsed)
			})
			Expect(c.Switches).To(BeZero(), "A took the GIL each time it asked, and no other thread did: the GIL never changed "+
				"hands, so Switches must be 0. Count a take only when the thread differs from the last one that held the GIL, "+
				"and not the first take. Next: HINTS.md, hint 2.")
		})
	})

	When("A is asked to drop the GIL while B waits (explored)", func() {
		It("gives the GIL to another thread before A can take it back, in every schedule with at most 2 preemptions", func() {
			rep := interleave.Explore(handOff(), interleave.Options{MaxPreemptions: 2, RandomSchedules: 100, MaxSteps: controlled.MaxSteps, StepTimeout: controlled.StepTimeout})
			interleavetest.ReportExploration(rep)
			Expect(rep).To(interleavetest.Pass(), func() string { return explainRun(rep.Failure) })
		})
	})

	When("threads compute and make I/O calls freely", func() {
		It("lets one thread at a time run, and every call returns", func() {
			hammer()
		})
	})
})

// checkConvoy checks the figures of a convoy run with the given switch
// interval, in the order that says most about what went wrong.
func checkConvoy(c convoyRun, interval time.Duration) {
	GinkgoHelper()
	Expect(c.Overlaps).To(BeEmpty(), "global interpreter lock: two threads held the GIL at once (below). Acquire must wait "+
		"while another thread holds it. Next: HINTS.md, hint 3.")
	f := c.measure()
	// Thrashing first: a GIL that passes itself back and forth often ends
	// in a deadlock too, and the switches say more about why.
	Expect(f.Switches).To(BeNumerically("<=", 2*f.Calls), func() string { return explainThrash(c, f) })
	Expect(c.Trouble()).To(BeEmpty(), func() string { return explainTrouble(c) })
	if f.FreeWhile == 0 {
		// The GIL sat free while nobody waited for it: A was away (asleep
		// in Release, say). Said before the waits, which that moves off
		// the whole milliseconds, where a tie can decide them.
		Expect(f.Idle).To(BeZero(), func() string { return explainIdle(c, f) })
	}
	bound := want(interval)
	Expect(f.Waits).NotTo(ContainElement(BeNumerically(">", bound)), func() string { return explainConvoy(c, f, bound) })
	Expect(f.Drops).To(BeNumerically("<=", f.Calls), func() string { return explainThrash(c, f) })
	Expect(f.Waits).NotTo(ContainElement(BeNumerically("<", bound)), func() string { return explainEarly(c, f, bound) })
	Expect(f.Idle).To(BeZero(), func() string { return explainIdle(c, f) })
	Expect(c.Switches).To(Equal(f.Switches), fmt.Sprintf("the GIL changed hands %d times (the spec counted the takes by a "+
		"thread other than the one before), but Switches returned %d. Count a switch in Acquire, when the thread that takes "+
		"the GIL is not the last one that held it; not the first take. Next: HINTS.md, hint 2.", f.Switches, c.Switches))
	fmt.Fprintf(GinkgoWriter, "switch interval %v: B asked for the GIL %d times, and each time got it %v later (%s); "+
		"A computed %v in %v; the GIL changed hands %d times\n%s\n",
		interval, f.Calls, bound, durations(f.Waits), time.Duration(c.Burns)*burnTime, c.Elapsed, f.Switches, c.chart())
}

// letGoJobs is the run in which A lets go of the GIL while two threads
// wait: A computes 2 ms and finishes; B, from 0.3 ms, and C, from 0.6 ms,
// compute 20 ms and 2 ms. With a working GIL, A's Release wakes B at 2 ms
// (the longest waiting); C's round of the switch interval, begun at 0.6 ms,
// times out at 5.6 ms after the GIL changed hands, so C waits another round
// and asks B to drop it at 10.6 ms; B drops it at 11 ms. No thread waits
// longer than two switch intervals and a burn.
var letGoJobs = []job{{"A", "compute", 2, 0}, {"B", "compute", 20, ioTime}, {"C", "compute", 2, 2 * ioTime}}

// alone runs one thread's takes and releases under the scheduler, so that
// a lock that is never let go of is reported as a deadlock instead of
// hanging: A takes the GIL, B (which never took it) tries to release it,
// A releases it, takes it again and releases it.
func alone() *interleave.Result {
	res, err := interleave.Replay("", interleave.Scenario{
		Name: "thread A takes the GIL; B, which never took it, releases it; A releases it, takes it again and releases it",
		Setup: func(r *interleave.Run) {
			g := NewGIL(0)
			r.Name(g, "gil")
			in := vm.New(vm.Config{Lock: g})
			a, b := in.NewThread("A"), in.NewThread("B")
			var broken []error
			r.Go("A", func() {
				g.Acquire(a)
				if h := g.Holder(); h != a {
					broken = append(broken, fmt.Errorf("A took the GIL, but Holder returned %s", h.Name()))
				}
				switch err := g.Release(b); {
				case err == nil:
					broken = append(broken, errors.New("B released the GIL, which A held, and Release returned nil: a Release by a "+
						"thread that does not hold the GIL must change nothing and return an error wrapping vm.ErrNotHolder"))
				case !errors.Is(err, vm.ErrNotHolder):
					broken = append(broken, fmt.Errorf("B's Release of A's GIL failed, but its error does not wrap vm.ErrNotHolder: %v", err))
				}
				if h := g.Holder(); h != a {
					broken = append(broken, fmt.Errorf("after B's refused Release, Holder returned %s, not A", h.Name()))
				}
				if err := g.Release(a); err != nil {
					broken = append(broken, fmt.Errorf("A held the GIL, but its Release failed: %v", err))
				}
				if h := g.Holder(); h != nil {
					broken = append(broken, fmt.Errorf("A released the GIL, but Holder returned %s, not nobody", h.Name()))
				}
				g.Acquire(a)
				if err := g.Release(a); err != nil {
					broken = append(broken, fmt.Errorf("A took the GIL again, but its Release failed: %v", err))
				}
				if n := g.Switches(); n != 0 {
					broken = append(broken, fmt.Errorf("only A ever held the GIL, but Switches returned %d: a take by the "+
						"thread that held the GIL last is no switch, and neither is the first take", n))
				}
			})
			r.Finally(func() error { return errors.Join(broken...) })
		},
	}, controlled)
	Expect(err).NotTo(HaveOccurred())
	return res
}

// controlled are the options of every controlled run: a thread that does
// not come back to the scheduler within StepTimeout (correct code takes
// microseconds) is reported instead of waited for, and a run longer than
// MaxSteps as a livelock (a correct GIL's longest run here takes about 100
// steps).
var controlled = interleave.Options{StepTimeout: 5 * time.Second, MaxSteps: 2000}

// hammer runs a computing thread and two I/O threads of one interpreter,
// for real, on goroutines of their own (interleavetest.Hammer), so that
// `go test -race` sees the GIL used from threads that really run at once.
// The switch interval is short, so that nobody waits long.
func hammer() {
	g := NewGIL(20 * time.Microsecond)
	w := newWatcher(g)
	in := vm.New(vm.Config{Lock: w, CheckInterval: 5, Checks: vm.Debug, Stdout: GinkgoWriter})
	in.Define("burn", func(*vm.Thread, []*vm.Object) (*vm.Object, error) { return nil, nil })
	in.Define("io", func(t *vm.Thread, _ []*vm.Object) (*vm.Object, error) {
		t.ReleaseGIL()
		runtime.Gosched()
		t.AcquireGIL()
		return nil, nil
	})
	type job struct {
		th  *vm.Thread
		fn  string
		arg int
	}
	jobs := []job{{in.NewThread("A"), "compute", 300}, {in.NewThread("B"), "fetch", 30}, {in.NewThread("C"), "fetch", 30}}
	errs := make([]error, len(jobs))
	err := interleavetest.Hammer{Goroutines: len(jobs), Iterations: 1}.Run(func(i, _ int) {
		_, errs[i] = jobs[i].th.Call(programs, jobs[i].fn, jobs[i].arg)
	})
	Expect(err).NotTo(HaveOccurred(), func() string {
		var he *interleavetest.HammerError
		switch {
		case !errors.As(err, &he):
			return ""
		case he.Hung:
			return "the threads did not finish: a thread probably waits for the GIL, or for a switch, that never comes. Next: HINTS.md, hint 3."
		case he.Panicked:
			return fmt.Sprintf("thread %s panicked: %v. Next: HINTS.md, hint 3.", jobs[he.G].th.Name(), he.Value)
		}
		return fmt.Sprintf("thread %s never returned from its call: its goroutine ended inside it (runtime.Goexit). Next: HINTS.md, hint 3.", jobs[he.G].th.Name())
	})
	Expect(errors.Join(errs...)).NotTo(HaveOccurred(), "every thread's call must return without an error. Next: HINTS.md, hint 3.")
	Expect(w.overlaps()).To(BeEmpty(), "global interpreter lock: two threads held the GIL at once (below). Next: HINTS.md, hint 3.")
	Expect(g.Holder()).To(BeNil(), "every thread has finished, so nobody holds the GIL: Holder must return nil")
}

// importsKitGIL lists the lesson's files in code that import pkg/gil.
func importsKitGIL(code fs.FS) ([]string, error) {
	entries, err := fs.ReadDir(code, ".")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		src, err := fs.ReadFile(code, e.Name())
		if err != nil {
			return nil, err
		}
		if imports(string(src), kitGIL) {
			out = append(out, e.Name())
		}
	}
	return out, nil
}
