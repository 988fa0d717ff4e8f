package iorelease

import (
	"embed"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gcustom"
	"github.com/onsi/gomega/types"

	"github.com/racekit/racekit/pkg/interleave"
	"github.com/racekit/racekit/pkg/interleave/interleavetest"
	ksync "github.com/racekit/racekit/pkg/sync"
	"github.com/racekit/racekit/pkg/vm"
)

// lessonCode is this package's files as they were compiled into the test
// binary, for the first spec: under go test, the learner's own; under
// racekit check and grade, which overlay the learner's files on the kit's
// specs, those too.
//
//go:embed *.go
var lessonCode embed.FS

// The specs are Ordered and stop at the first failure: one thread first,
// then the blocked reader and the exploration under the scheduler, then
// fake time, and the free-running hammer last, so that code which can
// deadlock or touch objects without the GIL never runs freely.
var _ = Describe("The blocking builtins read and sleep", Ordered, func() {
	It("use the kit's sync, which the scheduler sees", func() {
		Expect(lessonCode).To(interleavetest.UseTheKitsSync(), "builtins.go needs no lock of its own: the GIL is the "+
			"interpreter's, taken and let go with t.AcquireGIL() and t.ReleaseGIL(). If you add one anyway (to count "+
			"waiting threads, say), take it from the kit's sync, whose every Lock and Unlock the specs' scheduler sees; "+
			"the standard library's would be invisible to it. Next: HINTS.md, hint 2.")
	})

	When("one thread reads a device that was fed", func() {
		It("returns the value, as a new int", func() {
			var got call
			res, err := interleave.Replay("R", alone("R runs read(disk); the disk was fed 7 before", func(disk *vm.Device) { disk.Feed(7) },
				func(in *vm.Interpreter) { got = runThread(in.NewThread("R"), "readdisk") },
				func(in *vm.Interpreter) error { return got.returned("R's read(disk)", 7) }))
			Expect(err).NotTo(HaveOccurred())
			Expect(res).To(interleavetest.Pass(), func() string { return explain(res.Failure, "") })
		})
	})

	When("one thread reads a device that was closed", func() {
		It("raises an error that says so, holding the GIL again", func() {
			var got call
			res, err := interleave.Replay("R", alone("R runs read(disk); the disk was closed before", func(disk *vm.Device) { disk.Close() },
				func(in *vm.Interpreter) { got = runThread(in.NewThread("R"), "readdisk") },
				func(in *vm.Interpreter) error { return got.failedWith("R's read(disk)", "closed") }))
			Expect(err).NotTo(HaveOccurred())
			Expect(res).To(interleavetest.Pass(), func() string { return explain(res.Failure, "") })
		})
	})

	When("one thread sleeps", func() {
		It("returns None", func() {
			var got call
			res, err := interleave.Replay("S", alone("S runs sleep(0)", nil,
				func(in *vm.Interpreter) { got = runThread(in.NewThread("S"), "nap", 0) },
				func(in *vm.Interpreter) error { return got.returned("S's sleep(0)", nil) }))
			Expect(err).NotTo(HaveOccurred())
			Expect(res).To(interleavetest.Pass(), func() string { return explain(res.Failure, "") })
		})
	})

	When("a builtin gets arguments it cannot use", func() {
		DescribeTable("raises an error instead of waiting",
			func(fn string, arg any, want string) {
				var got call
				res, err := interleave.Replay("T", alone("T runs "+fn, nil,
					func(in *vm.Interpreter) { got = runThread(in.NewThread("T"), fn, arg) },
					func(in *vm.Interpreter) error { return got.failedWith("T's "+fn, want) }))
				Expect(err).NotTo(HaveOccurred())
				Expect(res).To(interleavetest.Pass(), func() string { return explain(res.Failure, "") })
			},
			Entry("read of an int", "readarg", 5, "want a device"),
			Entry("sleep of a string", "nap", "long", "want an int"),
			Entry("sleep of a negative length", "nap", -1, "0 or more"),
		)
	})

	When("R reads the disk while W counts, and F feeds the disk only once W is done", func() {
		It("lets W finish its work while R is still waiting for the disk", func() {
			res, err := interleave.Replay(readerFirst, readWhileWorking())
			Expect(err).NotTo(HaveOccurred())
			Expect(res).To(interleavetest.Pass(), func() string {
				return explain(res.Failure, "blocking i/o: R called read(disk) and waits for the disk while it still holds the GIL. "+
					"W needs the GIL to run even one instruction, so W waits for R; F feeds the disk only once W is done, so F waits for W; "+
					"and R waits for F. Nobody can go on: a builtin that blocks while holding the GIL stops every other thread of the "+
					"interpreter. Release the GIL while Read waits, as CPython does around every blocking call (Py_BEGIN_ALLOW_THREADS). "+
					"Next: HINTS.md, hint 1.")
			})
			Expect(res.Trace).To(ShowWorkWhileBlocked("W", "R"),
				"R must be blocked in read(disk), without the GIL, while W runs all of its work.")
			fmt.Fprintln(GinkgoWriter, res.String())
		})
	})

	When("R1 and R2 wait for a disk each, and F feeds both", func() {
		It("gives each reader its value, whoever takes the GIL back first, in every schedule with at most 1 preemption", func() {
			// Bounded: the schedules with at most 1 preemption include both
			// readers waiting at once, both orders of taking the GIL back,
			// and either reader stopped right after its release while the
			// other runs; those with at most 2 would cost several times as
			// long.
			rep := interleave.Explore(twoReaders(), interleave.Options{MaxPreemptions: 1, RandomSchedules: 100})
			interleavetest.ReportExploration(rep)
			Expect(rep).To(interleavetest.Pass(), func() string { return explain(rep.Failure, "") })
		})
	})

	When("four threads each sleep 100 ms (in fake time)", func() {
		It("takes 400 ms with a sleep that holds the GIL while it waits (the spec's own, to show the cost)", func() {
			got := sleepInBubble(4, 100, sleepHoldingGIL)
			Expect(got).To(ReturnNoneEverywhere(), func() string { return explainNaps(got) })
			Expect(got).To(TakeFakeTime(400*time.Millisecond), "a sleep that keeps the GIL lets one thread sleep at a time")
			Expect(got).To(SleepEachFor(100*time.Millisecond), "each call still sleeps its 100 ms, once it has the GIL")
			Expect(got).NotTo(LetGoOfTheGILWhileAsleep(), "and holds the GIL all that time")
		})

		It("lets them sleep side by side: each call sleeps 100 ms without the GIL, and all four take 100 ms, not 400", func() {
			got := sleepInBubble(4, 100, Sleep)
			Expect(got).To(ReturnNoneEverywhere(), func() string { return explainNaps(got) })
			Expect(got).To(SleepEachFor(100*time.Millisecond), "sleep(100) must wait 100 ms, no more and no less, in every "+
				"thread: the spec times each call of Sleep in fake time. A Sleep that waits less for some calls (those that "+
				"waited for the GIL first, say) hides the cost of holding the GIL instead of removing it. Next: HINTS.md, hint 1.")
			Expect(got).To(TakeFakeTime(100*time.Millisecond), "blocking i/o: Sleep waits while it still holds the GIL, "+
				"so each thread must wait for the one before it to finish sleeping, and four sleeps of 100 ms take 400 ms. "+
				"Release the GIL around the wait, as Python's time.sleep does. Next: HINTS.md, hint 1.")
			Expect(got).To(LetGoOfTheGILWhileAsleep(), "blocking i/o: Sleep waits while it still holds the GIL, so no "+
				"other thread of the interpreter can run while it sleeps. Release the GIL "+
				"around the wait, as Python's time.sleep does. Next: HINTS.md, hint 1.")
		})
	})

	When("threads read devices, sleep and compute freely", func() {
		It("gives every reader every value and loses no count", func() {
			hammer()
		})
	})
})

