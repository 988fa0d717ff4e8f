package freethreading

import (
	"embed"
	"errors"
	"fmt"
	"runtime"
	stdatomic "sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gmeasure"

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

// The specs are Ordered and stop at the first failure: one thread first,
// then the foo trace and the exploration under the scheduler, the
// free-running hammer (for -race), and only then the three specs of the
// lesson's second step: the owner's cheap counts, the owner taking a
// reference again after its merge, and immortal objects. Counts that are
// atomic everywhere pass everything up to the biased spec.
var _ = Describe("Counter, the reference counting of an interpreter without a GIL", Ordered, func() {
	It("uses the kit's sync and sync/atomic, which the scheduler sees", func() {
		Expect(lessonCode).To(interleavetest.UseTheKitsSync(), "the specs judge your counts by putting other threads between "+
			"their steps; they can only do that with the kit's atomics. Next: HINTS.md, hint 1.")
	})

	When("one thread takes and drops references to foo", func() {
		DescribeTable("counts every reference where the scheduler sees it, and frees foo once, when its last reference goes",
			func(g string) {
				res, err := interleave.Replay(g, oneThread(g))
				Expect(err).NotTo(HaveOccurred())
				Expect(res).To(interleavetest.Pass(), func() string { return explain(res.Failure) })
				Expect(countingSteps(res.Trace, g)).To(BeNumerically(">=", 2), "keep the counts where the scheduler sees "+
					"every change: in an interleave.Int (read with Get, written with Set) or an atomic of the kit's sync/atomic. "+
					g+"'s LOAD_GLOBAL foo and the drop of its result changed foo's count, but the trace shows no write or atomic "+
					"operation for them:\n"+
					res.Trace.String()+"\nNext: HINTS.md, hint 1.")
			},
			Entry("foo's owner, A", "A"),
			Entry("a thread that does not own foo, B", "B"),
		)
	})

	When("A and B run LOAD_GLOBAL foo at the same time, in the foo trace's order", func() {
		It("frees foo exactly when its last reference is dropped", func() {
			res, err := interleave.Replay(fooSchedule, fooTrace())
			Expect(err).NotTo(HaveOccurred())
			Expect(res).To(interleavetest.Pass(), func() string { return explain(res.Failure) })
			fmt.Fprintln(GinkgoWriter, res.String())
		})
	})

	When("foo's owner drops its last reference while B, which does not own foo, still holds one", func() {
		It("keeps exact counts and frees foo once, in every schedule with at most 3 preemptions", func() {
			rep := interleave.Explore(ownerLetsGo(1), interleave.Options{MaxPreemptions: 3, DataRaces: true})
			interleavetest.ReportExploration(rep)
			Expect(rep).To(interleavetest.Pass(), func() string { return explain(rep.Failure) })
		})
	})

	When("three threads take and drop references to foo, make and drop objects of their own, and use immortal ones, freely", func() {
		It("frees every object exactly once", func() {
			hammer()
		})
	})

	When("foo's owner takes and drops references to foo while B uses foo too (the second step: biased counting)", func() {
		It("counts the owner's references with no atomic operation and no lock, as PEP 703's owner does", func() {
			// The same scenario is explored first, so that a counter cannot
			// be cheap here and safe only in the specs before this one.
			rep := interleave.Explore(ownerLetsGo(3), interleave.Options{MaxPreemptions: 3, DataRaces: true})
			interleavetest.ReportExploration(rep)
			Expect(rep).To(interleavetest.Pass(), func() string { return explain(rep.Failure) })
			res, err := interleave.Replay("A", ownerLetsGo(3), interleave.Options{DataRaces: true})
			Expect(err).NotTo(HaveOccurred())
			Expect(res).To(interleavetest.Pass(), func() string { return explain(res.Failure) })
			n := ownerSyncSteps(res.Trace)
			Expect(n).To(BeZero(), fmt.Sprintf("correct, now make it cheaper: your counts are safe without a GIL, and every spec "+
				"before this one passed. But foo's owner A took and dropped 3 references to foo with %d atomic operations (or locks), "+
				"and an atomic read-modify-write costs many times a plain one. Most objects are only ever used by the thread that "+
				"made them: PEP 703's biased reference counting lets that thread, the owner (o.Owner() == t), count in a local count "+
				"with plain reads and writes, and every other thread in a shared count with atomics; the object is freed when both "+
				"are at zero (the merge). README.md, \"Step 2\", and HINTS.md, hint 2.\n%s", n, res.Trace))
		})
	})

	When("foo's owner gave foo up, and then takes a reference to it again", func() {
		It("counts that reference with the other threads', and frees foo once, when its last reference goes", func() {
			rep := interleave.Explore(ownerComesBack(), interleave.Options{MaxPreemptions: 3, DataRaces: true})
			interleavetest.ReportExploration(rep)
			Expect(rep).To(interleavetest.Pass(), func() string { return explain(rep.Failure) })
		})
	})

	When("threads use None, True and the small ints, which live for ever", func() {
		It("never counts them and never frees them", func() {
			res, err := interleave.Replay("T", immortals())
			Expect(err).NotTo(HaveOccurred())
			Expect(res).To(interleavetest.Pass(), func() string { return explain(res.Failure) })
			Expect(countingSteps(res.Trace, "T")).To(BeZero(), "immortal objects: T used only None, True and small ints, and "+
				"your counter still counted them (the trace below). PEP 703, like PEP 683 before it, makes Py_INCREF and Py_DECREF "+
				"no-ops for immortal objects: no thread ever writes their counts, so they cost nothing and never contend. "+
				"Leave objects with o.Immortal() alone in IncRef and DecRef. Next: HINTS.md, hint 3.\n"+res.Trace.String())
		})
	})

	When("one thread counts, with and without a GIL (an experiment: it asserts nothing)", func() {
		It("prints what each kind of count costs", func() {
			experiment()
		})
	})
})

// programs are the bytecode the specs run, with its Python in comments.
var programs = vm.MustAssemble("free.asm", `
# def touch(): return foo
func touch()
    LOAD_GLOBAL foo
    RETURN_VALUE
end

# def echo(x): return x
func echo(x)
    LOAD_FAST x
    RETURN_VALUE
end

# def share():
#     global bar
#     bar = foo
func share()
    LOAD_GLOBAL foo
    STORE_GLOBAL bar
    LOAD_CONST None
    RETURN_VALUE
end

# def touch_bar(): return bar
func touch_bar()
    LOAD_GLOBAL bar
    RETURN_VALUE
end

# def pair(): return foo + foo
func pair()
    LOAD_GLOBAL foo
    LOAD_GLOBAL foo
    BINARY_OP +
    RETURN_VALUE
end

# def immortal():
#     None
#     15 + 1
#     return 1 < 2
func immortal()
    LOAD_CONST None
    POP_TOP
    LOAD_CONST 15
    LOAD_CONST 1
    BINARY_OP +
    POP_TOP
    LOAD_CONST 1
    LOAD_CONST 2
    COMPARE_OP <
    RETURN_VALUE
end

# def spin(n):
#     while n > 0:
#         x = foo
#         n = n - 1
func spin(n)
loop:
    LOAD_FAST n
    LOAD_CONST 0
    COMPARE_OP >
    POP_JUMP_IF_FALSE done
    LOAD_GLOBAL foo
    STORE_FAST x
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

// newInterp returns an interpreter without a GIL whose reference counting
// is rc, with the debug checks on: a use of a freed object, or a second
// free, panics.
func newInterp(rc vm.RefCounter) *vm.Interpreter {
	return vm.New(vm.Config{NoGIL: true, RefCounter: rc, Checks: vm.Debug, Stdout: GinkgoWriter})
}

// fooSchedule replays the foo trace: A takes its reference (start, read,
// write), B takes its reference, then both read the count before either
// writes it back.
const fooSchedule = "A*3 B*3 A B A B"

// fooValue is foo's value: an int that is not a small one, so that foo is
// an ordinary, mortal object.
const fooValue = 1000

// withFoo makes an interpreter with the lesson's counter and threads A and
// B; A makes foo and binds it to the global foo, so A owns it. The trace
// names foo's count state "foo".
func withFoo(r *interleave.Run) (in *vm.Interpreter, a, b *vm.Thread, foo *vm.Object) {
	in = newInterp(Counter{})
	a, b = in.NewThread("A"), in.NewThread("B")
	foo = a.SetGlobal("foo", fooValue)
	if c := foo.Count(); c != nil && isPointer(c) {
		r.Name(c, "foo")
	}
	return in, a, b, foo
}

// oneThread is a scenario in which thread g alone runs touch(): it takes a
// reference to foo and drops it. Then A, foo's owner, unbinds foo.
func oneThread(g string) interleave.Scenario {
	return interleave.Scenario{
		Name: g + " runs touch() (LOAD_GLOBAL foo, then the caller drops the result); foo is A's, and its count starts at 1, the global's",
		Setup: func(r *interleave.Run) {
			in, a, b, foo := withFoo(r)
			th := map[string]*vm.Thread{"A": a, "B": b}[g]
			var got call
			r.Go(g, func() { got = run(th, "touch") })
			r.Finally(func() error {
				return errors.Join(got.returned(g+"'s touch()", fooValue), freedOnceAtTheEnd(in, a, foo, "touch()"))
			})
		},
	}
}

// fooTrace is the foo trace of the course's source material, on an
// interpreter without a GIL: A and B each run touch(), taking a reference
// to foo and dropping it.
func fooTrace() interleave.Scenario {
	return interleave.Scenario{
		Name: "the foo trace without a GIL: A and B each run touch() (LOAD_GLOBAL foo, then the caller drops the result); " +
			"foo is A's, and its count starts at 1, the global's",
		Goal: "make foo leak, or free it while the global still holds it: with no GIL, lose one of the count's updates",
		Setup: func(r *interleave.Run) {
			in, a, b, foo := withFoo(r)
			var gotA, gotB call
			r.Go("A", func() { gotA = run(a, "touch") })
			r.Go("B", func() { gotB = run(b, "touch") })
			r.Finally(func() error {
				return errors.Join(gotA.returned("A's touch()", fooValue), gotB.returned("B's touch()", fooValue),
					freedOnceAtTheEnd(in, a, foo, "A's and B's touch()"))
			})
		},
	}
}

// ownerLetsGo has foo's owner drop its last reference while another
// thread still holds one: B took a reference before the run, passes foo
// to echo (which takes two more and drops them) and then drops its own,
// while A runs touch() n times and then unbinds foo. Whoever drops the
// last reference frees foo; nobody frees it before. The trace marks where
// A unbinds foo (see ownerSyncSteps).
func ownerLetsGo(n int) interleave.Scenario {
	touches := "touch()"
	if n > 1 {
		touches = fmt.Sprintf("touch() %d times", n)
	}
	return interleave.Scenario{
		Name: "A runs " + touches + " and then unbinds foo (foo = None), dropping its last reference; B, which took a " +
			"reference to foo before, runs echo(foo) and then drops that reference",
		Setup: func(r *interleave.Run) {
			in, a, b, foo := withFoo(r)
			b.IncRef(foo) // B's reference, taken before the run
			gotA := make([]call, n)
			var gotB call
			r.Go("A", func() {
				for i := range gotA {
					gotA[i] = run(a, "touch")
				}
				interleave.LabelAs(unbindsFoo, "A unbinds foo: its last reference")
				a.SetGlobal("foo", nil)
			})
			r.Go("B", func() {
				gotB = run(b, "echo", foo)
				b.DecRef(foo)
			})
			r.Finally(func() error {
				var errs []error
				for i, c := range gotA {
					errs = append(errs, c.returned(fmt.Sprintf("A's touch() #%d", i+1), fooValue))
				}
				return errors.Join(append(errs, gotB.returned("B's echo(foo)", fooValue),
					freedOnce(in, foo, "A and B dropped every reference to foo"))...)
			})
		},
	}
}

// unbindsFoo is what the trace says A does when it unbinds foo.
const unbindsFoo = "foo = None"

// ownerSyncSteps is how many operations of the kit's sync or atomic
// packages foo's owner A made in t before it unbound foo: for its own
// references, which PEP 703's owner counts with plain reads and writes.
func ownerSyncSteps(t interleave.Trace) int {
	n := 0
	for _, e := range t {
		if e.G == "A" && e.Kind == interleave.Label && e.Doing == unbindsFoo {
			break
		}
		if e.G == "A" && e.Kind == interleave.Sync {
			n++
		}
	}
	return n
}

// ownerComesBack has foo's owner take a reference to foo after it gave
// foo up: B stored foo in the global bar before the run; A unbinds foo,
// dropping its own last reference (its local count reaches zero: the
// merge), and then loads foo again through bar, as B does. Once B unbinds
// bar, foo must be freed, once.
func ownerComesBack() interleave.Scenario {
	return interleave.Scenario{
		Name: "B stored foo in the global bar before the run (bar = foo); A unbinds foo (foo = None), dropping its own " +
			"last reference, and then runs touch_bar() (LOAD_GLOBAL bar): its reference to foo after it gave foo up; B runs " +
			"touch_bar() too",
		Setup: func(r *interleave.Run) {
			in, a, b, foo := withFoo(r)
			if got := run(b, "share"); got.err != nil {
				panic(got.err)
			}
			var gotA, gotB call
			r.Go("A", func() {
				a.SetGlobal("foo", nil)
				gotA = run(a, "touch_bar")
			})
			r.Go("B", func() { gotB = run(b, "touch_bar") })
			r.Finally(func() error {
				if err := errors.Join(gotA.returned("A's touch_bar()", fooValue), gotB.returned("B's touch_bar()", fooValue)); err != nil {
					return err
				}
				if n := foo.Frees(); n > 0 {
					return fmt.Errorf("%s: foo was freed while the global bar still held it (freed %d %s): %s", prematureFree, n, times(n), whoFreed(in, foo))
				}
				b.SetGlobal("bar", nil)
				switch n := foo.Frees(); {
				case n == 0:
					return fmt.Errorf("%s: %s and took a reference to it again through bar, B unbound bar (bar = None), "+
						"dropping foo's last reference, but no DecRef said to free it: foo is never freed", leaks, ownerCameBack)
				case n > 1:
					return fmt.Errorf("foo was freed %d times: %s", n, whoFreed(in, foo))
				}
				return nil
			})
		},
	}
}

// immortals has one thread use only immortal objects, twice.
func immortals() interleave.Scenario {
	return interleave.Scenario{
		Name: "T runs immortal() twice: None, 15 + 1 (16, a small int), 1 < 2 (True)",
		Setup: func(r *interleave.Run) {
			in := newInterp(Counter{})
			t := in.NewThread("T")
			var got [2]call
			r.Go("T", func() {
				got[0] = run(t, "immortal")
				got[1] = run(t, "immortal")
			})
			r.Finally(func() error {
				return errors.Join(got[0].returned("T's first immortal()", true), got[1].returned("T's second immortal()", true),
					noImmortalFreed(in))
			})
		},
	}
}

// call is what one thread's Call returned.
type call struct {
	done bool
	val  any
	err  error
}

// run calls fn of programs on th.
func run(th *vm.Thread, fn string, args ...any) call {
	v, err := th.Call(programs, fn, args...)
	return call{done: true, val: v, err: err}
}

// returned checks that the call returned want without an error.
func (c call) returned(what string, want any) error {
	switch {
	case !c.done:
		return fmt.Errorf("%s never returned", what)
	case c.err != nil:
		return fmt.Errorf("%s raised an error: %v", what, c.err)
	case c.val != want:
		return fmt.Errorf("%s returned %v, want %v", what, c.val, want)
	}
	return nil
}

// freedOnceAtTheEnd checks that foo is still alive after work (every
// reference it took was dropped again), then has owner unbind it, which
// drops foo's last reference, and checks that this freed foo, once.
func freedOnceAtTheEnd(in *vm.Interpreter, owner *vm.Thread, foo *vm.Object, work string) error {
	if n := foo.Frees(); n > 0 {
		return fmt.Errorf("%s: foo was freed while its global still held it (freed %d %s): %s", prematureFree, n, times(n), whoFreed(in, foo))
	}
	owner.SetGlobal("foo", nil)
	switch n := foo.Frees(); {
	case n == 0:
		return fmt.Errorf("%s: after %s, A unbound foo (foo = None), dropping its last reference, but no DecRef said to free it: "+
			"a decrement was lost somewhere (or counted twice over), and foo is never freed", leaks, work)
	case n > 1:
		return fmt.Errorf("foo was freed %d times: %s", n, whoFreed(in, foo))
	}
	return nil
}

// freedOnce checks that foo was freed exactly once, all its references
// having been dropped.
func freedOnce(in *vm.Interpreter, foo *vm.Object, when string) error {
	switch n := foo.Frees(); {
	case n == 0:
		return fmt.Errorf("%s: %s, but no DecRef said to free it: foo is never freed", leaks, when)
	case n > 1:
		return fmt.Errorf("foo was freed %d times: %s", n, whoFreed(in, foo))
	}
	return nil
}

// noImmortalFreed checks that the interpreter freed no immortal object.
func noImmortalFreed(in *vm.Interpreter) error {
	for _, f := range in.Frees() {
		if f.Object.Immortal() {
			return fmt.Errorf("%s: %s was freed, by %s's DecRef", immortalFreed, f.Object, f.Thread.Name())
		}
	}
	return nil
}

// whoFreed lists the threads whose DecRef freed foo.
func whoFreed(in *vm.Interpreter, foo *vm.Object) string {
	var by []string
	for _, f := range in.Frees() {
		if f.Object == foo {
			by = append(by, f.Thread.Name())
		}
	}
	return fmt.Sprintf("by %v", by)
}

func times(n int) string {
	if n == 1 {
		return "time"
	}
	return "times"
}

// The words the checks and explain share.
const (
	leaks         = "foo leaks"
	prematureFree = "foo was freed too early"
	immortalFreed = "an immortal object was freed"
	ownerCameBack = "after A gave foo up"
)

// hammer runs three threads of one interpreter freely, for the race
// detector: A owns foo; each thread calls touch(), pair() (which makes an
// int of its own and drops it) and immortal() (whose None, True and small
// ints every thread shares, and no thread may write the counts of) over
// and over. At the end A unbinds foo. Every object must be freed exactly
// once: foo, and every pair's result.
func hammer() {
	const threads, rounds = 3, 200
	in := newInterp(Counter{})
	ths := make([]*vm.Thread, threads)
	for i := range ths {
		ths[i] = in.NewThread(string(rune('A' + i)))
	}
	foo := ths[0].SetGlobal("foo", fooValue)
	var wrong stdatomic.Pointer[string]
	err := interleavetest.Hammer{Goroutines: threads, Iterations: rounds}.Run(func(g, _ int) {
		for _, fn := range []string{"touch", "pair", "immortal"} {
			want := map[string]any{"touch": fooValue, "pair": 2 * fooValue, "immortal": true}[fn]
			if err := run(ths[g], fn).returned(ths[g].Name()+"'s "+fn+"()", want); err != nil {
				msg := err.Error()
				wrong.CompareAndSwap(nil, &msg)
			}
			runtime.Gosched()
		}
	})
	Expect(err).NotTo(HaveOccurred(), func() string {
		var he *interleavetest.HammerError
		if errors.As(err, &he) && he.Panicked {
			return explainPanic(fmt.Sprint(he.Value))
		}
		return "every thread must finish its calls: IncRef and DecRef must return. Next: HINTS.md, hint 3."
	})
	if msg := wrong.Load(); msg != nil {
		Fail(*msg)
	}
	ths[0].SetGlobal("foo", nil)
	Expect(freedOnce(in, foo, "every thread dropped every reference it took to foo, and A unbound it")).To(Succeed(),
		"free threading: three threads counted foo's references at once. Next: HINTS.md, hint 1.")
	Expect(in.Frees()).To(HaveLen(1+threads*rounds), "each pair() makes an int of its own thread, which the thread drops "+
		"at once: every one of them, and foo, must be freed exactly once. Next: HINTS.md, hint 2.")
}

// atomicCounter is reference counting with one atomic count per object,
// the standard library's (which the scheduler cannot see, and which costs
// what hardware atomics cost), for the experiment.
type atomicCounter struct{}

func (atomicCounter) NewCount(*vm.Object) any { c := new(stdatomic.Int64); c.Store(1); return c }
func (atomicCounter) IncRef(_ *vm.Thread, o *vm.Object) {
	if !o.Immortal() {
		o.Count().(*stdatomic.Int64).Add(1)
	}
}
func (atomicCounter) DecRef(_ *vm.Thread, o *vm.Object) bool {
	return !o.Immortal() && o.Count().(*stdatomic.Int64).Add(-1) == 0
}

// plainCounter is reference counting with one plain count per object:
// right under a GIL, wrong without one. The experiment's baseline for the
// counters, which the interpreter calls the same way.
type plainCounter struct{}

type plainCount struct{ refs int }

func (plainCounter) NewCount(*vm.Object) any { return &plainCount{refs: 1} }
func (plainCounter) IncRef(_ *vm.Thread, o *vm.Object) {
	if !o.Immortal() {
		o.Count().(*plainCount).refs++
	}
}
func (plainCounter) DecRef(_ *vm.Thread, o *vm.Object) bool {
	if o.Immortal() {
		return false
	}
	c := o.Count().(*plainCount)
	c.refs--
	return c.refs == 0
}

// experiment times spin(n) on one thread that owns foo: with the GIL and
// the VM's plain counts, without a GIL and atomic counts, and without a
// GIL and your Counter. It asserts nothing: speed claims belong in
// experiments, never in a spec.
func experiment() {
	const n = 1000
	setups := []struct {
		name string
		cfg  vm.Config
	}{
		{"with the GIL, the VM's plain counts", vm.Config{}},
		{"no GIL, plain counts (wrong with two threads; the baseline)", vm.Config{NoGIL: true, RefCounter: plainCounter{}}},
		{"no GIL, atomic counts (the standard library's)", vm.Config{NoGIL: true, RefCounter: atomicCounter{}}},
		{"no GIL, your Counter", vm.Config{NoGIL: true, RefCounter: Counter{}}},
	}
	exp := gmeasure.NewExperiment(fmt.Sprintf("experiment: spin(%d) on one thread, which owns foo", n))
	for _, s := range setups {
		s.cfg.Stdout = GinkgoWriter
		in := vm.New(s.cfg)
		t := in.NewThread("T")
		t.SetGlobal("foo", fooValue)
		exp.SampleDuration(s.name, func(int) {
			_, err := t.Call(programs, "spin", n)
			Expect(err).NotTo(HaveOccurred(), "spin only reads foo")
		}, gmeasure.SamplingConfig{N: 5, Duration: 25 * time.Millisecond})
	}
	AddReportEntry(exp.Name, exp)
	var b []byte
	for _, s := range setups {
		d := exp.GetStats(s.name).DurationFor(gmeasure.StatMedian)
		b = fmt.Appendf(b, "%s: %v\n", s.name, d.Round(time.Microsecond))
	}
	AddReportEntry("medians", string(b)+"(the counters all run through the same interface: compare the plain counts with the "+
		"atomic ones for the price of atomics. The kit's interleave.Int and sync/atomic, which your Counter uses, check for a "+
		"controlled run on every operation, so they cost more than plain and atomic memory; and under -race every atomic "+
		"operation costs far more than on hardware)")
}
