package vm_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/interleave"
	"github.com/racekit/racekit/pkg/interleave/interleavetest"
	"github.com/racekit/racekit/pkg/vm"
)

// callBuiltinText is f(x) = name(x), for a builtin of one argument.
func callBuiltinText(name string) string {
	return "func f(x)\n    LOAD_FAST x\n    CALL_BUILTIN " + name + " 1\n    RETURN_VALUE\nend\n"
}

var _ = Describe("the builtins", func() {
	var (
		out    *strings.Builder
		interp *vm.Interpreter
	)
	BeforeEach(func() {
		out = &strings.Builder{}
		interp = vm.New(vm.Config{Checks: vm.Debug, Stdout: out})
	})

	Describe("cpu", func() {
		It("does n units of work and returns their checksum", func() {
			Expect(callOnce(interp, callBuiltinText("cpu"), "f", 1000)).To(Equal(vm.Work(1000)), "cpu(n) returns Work(n), so the work cannot be skipped")
			Expect(vm.Work(1000)).NotTo(Equal(vm.Work(1001)), "the checksum depends on n")
		})

		It("wants an int", func() {
			_, err := callOnce(interp, callBuiltinText("cpu"), "f", "lots")
			Expect(err).To(MatchError("vm: thread A, f line 3 (CALL_BUILTIN cpu 1): cpu: want an int, got str lots"),
				"a builtin's error names the builtin and what it wanted")
		})
	})

	Describe("print", func() {
		It("writes its arguments, separated by spaces, and a newline to the interpreter's Stdout", func() {
			prog := vm.MustAssemble("print.asm", `
func show(n, s, dev)
    LOAD_FAST n
    LOAD_FAST s
    LOAD_CONST None
    LOAD_CONST True
    LOAD_FAST dev
    CALL_BUILTIN print 5
    CALL_BUILTIN print 0
    POP_TOP
    RETURN_VALUE
end
`)
			Expect(interp.NewThread("A").Call(prog, "show", -1, "spam", vm.NewDevice("disk"))).To(BeNil(), "print returns None")
			Expect(out.String()).To(Equal("-1 spam None True <device disk>\n\n"), "values print as Python's print shows them; print() prints an empty line")
		})
	})

	Describe("sleep", func() {
		It("releases the GIL while it waits: four threads sleeping 100 ms take 100 ms, not 400", func() {
			var (
				released, held       time.Duration
				errReleased, errHeld error
			)
			synctest.Test(suiteT, func(*testing.T) {
				released, errReleased = sleepers(vm.Sleep)
				held, errHeld = sleepers(func(t *vm.Thread, args []*vm.Object) (*vm.Object, error) {
					ms, err := t.Int(args[0])
					time.Sleep(time.Duration(ms) * time.Millisecond) // holding the GIL
					return nil, err
				})
			})
			Expect(errReleased).NotTo(HaveOccurred(), "the sleepers run")
			Expect(errHeld).NotTo(HaveOccurred(), "the sleepers that keep the GIL run")
			Expect(released).To(Equal(100*time.Millisecond), "in fake time, four sleeps that release the GIL overlap")
			Expect(held).To(Equal(400*time.Millisecond), "a sleep that keeps the GIL makes the others wait: the contrast shows the release is real")
		})

		It("refuses a negative length", func() {
			_, err := callOnce(interp, callBuiltinText("sleep"), "f", -1)
			Expect(err).To(MatchError(HaveSuffix("sleep: sleep length must be 0 or more, got -1")), "as Python's time.sleep(-1) is a ValueError")
		})
	})

	Describe("read", func() {
		It("returns the value fed to the device, and lets other threads run while it waits", func() {
			disk := vm.NewDevice("disk")
			reading := make(chan struct{})
			interp.Define("read", func(t *vm.Thread, args []*vm.Object) (*vm.Object, error) {
				close(reading) // the reader holds the GIL here; vm.Read releases it
				return vm.Read(t, args)
			})
			reader := interp.NewThread("reader")
			reader.Start(vm.MustAssemble("read.asm", callBuiltinText("read")), "f", disk)
			<-reading
			var result any
			ran := interleavetest.Returns(func() {
				result, _ = interp.NewThread("worker").Call(vm.MustAssemble("countdown.asm", countdownText), "countdown", 100)
			})
			if !ran {
				disk.Feed(0) // let the reader go, so the suite can end
			}
			Expect(ran).To(BeTrue(), "the worker must finish while the reader waits for the device: read releases the GIL")
			Expect(result).To(Equal(0), "the worker's countdown finished")
			disk.Feed(7)
			Expect(reader.Join()).To(Equal(7), "read returns the value fed to the device")
		})

		It("fails on a closed device, after the values fed before the close", func() {
			disk := vm.NewDevice("disk")
			disk.Feed(1)
			disk.Close()
			prog := vm.MustAssemble("read.asm", callBuiltinText("read"))
			Expect(interp.NewThread("A").Call(prog, "f", disk)).To(Equal(1), "a value fed before the close is still read")
			_, err := interp.NewThread("A").Call(prog, "f", disk)
			Expect(err).To(MatchError("vm: thread A, f line 3 (CALL_BUILTIN read 1): read: device disk was closed"),
				"reading a closed, empty device is an error, not a hang")
		})

		It("wants one device", func() {
			_, err := callOnce(interp, callBuiltinText("read"), "f", 3)
			Expect(err).To(MatchError(HaveSuffix("read: want a device, got int 3")), "read names what it got")
			_, err = callOnce(interp, "func f()\n    CALL_BUILTIN read 0\n    RETURN_VALUE\nend\n", "f")
			Expect(err).To(MatchError(HaveSuffix("read: read takes one argument, a device; got 0")), "read counts its arguments")
		})
	})

	When("a program calls a builtin the interpreter does not define", func() {
		It("refuses the call before running anything", func() {
			t := interp.NewThread("A")
			_, err := t.Call(vm.MustAssemble("nope.asm", "func f()\n    CALL_BUILTIN nope 0\n    RETURN_VALUE\nend\n"), "f")
			Expect(err).To(MatchError("vm: f calls the builtin nope, which interpreter main does not define"), "an unknown builtin is found when the function is bound")
			Expect(t.Instructions()).To(BeZero(), "no instruction ran")
		})
	})

	When("Define replaces a builtin", func() {
		It("calls the new one in that interpreter only", func() {
			var got []any
			interp.Define("print", func(t *vm.Thread, args []*vm.Object) (*vm.Object, error) {
				for _, a := range args {
					got = append(got, t.Value(a))
				}
				return t.NewObject("printed"), nil
			})
			prog := vm.MustAssemble("print.asm", callBuiltinText("print"))
			Expect(interp.NewThread("A").Call(prog, "f", 42)).To(Equal("printed"), "the replacement's result is pushed")
			Expect(got).To(Equal([]any{42}), "the replacement got the argument")
			Expect(out.String()).To(BeEmpty(), "the default print did not run")
			var otherOut strings.Builder
			other := vm.New(vm.Config{Stdout: &otherOut})
			Expect(other.NewThread("A").Call(prog, "f", 42)).To(BeNil(), "another interpreter keeps the default print")
			Expect(otherOut.String()).To(Equal("42\n"), "Define changes one interpreter, not the defaults")
		})
	})

	When("a builtin fails", func() {
		It("stops the thread with a RuntimeError that wraps the builtin's error and drops the frame's references", func() {
			kaput := errors.New("kaput")
			interp.Define("boom", func(*vm.Thread, []*vm.Object) (*vm.Object, error) { return nil, kaput })
			foo := interp.SetGlobal("foo", 1)
			_, err := callOnce(interp, "func f()\n    LOAD_GLOBAL foo\n    CALL_BUILTIN boom 1\n    RETURN_VALUE\nend\n", "f")
			Expect(err).To(MatchError("vm: thread A, f line 3 (CALL_BUILTIN boom 1): boom: kaput"), "the error names the builtin")
			Expect(errors.Is(err, kaput)).To(BeTrue(), "errors.Is finds the builtin's own error")
			Expect(foo).To(HaveRefCount(1), "the argument on the stack was dropped when the frame unwound")
		})
	})

	When("a builtin returns without taking the GIL back", func() {
		It("fails the thread, which leaves the interpreter usable", func() {
			var holds []bool
			interp.Define("forget", func(t *vm.Thread, args []*vm.Object) (*vm.Object, error) {
				holds = append(holds, t.HoldsGIL())
				t.ReleaseGIL()
				holds = append(holds, t.HoldsGIL())
				return nil, nil
			})
			foo := interp.SetGlobal("foo", 1)
			t := interp.NewThread("A")
			_, err := t.Call(vm.MustAssemble("forget.asm", "func f()\n    LOAD_GLOBAL foo\n    CALL_BUILTIN forget 1\n    RETURN_VALUE\nend\n"), "f")
			Expect(err).To(MatchError("vm: thread A, f line 3 (CALL_BUILTIN forget 1): the builtin returned without taking the GIL back: every ReleaseGIL needs its AcquireGIL"),
				"the VM catches a missing Py_END_ALLOW_THREADS")
			Expect(holds).To(Equal([]bool{true, false}), "a builtin runs holding the GIL, and HoldsGIL follows ReleaseGIL")
			Expect(t.HoldsGIL()).To(BeFalse(), "the failed thread does not keep the GIL")
			Expect(foo).To(HaveRefCount(1), "the frame's references were dropped, with the GIL taken back for it")
			Expect(callOnce(interp, countdownText, "countdown", 3)).To(Equal(0), "another thread can take the GIL afterwards")
		})
	})

	When("a builtin misuses the GIL", func() {
		It("panics on an AcquireGIL while holding it, on a ReleaseGIL without it, and on NewObject without it", func() {
			prog := vm.MustAssemble("misuse.asm", "func f()\n    CALL_BUILTIN misuse 0\n    RETURN_VALUE\nend\n")
			interp.Define("misuse", func(t *vm.Thread, _ []*vm.Object) (*vm.Object, error) {
				t.AcquireGIL()
				return nil, nil
			})
			Expect(func() { _, _ = interp.NewThread("A").Call(prog, "f") }).To(PanicWith("vm: thread A acquires the GIL it already holds"),
				"a second acquire would deadlock a real lock")
			interp = vm.New(vm.Config{Checks: vm.Debug})
			interp.Define("misuse", func(t *vm.Thread, _ []*vm.Object) (*vm.Object, error) {
				t.ReleaseGIL()
				t.ReleaseGIL()
				return nil, nil
			})
			Expect(func() { _, _ = interp.NewThread("A").Call(prog, "f") }).To(PanicWith("vm: thread A releases the GIL, which it does not hold"),
				"releasing twice is a bug in the builtin")
			interp = vm.New(vm.Config{Checks: vm.Debug})
			interp.Define("misuse", func(t *vm.Thread, _ []*vm.Object) (*vm.Object, error) {
				t.ReleaseGIL()
				defer t.AcquireGIL()
				return t.NewObject(1), nil
			})
			Expect(func() { _, _ = interp.NewThread("A").Call(prog, "f") }).To(PanicWith("vm: thread A creates an object without holding the GIL"),
				"with CheckGIL, making an object needs the GIL too")
		})
	})
})