// programs are the bytecode the specs run, with its Python in comments.
var programs = vm.MustAssemble("io.asm", `
# def readdisk(): return read(disk)
func readdisk()
    LOAD_GLOBAL disk
    CALL_BUILTIN read 1
    RETURN_VALUE
end

# def readarg(x): return read(x)
func readarg(x)
    LOAD_FAST x
    CALL_BUILTIN read 1
    RETURN_VALUE
end

# def nap(ms): return sleep(ms)
func nap(ms)
    LOAD_FAST ms
    CALL_BUILTIN sleep 1
    RETURN_VALUE
end

# def work(n):
#     global count
#     while n > 0:
#         count = count + 1
#         n = n - 1
#     return count
func work(n)
loop:
    LOAD_FAST n
    LOAD_CONST 0
    COMPARE_OP >
    POP_JUMP_IF_FALSE done
    LOAD_GLOBAL count
    LOAD_CONST 1
    BINARY_OP +
    STORE_GLOBAL count
    LOAD_FAST n
    LOAD_CONST 1
    BINARY_OP -
    STORE_FAST n
    JUMP loop
done:
    LOAD_GLOBAL count
    RETURN_VALUE
end

# def reader(dev, n):
#     total = 0
#     while n > 0:
#         total = total + read(dev)
#         sleep(n % 2)
#         n = n - 1
#     return total
func reader(dev, n)
    LOAD_CONST 0
    STORE_FAST total
loop:
    LOAD_FAST n
    LOAD_CONST 0
    COMPARE_OP >
    POP_JUMP_IF_FALSE done
    LOAD_FAST total
    LOAD_FAST dev
    CALL_BUILTIN read 1
    BINARY_OP +
    STORE_FAST total
    LOAD_FAST n
    LOAD_CONST 2
    BINARY_OP %
    CALL_BUILTIN sleep 1
    POP_TOP
    LOAD_FAST n
    LOAD_CONST 1
    BINARY_OP -
    STORE_FAST n
    JUMP loop
done:
    LOAD_FAST total
    RETURN_VALUE
end

# def getcount(): return count
func getcount()
    LOAD_GLOBAL count
    RETURN_VALUE
end
`)

// newInterp returns an interpreter whose read and sleep are the builtins
// of builtins.go, with every debug check on: touching an object without
// the GIL panics. lock nil means the VM's own lock. The check interval is
// long enough that the specs' short programs never drop the GIL at an
// eval-breaker check: every release in a trace is a builtin's.
func newInterp(lock vm.Lock) *vm.Interpreter {
	in := vm.New(vm.Config{Lock: lock, CheckInterval: 10000, Checks: vm.Debug, Stdout: GinkgoWriter})
	in.Define("read", Read)
	in.Define("sleep", Sleep)
	return in
}

// call is what one thread's Call returned.
type call struct {
	done bool
	val  any
	err  error
}

// runThread runs fn of programs on th, on the calling goroutine.
func runThread(th *vm.Thread, fn string, args ...any) call {
	v, err := th.Call(programs, fn, args...)
	return call{done: true, val: v, err: err}
}

// returned checks that the call returned want without an error.
func (c call) returned(what string, want any) error {
	switch {
	case !c.done:
		return fmt.Errorf("%s never returned", what)
	case c.err != nil:
		return fmt.Errorf("%s raised an error instead of returning %v:\n  %v", what, pyRepr(want), c.err)
	case c.val != want:
		return fmt.Errorf("%s returned %v, want %v", what, pyRepr(c.val), pyRepr(want))
	}
	return nil
}

// failedWith checks that the call raised a VM runtime error containing
// want.
func (c call) failedWith(what, want string) error {
	var rte *vm.RuntimeError
	switch {
	case !c.done:
		return fmt.Errorf("%s never returned", what)
	case c.err == nil:
		return fmt.Errorf("%s returned %v, but it should raise an error saying %q", what, pyRepr(c.val), want)
	case strings.Contains(c.err.Error(), "without taking the GIL back"):
		return fmt.Errorf("%s raised the right error, but returned without taking the GIL back:\n  %v", what, c.err)
	case !errors.As(c.err, &rte) || !strings.Contains(c.err.Error(), want):
		return fmt.Errorf("%s raised %q, but the error should say %q", what, c.err, want)
	}
	return nil
}

// pyRepr shows a value returned by the VM as Python would.
func pyRepr(v any) string {
	if v == nil {
		return "None"
	}
	return fmt.Sprint(v)
}

// alone is a scenario with one thread, named by the first word of name:
// prepare feeds or closes the global disk (prepare may be nil), run runs
// the thread, and check checks its result. At the end the disk must still
// hold its global's reference only.
func alone(name string, prepare func(*vm.Device), run func(*vm.Interpreter), check func(*vm.Interpreter) error) interleave.Scenario {
	return interleave.Scenario{
		Name: name,
		Setup: func(r *interleave.Run) {
			in := newInterp(newGIL())
			disk := vm.NewDevice("disk")
			in.SetGlobal("disk", disk)
			if prepare != nil {
				prepare(disk)
			}
			g := strings.Fields(name)[0]
			r.Go(g, func() { run(in) })
			r.Finally(func() error { return errors.Join(check(in), heldOnlyByItsGlobal(in, "disk")) })
		},
	}
}

// heldOnlyByItsGlobal checks that each named object is still bound to its
// global, alive, with the binding's reference only: every reference a
// thread took to it was dropped again.
func heldOnlyByItsGlobal(in *vm.Interpreter, names ...string) error {
	var broken []error
	for _, name := range names {
		o := in.Global(name)
		switch {
		case o == nil:
			broken = append(broken, fmt.Errorf("the global %s is gone", name))
		case o.Freed():
			broken = append(broken, fmt.Errorf("%s was freed, but its global still refers to it", name))
		case o.RefCount() != 1:
			broken = append(broken, fmt.Errorf("%s's refcount is %d, but only its global still refers to it (want 1)", name, o.RefCount()))
		}
	}
	return errors.Join(broken...)
}

// readerFirst lets R run until it blocks in read(disk); the scheduler then
// goes on in creation order without preempting anyone: W, then F.
const readerFirst = "R"

// readWhileWorking is the lesson's scenario: R reads a disk that nobody
// has fed yet, W counts to 3 on the global count, and F, standing for the
// disk's hardware, feeds it only once W is done. R's read can therefore
// return only after W finished all of its work, which W can do only while
// R waits without the GIL.
func readWhileWorking() interleave.Scenario {
	return interleave.Scenario{
		Name: "R runs read(disk) while W runs work(3), counting on the global count; F feeds the disk 42 once W is done", Goal: "get everyone stuck: let R wait for the disk while it keeps the GIL, so that W can never work and F never feeds the disk",
		Setup: func(r *interleave.Run) {
			in := newInterp(newGIL())
			disk := vm.NewDevice("disk")
			in.SetGlobal("disk", disk)
			in.SetGlobal("count", 0)
			var working ksync.WaitGroup // the kit's: F's wait for it is a step the trace shows
			working.Add(1)
			r.Name(&working, "W's work")
			var read, worked call
			r.Go("R", func() { read = runThread(in.NewThread("R"), "readdisk") })
			r.Go("W", func() { worked = doWork(in.NewThread("W"), &working) })
			r.Go("F", func() { feedWhenDone(&working, disk, 42) })
			r.Finally(func() error {
				return errors.Join(worked.returned("W's work(3)", 3), read.returned("R's read(disk)", 42), heldOnlyByItsGlobal(in, "disk"))
			})
		},
	}
}