// sleepers runs four threads of a new interpreter, each calling sleep(100)
// implemented by sleep, and returns how long they took, and the first error
// a thread returned. Call it inside a synctest bubble, where time is fake.
func sleepers(sleep vm.Builtin) (time.Duration, error) {
	interp := vm.New(vm.Config{Checks: vm.Debug})
	interp.Define("sleep", sleep)
	prog := vm.MustAssemble("sleep.asm", "func nap()\n    LOAD_CONST 100\n    CALL_BUILTIN sleep 1\n    RETURN_VALUE\nend\n")
	start := time.Now()
	var ts []*vm.Thread
	for _, name := range []string{"A", "B", "C", "D"} {
		t := interp.NewThread(name)
		t.Start(prog, "nap")
		ts = append(ts, t)
	}
	var first error
	for _, t := range ts {
		if _, err := t.Join(); err != nil && first == nil {
			first = err
		}
	}
	return time.Since(start), first
}

var _ = Describe("Device", func() {
	It("gives the values fed to it in order, then reports its close", func() {
		disk := vm.NewDevice("disk")
		Expect(disk.Name()).To(Equal("disk"), "a device has the name it was made with")
		disk.Feed(1)
		disk.Feed(2)
		disk.Close()
		for _, want := range []int{1, 2} {
			v, ok := disk.Read()
			Expect(ok).To(BeTrue(), "values fed before Close are still read")
			Expect(v).To(Equal(want), "values come out in the order they were fed")
		}
		_, ok := disk.Read()
		Expect(ok).To(BeFalse(), "a closed, empty device reads false")
	})

	It("blocks a read until a value is fed, or until it is closed", func() {
		var before, after, closed bool
		var got int
		synctest.Test(suiteT, func(*testing.T) {
			disk := vm.NewDevice("disk")
			done := make(chan struct{})
			go func() {
				defer close(done)
				got, _ = disk.Read()
			}()
			synctest.Wait()
			before = isClosed(done)
			disk.Feed(5)
			synctest.Wait()
			after = isClosed(done)

			disk2 := vm.NewDevice("disk2")
			var ok bool
			done2 := make(chan struct{})
			go func() {
				defer close(done2)
				_, ok = disk2.Read()
			}()
			synctest.Wait()
			disk2.Close()
			synctest.Wait()
			closed = isClosed(done2) && !ok
		})
		Expect(before).To(BeFalse(), "Read waits while nothing was fed")
		Expect(after).To(BeTrue(), "Feed wakes the waiting Read")
		Expect(got).To(Equal(5), "the waiting Read gets the value fed")
		Expect(closed).To(BeTrue(), "Close wakes a waiting Read, which reports false")
	})

	It("is seen by the controlled scheduler: a read of an empty device waits, as a step, until a feed or a close", func() {
		readWhileFed := func(closeIt bool) interleave.Scenario {
			return interleave.Scenario{
				Name: "R reads disk while F feeds it 7, or closes it",
				Setup: func(r *interleave.Run) {
					disk := vm.NewDevice("disk")
					var got int
					var ok bool
					r.Go("R", func() { got, ok = disk.Read() })
					r.Go("F", func() {
						if closeIt {
							disk.Close()
						} else {
							disk.Feed(7)
						}
					})
					r.Finally(func() error {
						if closeIt == ok || !closeIt && got != 7 {
							return fmt.Errorf("R read %d, %v", got, ok)
						}
						return nil
					})
				},
			}
		}
		res, err := interleave.Replay("R F", readWhileFed(false))
		Expect(err).NotTo(HaveOccurred())
		Expect(res).To(interleavetest.Pass())
		var labels []string
		for _, e := range res.Trace {
			labels = append(labels, e.G+": "+e.Label)
		}
		Expect(labels).To(Equal([]string{"R: waits for disk #1 to be fed", "F: feeds disk 7"}),
			"R's wait and F's feed are steps of the trace, named after the device")
		for _, closeIt := range []bool{false, true} {
			rep := interleave.Explore(readWhileFed(closeIt))
			Expect(rep).To(interleavetest.Pass())
			Expect(rep.Reduced).To(BeTrue(), "no goroutine dump was needed to see R wait, so the reduction stays on")
			Expect(rep.Exhaustive).To(BeTrue())
		}
	})

	It("holds at most 64 unread values and refuses a Feed after Close", func() {
		disk := vm.NewDevice("disk")
		for i := range 64 {
			disk.Feed(i)
		}
		Expect(func() { disk.Feed(64) }).To(PanicWith(MatchError("vm: device disk already holds 64 unread values")),
			"a spec that feeds far ahead of its readers has a bug; a panic says so rather than blocking")
		disk.Close()
		Expect(func() { disk.Feed(1) }).To(PanicWith(MatchError("vm: Feed on closed device disk")), "nothing can be read after Close, so feeding is a bug")
	})
})

// isClosed reports whether ch is closed, without waiting.
func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