// twoReaders has two readers blocked at once. Each gets its disk as an
// argument, an object of its own call, which keeps the scenario (and the
// exploration) small. F feeds the disks one at a time, each in a step of
// its own, so that each step wakes at most one thread and the schedule,
// not the Go runtime, decides who takes the GIL back first.
func twoReaders() interleave.Scenario {
	return interleave.Scenario{
		Name: "R1 runs readarg(disk1) and R2 runs readarg(disk2); F feeds disk1 1, then disk2 2",
		Setup: func(r *interleave.Run) {
			in := newInterp(newGIL())
			disk1, disk2 := vm.NewDevice("disk1"), vm.NewDevice("disk2")
			var read1, read2 call
			r.Go("R1", func() { read1 = runThread(in.NewThread("R1"), "readarg", disk1) })
			r.Go("R2", func() { read2 = runThread(in.NewThread("R2"), "readarg", disk2) })
			r.Go("F", func() { feed(disk1, 1); feed(disk2, 2) })
			r.Finally(func() error {
				return errors.Join(read1.returned("R1's read(disk1)", 1), read2.returned("R2's read(disk2)", 2))
			})
		},
	}
}

// doWork runs work(3) on th, then tells work it is done.
func doWork(th *vm.Thread, work *ksync.WaitGroup) call {
	defer work.Done()
	return runThread(th, "work", 3)
}

// feedWhenDone stands for the device's hardware: it feeds v to dev once
// the work is done.
func feedWhenDone(work *ksync.WaitGroup, dev *vm.Device, v int) {
	work.Wait()
	feed(dev, v)
}

// feed feeds v to dev, in a step of its own, which the trace shows ("F
// feed  feeds disk 42"): under the scheduler a device's Feed is a
// scheduling point, and the step wakes a thread waiting for dev.
func feed(dev *vm.Device, v int) { dev.Feed(v) }

// gil is the interpreter lock the controlled specs give the VM: a channel
// of capacity one, as the VM's own lock is, which also marks in the trace
// every time a thread takes or releases it, naming the function that asked
// ("R  Read  releases the GIL"). Release pauses before it lets go, Acquire
// after it took hold: a thread paused at either point holds the lock. Make
// one with newGIL.
type gil struct {
	slot   chan struct{}             // holds a token while the lock is held
	holder atomic.Pointer[vm.Thread] // nil while free
}

func newGIL() *gil { return &gil{slot: make(chan struct{}, 1)} }

// Acquire takes the lock, waiting for it if another thread holds it.
func (l *gil) Acquire(t *vm.Thread) {
	l.slot <- struct{}{}
	l.holder.Store(t)
	interleave.PointAs(gilCaller(), "takes the GIL")
}

// Release lets go of the lock; it is an error if t does not hold it.
func (l *gil) Release(t *vm.Thread) error {
	if h := l.holder.Load(); h != t {
		return fmt.Errorf("the GIL %w: thread %s released it while %s holds it", vm.ErrNotHolder, t.Name(), h.Name())
	}
	interleave.PointAs(gilCaller(), "releases the GIL")
	l.holder.Store(nil)
	<-l.slot
	return nil
}

// gilCaller names the function that called the thread's AcquireGIL or
// ReleaseGIL, or the lock itself: a builtin (Read, Sleep), a helper of the
// learner's, or the VM (Call when a thread starts and ends, and when a
// thread dying of a panic lets the lock go; eval). A call deferred by a
// function that is panicking is named after the function that panicked,
// where the panic left the VM.
func gilCaller() string {
	pcs := make([]uintptr, 64)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(3, pcs)]) // from the caller of Acquire or Release
	panicking := false
	for {
		fr, more := frames.Next()
		switch {
		case strings.HasSuffix(fr.Function, ".AcquireGIL") || strings.HasSuffix(fr.Function, ".ReleaseGIL"):
		case strings.HasPrefix(fr.Function, "runtime."):
			panicking = true
		case !panicking || !strings.Contains(fr.Function, "/pkg/vm."):
			return funcName(fr.Function)
		}
		if !more {
			return "the VM" // never seen: some frame above is the VM's or the learner's
		}
	}
}

// funcName shortens a function's full name to the name a reader knows it
// by: "github.com/x/vm.(*Thread).Call.func1" -> "Call".
func funcName(full string) string {
	name := full[strings.LastIndex(full, "/")+1:]
	name = name[strings.Index(name, ".")+1:]
	parts := strings.Split(name, ".")
	for len(parts) > 1 && (strings.HasPrefix(parts[len(parts)-1], "func") || isDigits(parts[len(parts)-1])) {
		parts = parts[:len(parts)-1]
	}
	return parts[len(parts)-1]
}

func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// GIL events in a trace.
const (
	takesGIL    = "takes the GIL"
	releasesGIL = "releases the GIL"
)

// explain says, in a learner's words, what a failed controlled run shows
// and which hint to read. holding is the message for the lesson's own
// failure, a reader that waits while holding the GIL ("" for scenarios in
// which nobody waits for anybody).
func explain(f *interleave.Failure, holding string) string {
	if f == nil {
		return ""
	}
	switch f.Kind {
	case interleave.Panicked:
		return explainPanic(f.Message)
	case interleave.Deadlock:
		return explainDeadlock(f.Trace, holding)
	case interleave.Broken:
		if strings.Contains(f.Message, "without taking the GIL back") {
			return "a builtin returned without taking the GIL back (the VM noticed and raised the error below). Every path " +
				"out of a builtin that released the GIL, error returns included, must first call t.AcquireGIL(). Next: HINTS.md, hint 3."
		}
		return "the threads finished, but not with the results they should have (below). Next: HINTS.md, hint 3."
	}
	return "the run did not finish normally; the message below says why. Next: HINTS.md, hint 3."
}

// explainPanic turns the VM's debug-check panics into what the builtin did
// wrong.
func explainPanic(msg string) string {
	switch {
	case strings.Contains(msg, "without holding the GIL") && strings.Contains(msg, "touched by"):
		used, extra := "used an object (an argument)", ""
		if strings.Contains(msg, "a recover hid the panic") {
			used = "formatted an object (an argument)"
			extra = " fmt calls the String method of an object it formats, which reads the object, so an error message " +
				"such as fmt.Errorf(\"device %s was closed\", args[0]) is a touch too: name things with the plain values " +
				"you kept (dev.Name())."
		}
		return "object touched without the GIL: a builtin " + used + " after it released the GIL (see the panic below)." +
			extra + " Once a thread has let go of the GIL, other threads run and change objects' reference counts, so it " +
			"must not touch any object until it holds the GIL again. Read every argument (t.Device(args[0]), " +
			"t.Int(args[0])) before t.ReleaseGIL(), and keep only plain Go values across the wait. Next: HINTS.md, hint 2."
	case strings.Contains(msg, "creates an object without holding the GIL"):
		return "object touched without the GIL: a builtin made its result with t.NewObject while the GIL was released, " +
			"see the panic below. Making an object is touching the interpreter's memory too: take the GIL back with " +
			"t.AcquireGIL() first. If you take it back in a defer: a deferred AcquireGIL runs only after the return " +
			"statement, t.NewObject(v) included, was evaluated, which is too late. Next: HINTS.md, hint 3."
	case strings.Contains(msg, "which it does not hold"):
		return "a builtin released the GIL twice, or released it without holding it (see the panic below): each " +
			"t.ReleaseGIL() needs exactly one t.AcquireGIL() after it, before the next release. Next: HINTS.md, hint 3."
	case strings.Contains(msg, "it already holds"):
		return "a builtin took the GIL while it already held it (see the panic below): call t.AcquireGIL() only after " +
			"t.ReleaseGIL(). Next: HINTS.md, hint 3."
	}
	return "a thread panicked (see below). Next: HINTS.md, hint 3."
}

// explainDeadlock finds the thread blocked inside a builtin and tells
// whether it holds the GIL while it waits: it never released it (holding),
// or it released it and took it back before the wait.
func explainDeadlock(t interleave.Trace, holding string) string {
	for _, e := range t {
		if e.Kind != interleave.Block || strings.HasSuffix(e.At.File, "_test.go") {
			continue
		}
		// e.G waits inside a builtin (in builtins.go): what did it last do
		// with the GIL?
		last, released := "", false
		for _, g := range t {
			if g.Step > e.Step || g.G != e.G || g.Kind != interleave.Label {
				continue
			}
			switch g.Label {
			case releasesGIL:
				last, released = releasesGIL, true
			case takesGIL:
				last = takesGIL
			}
		}
		switch {
		case last == takesGIL && released:
			return fmt.Sprintf("blocking i/o: %s's %s released the GIL and took it back before it waited, so it still "+
				"holds the GIL while it waits at %s, and every other thread waits for it. The wait itself must come between "+
				"the release and the re-acquire: t.ReleaseGIL(), then the wait, then t.AcquireGIL(). Next: HINTS.md, hint 2.",
				e.G, e.At.ShortFunc(), e.At)
		case last == takesGIL && holding != "":
			return holding
		case last == takesGIL:
			return fmt.Sprintf("blocking i/o: %s waits in %s at %s while it holds the GIL, so no other thread can run. "+
				"Next: HINTS.md, hint 1.", e.G, e.At.ShortFunc(), e.At)
		}
	}
	return "deadlock: every thread waits, and none can wake another; the trace below shows where each one waits. Next: HINTS.md, hint 3."
}

// ShowWorkWhileBlocked succeeds for a trace in which the thread reader
// blocks inside a builtin before the thread worker does anything, and
// does nothing more until worker has done everything it did.
func ShowWorkWhileBlocked(worker, reader string) types.GomegaMatcher {
	return gcustom.MakeMatcher(func(t interleave.Trace) (bool, error) {
		blocked, firstWork, lastWork, resumed := -1, -1, -1, -1
		for i, e := range t {
			switch {
			case e.G == reader && e.Kind == interleave.Block && blocked < 0:
				blocked = i
			case e.G == reader && blocked >= 0 && resumed < 0:
				resumed = i
			case e.G == worker:
				if firstWork < 0 {
					firstWork = i
				}
				lastWork = i
			}
		}
		return blocked >= 0 && firstWork > blocked && (resumed < 0 || resumed > lastWork), nil
	}).WithTemplate("Expected {{.Data.Reader}} to be blocked while {{.Data.Worker}} did all its work, but the trace is:\n{{.Actual.String}}",
		struct{ Worker, Reader string }{worker, reader})
}

// naps is what happened in a bubble in which threads slept side by side.
type naps struct {
	Elapsed  time.Duration   // fake time from the threads' start until the last one returned
	Woke     []time.Duration // per thread: fake time at which its call returned
	Took     []time.Duration // per thread: fake time its call of the builtin sleep took
	Held     []time.Duration // per thread: fake time it held the GIL during that call
	Returned []bool          // per thread: its Call returned (rather than its goroutine ending)
	Errs     []error         // per thread: the error its call returned
	Panics   []any           // per thread: what it panicked with
	Escaped  any             // a panic of the bubble itself (a deadlock of every goroutine in it)
	Raced    bool            // the race detector reported a race inside the bubble
}

// Trouble lists what went wrong other than the timing.
func (n naps) Trouble() []string {
	var out []string
	if n.Raced {
		out = append(out, "the race detector reported a data race inside the bubble")
	}
	if n.Escaped != nil {
		out = append(out, fmt.Sprint(n.Escaped))
	}
	for i := range n.Woke {
		switch {
		case n.Panics[i] != nil:
			out = append(out, fmt.Sprintf("T%d panicked: %v", i+1, n.Panics[i]))
		case n.Errs[i] != nil:
			out = append(out, fmt.Sprintf("T%d's sleep raised an error: %v", i+1, n.Errs[i]))
		case !n.Returned[i] && n.Escaped == nil:
			out = append(out, fmt.Sprintf("T%d's call never returned: its goroutine ended inside it (runtime.Goexit); "+
				"a builtin must return to the VM", i+1))
		}
	}
	return out
}

// ReturnNoneEverywhere succeeds for naps in which every thread's call
// returned None, without an error or a panic.
func ReturnNoneEverywhere() types.GomegaMatcher {
	return gcustom.MakeMatcher(func(n naps) (bool, error) {
		return len(n.Trouble()) == 0, nil
	}).WithTemplate("Expected every thread's sleep {{.To}} return None, but:{{range .Actual.Trouble}}\n  {{.}}{{end}}")
}

// explainNaps says what went wrong in the bubble, other than the timing.
func explainNaps(n naps) string {
	all := strings.Join(n.Trouble(), "\n")
	switch {
	case strings.Contains(all, "panicked"):
		return explainPanic(all)
	case n.Raced:
		return "data race: the race detector reported one while the threads slept (WARNING: DATA RACE above), so " +
			"something was touched without the GIL, or the GIL did not keep two threads apart. Next: HINTS.md, hint 2."
	case n.Escaped != nil:
		return "deadlock: every goroutine of the fake-time bubble waits for another, so fake time cannot move on. Is the GIL " +
			"taken back after every wait? Next: HINTS.md, hint 3."
	case strings.Contains(all, "without taking the GIL back"):
		return "Sleep returned without taking the GIL back (the VM noticed and raised the error below). Every path " +
			"out of a builtin that released the GIL must first call t.AcquireGIL(). Next: HINTS.md, hint 3."
	}
	return "sleep(100) should return None in every thread. Next: HINTS.md, hint 3."
}

// sleepInBubble runs threads threads of one interpreter, each calling
// sleep(ms), inside a testing/synctest bubble, and reports when each
// returned in fake time. The interpreter, and so its lock, is made inside
// the bubble, where a thread waiting for the lock is durably blocked and
// fake time moves on only when every thread sleeps or waits.
//
// synctest.Test fails the suite's T with FailNow, which ends the calling
// goroutine, when the race detector reported a race inside the bubble: it
// runs on a goroutine of its own here, so that the spec can say so.
func sleepInBubble(threads, ms int, sleep vm.Builtin) naps {
	n := naps{Woke: make([]time.Duration, threads), Took: make([]time.Duration, threads), Held: make([]time.Duration, threads),
		Returned: make([]bool, threads), Errs: make([]error, threads), Panics: make([]any, threads)}
	finished := make(chan bool)
	go func() {
		normally := false
		defer func() { finished <- normally }()
		defer func() { n.Escaped = recover() }()
		inBubble(&n, threads, ms, sleep)
		normally = true
	}()
	if !<-finished && n.Escaped == nil {
		n.Raced = true
	}
	return n
}

// inBubble runs sleepInBubble's threads inside a synctest bubble, with
// sleep as the builtin sleep. It times each call of sleep, and the GIL
// (a clockedGIL) tells how long the calling thread held it meanwhile.
func inBubble(n *naps, threads, ms int, sleep vm.Builtin) {
	synctest.Test(suiteT, func(*testing.T) {
		gil := newClockedGIL()
		in := newInterp(gil)
		index := map[*vm.Thread]int{} // read-only once the threads start
		in.Define("sleep", func(t *vm.Thread, args []*vm.Object) (*vm.Object, error) {
			i, began, heldBefore := index[t], time.Now(), gil.heldBy(t)
			defer func() { n.Took[i], n.Held[i] = time.Since(began), gil.heldBy(t)-heldBefore }()
			return sleep(t, args)
		})
		start := time.Now()
		var ths []*vm.Thread
		for i := range threads {
			th := in.NewThread(fmt.Sprintf("T%d", i+1))
			index[th] = i
			ths = append(ths, th)
		}
		var wg sync.WaitGroup
		for i, th := range ths {
			wg.Go(func() {
				defer func() {
					n.Woke[i] = time.Since(start)
					n.Panics[i] = recover()
				}()
				_, n.Errs[i] = th.Call(programs, "nap", ms)
				n.Returned[i] = true
			})
		}
		wg.Wait()
		n.Elapsed = time.Since(start)
	})
}

// clockedGIL is the GIL of the fake-time specs: the spec's gil, which also
// keeps, in fake time, how long each thread has held it. Make one with
// newClockedGIL. It is safe for concurrent use.
type clockedGIL struct {
	*gil
	mu    sync.Mutex                   // guards the maps
	since map[*vm.Thread]time.Time     // when each thread that holds the lock took it
	held  map[*vm.Thread]time.Duration // how long each thread held it, up to its last release
}

func newClockedGIL() *clockedGIL {
	return &clockedGIL{gil: newGIL(), since: map[*vm.Thread]time.Time{}, held: map[*vm.Thread]time.Duration{}}
}

// Acquire takes the lock for t and notes when.
func (l *clockedGIL) Acquire(t *vm.Thread) {
	l.gil.Acquire(t)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.since[t] = time.Now()
}

// Release lets go of the lock and adds how long t held it.
func (l *clockedGIL) Release(t *vm.Thread) error {
	l.mu.Lock()
	if took, ok := l.since[t]; ok && l.gil.holder.Load() == t {
		l.held[t] += time.Since(took)
		delete(l.since, t)
	}
	l.mu.Unlock()
	return l.gil.Release(t)
}

// heldBy returns how long t has held the lock so far, its current hold
// included.
func (l *clockedGIL) heldBy(t *vm.Thread) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	d := l.held[t]
	if took, ok := l.since[t]; ok {
		d += time.Since(took)
	}
	return d
}

// Timeline lists when the threads woke, in fake time since the start,
// earliest first (which thread took the GIL first is up to the Go runtime).
func (n naps) Timeline() string {
	woke := slices.Clone(n.Woke)
	slices.Sort(woke)
	parts := make([]string, len(woke))
	for i, w := range woke {
		parts[i] = w.String()
	}
	return "the threads woke at " + strings.Join(parts, ", ")
}

// SleepEachFor succeeds for naps in which every thread's call of sleep took
// d of fake time, exactly: from the moment the VM called the builtin, the
// thread holding the GIL, until it returned to the VM, holding it again.
func SleepEachFor(d time.Duration) types.GomegaMatcher {
	return gcustom.MakeMatcher(func(n naps) (bool, error) {
		return !slices.ContainsFunc(n.Took, func(took time.Duration) bool { return took != d }), nil
	}).WithTemplate("Expected every thread's call of sleep {{.To}} take {{.Data}} of fake time, but {{.Actual.Calls}}", d)
}

// LetGoOfTheGILWhileAsleep succeeds for naps in which no thread held the GIL
// for any fake time during its own call of sleep: while one thread slept,
// the GIL was free for the others.
func LetGoOfTheGILWhileAsleep() types.GomegaMatcher {
	return gcustom.MakeMatcher(func(n naps) (bool, error) {
		return !slices.ContainsFunc(n.Held, func(held time.Duration) bool { return held != 0 }), nil
	}).WithTemplate("Expected every thread {{.To}} let go of the GIL while it slept, but: {{.Actual.Calls}}")
}

// Calls lists, per thread, how long its call of sleep took in fake time and
// how long it held the GIL meanwhile.
func (n naps) Calls() string {
	parts := make([]string, len(n.Took))
	for i := range n.Took {
		parts[i] = fmt.Sprintf("T%d's sleep took %v and held the GIL for %v", i+1, n.Took[i], n.Held[i])
	}
	return strings.Join(parts, "; ")
}

// TakeFakeTime succeeds for naps that took d of fake time in all.
func TakeFakeTime(d time.Duration) types.GomegaMatcher {
	return gcustom.MakeMatcher(func(n naps) (bool, error) {
		return n.Elapsed == d, nil
	}).WithTemplate("Expected the threads' sleeps {{.To}} take {{.Data}} of fake time in all, but they took {{.Actual.Elapsed}}: "+
		"{{.Actual.Timeline}}", d)
}

// hammer runs reader, sleeper and worker threads of one interpreter on
// goroutines of their own, for real, so that `go test -race` sees them run
// at once: readers read devices that feeder goroutines fill bit by bit and
// sleep 0 or 1 ms between reads, while workers count on one global. The
// goroutines run through interleavetest.Hammer: one that does not return
// (a panic, runtime.Goexit, a hang) fails the spec.
func hammer() {
	const readers, reads, workers, rounds = 4, 20, 2, 500
	in := newInterp(nil)
	in.SetGlobal("count", 0)
	var devs []*vm.Device
	var disks []string
	for i := range readers {
		name := fmt.Sprintf("disk%d", i+1)
		devs = append(devs, vm.NewDevice(name))
		disks = append(disks, name)
		in.SetGlobal(name, devs[i])
	}
	type outcome struct {
		name string
		want int // the reader's total; -1 for a worker
		got  call
	}
	var outcomes []*outcome
	var tasks []func() // what the hammer's goroutines run, one each
	var names []string // names[g] names what tasks[g] runs, for messages
	start := func(name, fn string, want int, args ...any) {
		o := &outcome{name: name, want: want}
		outcomes = append(outcomes, o)
		th := in.NewThread(name)
		tasks = append(tasks, func() { o.got = runThread(th, fn, args...) })
		names = append(names, "thread "+name)
	}
	for i, dev := range devs {
		start(fmt.Sprintf("R%d", i+1), "reader", reads*(reads+1)/2, in.Global(disks[i]), reads)
		tasks = append(tasks, func() {
			for v := 1; v <= reads; v++ {
				dev.Feed(v)
				runtime.Gosched()
			}
		})
		names = append(names, "the feeder of "+disks[i])
	}
	for i := range workers {
		start(fmt.Sprintf("W%d", i+1), "work", -1, rounds)
	}
	err := interleavetest.Hammer{Goroutines: len(tasks), Iterations: 1}.Run(func(g, _ int) { tasks[g]() })
	Expect(err).NotTo(HaveOccurred(), func() string {
		var he *interleavetest.HammerError
		switch {
		case !errors.As(err, &he):
			return ""
		case he.Hung:
			return "the threads did not finish: a thread probably waits for the GIL, which another one never gave back. Next: HINTS.md, hint 3."
		case he.Panicked:
			return explainPanic(fmt.Sprintf("%s panicked: %v", names[he.G], he.Value))
		}
		return fmt.Sprintf("%s never returned from its call: its goroutine ended inside it (runtime.Goexit). A builtin must "+
			"return to the VM, holding the GIL, on every path. Next: HINTS.md, hint 3.", names[he.G])
	})
	var trouble []string
	for _, o := range outcomes {
		if o.want < 0 {
			if o.got.err != nil {
				trouble = append(trouble, fmt.Sprintf("%s's work raised an error: %v", o.name, o.got.err))
			}
			continue
		}
		if err := o.got.returned(o.name+"'s reader", o.want); err != nil {
			trouble = append(trouble, err.Error())
		}
	}
	Expect(trouble).To(FinishCleanly(),
		"a thread's result is wrong (below): a reader must get every value fed to its device, once. Next: HINTS.md, hint 3.")
	total := runThread(in.NewThread("M"), "getcount")
	Expect(total.returned("count", workers*rounds)).To(Succeed(),
		"lost update: the workers' counts do not add up, so two threads ran bytecode at the same time. Next: HINTS.md, hint 3.")
	Expect(heldOnlyByItsGlobal(in, disks...)).To(Succeed(),
		"every reference a thread took to a device object must be dropped again. Next: HINTS.md, hint 3.")
}

// FinishCleanly succeeds for an empty list of what went wrong with the
// hammer's threads.
func FinishCleanly() types.GomegaMatcher {
	return gcustom.MakeMatcher(func(trouble []string) (bool, error) {
		return len(trouble) == 0, nil
	}).WithTemplate("Expected every thread {{.To}} finish with its result, but:{{range .Actual}}\n  {{.}}{{end}}")
}

// sleepHoldingGIL is sleep(ms) written the wrong way on purpose: it waits
// while it holds the GIL, so no other thread of the interpreter can run.
func sleepHoldingGIL(t *vm.Thread, args []*vm.Object) (*vm.Object, error) {
	ms, err := t.Int(args[0])
	if err != nil {
		return nil, err
	}
	time.Sleep(time.Duration(ms) * time.Millisecond)
	return nil, nil
}
