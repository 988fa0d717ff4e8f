package vm_test

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/gil"
	"github.com/racekit/racekit/pkg/interleave"
	"github.com/racekit/racekit/pkg/interleave/interleavetest"
	"github.com/racekit/racekit/pkg/vm"
)

// locking adds to a global under a user-level lock, as Python would with
// `with l: counter = counter + one()`.
var locking = vm.MustAssemble("locking.asm", `
func setup()
    LOAD_CONST 0
    STORE_GLOBAL counter
    CALL_BUILTIN lock 0
    STORE_GLOBAL l
    LOAD_CONST None
    RETURN_VALUE
end

func addone(n)
loop:
    LOAD_FAST n
    LOAD_CONST 0
    COMPARE_OP >
    POP_JUMP_IF_FALSE done
    LOAD_GLOBAL l
    CALL_BUILTIN acquire 1
    POP_TOP
    LOAD_GLOBAL counter
    CALL_BUILTIN one 0
    BINARY_OP +
    STORE_GLOBAL counter
    LOAD_GLOBAL l
    CALL_BUILTIN release 1
    POP_TOP
    LOAD_FAST n
    LOAD_CONST 1
    BINARY_OP -
    STORE_FAST n
    JUMP loop
done:
    LOAD_CONST None
    RETURN_VALUE
end

func twice()
    LOAD_GLOBAL l
    CALL_BUILTIN acquire 1
    POP_TOP
    LOAD_GLOBAL l
    CALL_BUILTIN release 1
    POP_TOP
    LOAD_GLOBAL l
    CALL_BUILTIN release 1
    RETURN_VALUE
end

func acquireof(x)
    LOAD_FAST x
    CALL_BUILTIN acquire 1
    RETURN_VALUE
end

func getl()
    LOAD_GLOBAL l
    RETURN_VALUE
end
`)

// acquireHoldingGIL is acquire(l) written the wrong way on purpose: it
// waits for the lock while it holds the GIL.
func acquireHoldingGIL(t *vm.Thread, args []*vm.Object) (*vm.Object, error) {
	l, err := t.UserLock(args[0])
	if err != nil {
		return nil, err
	}
	l.Acquire(t)
	return nil, nil
}

// lockedCounters is a scenario: A and B each run addone(2) of locking under
// the new GIL, with the builtin acquire given (nil: the VM's own), and the
// final count must be 4.
func lockedCounters(acquire vm.Builtin) interleave.Scenario {
	return interleave.Scenario{
		Name: "A and B each run addone(2), under the lock l",
		Setup: func(r *interleave.Run) {
			lock := &gil.New{}
			in := vm.New(vm.Config{Lock: lock, BreakerAt: vm.BackwardJumpsAndCalls, Checks: vm.Debug})
			in.Define("one", one)
			if acquire != nil {
				in.Define("acquire", acquire)
			}
			a, b := in.NewThread("A"), in.NewThread("B")
			_, err := a.Call(locking, "setup")
			Expect(err).NotTo(HaveOccurred())
			l, err := a.Call(locking, "getl")
			Expect(err).NotTo(HaveOccurred())
			r.Name(l.(*vm.UserLock), "l")
			r.Name(lock, "the GIL")
			in.Watch("counter")
			for _, th := range []*vm.Thread{a, b} {
				r.Go(th.Name(), func() {
					if _, err := th.Call(locking, "addone", 2); err != nil {
						panic(err)
					}
				})
			}
			r.Finally(func() error {
				n, err := a.Call(counting, "getcounter")
				if err != nil || n != 4 {
					return fmt.Errorf("counter is %v, want 4: an update was lost", n)
				}
				return nil
			})
		},
	}
}

var _ = Describe("UserLock, the builtins lock(), acquire(l) and release(l)", func() {
	When("one thread takes a lock and lets it go twice", func() {
		It("refuses the second release, as Python's RuntimeError does", func() {
			in := vm.New(vm.Config{Checks: vm.Debug})
			th := in.NewThread("A")
			_, err := th.Call(locking, "setup")
			Expect(err).NotTo(HaveOccurred())
			_, err = th.Call(locking, "twice")
			Expect(err).To(MatchError(ContainSubstring("release: release unlocked lock")), "a free lock cannot be released")
			l, err := th.Call(locking, "getl")
			Expect(err).NotTo(HaveOccurred())
			Expect(l.(*vm.UserLock).Holder()).To(BeNil(), "the refused release changed nothing: the lock is free")
		})
	})

	When("acquire gets something other than a lock", func() {
		It("raises an error naming what it got", func() {
			_, err := vm.New(vm.Config{Checks: vm.Debug}).NewThread("A").Call(locking, "acquireof", 5)
			Expect(err).To(MatchError(ContainSubstring("acquire: want a lock, got int 5")))
		})
	})

	When("two threads add to a global under a lock, with the VM's acquire, which releases the GIL while it waits", func() {
		It("loses no update in any schedule with at most 2 preemptions", func() {
			rep := interleave.Explore(lockedCounters(nil), interleave.Options{MaxPreemptions: 2})
			Expect(rep).To(interleavetest.Pass(), "the lock keeps the load and the store of counter together, and a waiter "+
				"lets go of the GIL so that the holder can get to its release")
			AddReportEntry("exploration", rep.Coverage())
		})
	})

	When("two threads add to a global under a lock, with an acquire that keeps the GIL while it waits", func() {
		It("deadlocks, and the report names what each thread holds, waits for, and the instruction it is at", func() {
			rep := interleave.Explore(lockedCounters(acquireHoldingGIL), interleave.Options{MaxPreemptions: 2})
			Expect(rep.Passed()).To(BeFalse(), "one thread holds l and waits for the GIL, the other holds the GIL and waits for l")
			Expect(rep.Failure.Kind).To(Equal(interleave.Deadlock))
			Expect(rep.Failure.Message).To(MatchRegexp(`waits for l, which (A|B) holds \((A|B) is at CALL_BUILTIN acquire 1\)`),
				"the thread waiting for the user lock names its holder and its own instruction")
			Expect(rep.Failure.Message).To(MatchRegexp(`waits for the GIL, which (A|B) holds \((A|B) is at [A-Z_]+`),
				"the thread waiting for the GIL names its holder and its own instruction")
		})
	})

	When("threads take and release a lock freely, under the VM's own GIL", func() {
		It("loses no update (go test -race checks the lock's memory)", func() {
			in := vm.New(vm.Config{CheckInterval: 3, Checks: vm.Debug})
			in.Define("one", one)
			_, err := in.NewThread("S").Call(locking, "setup")
			Expect(err).NotTo(HaveOccurred())
			var ths []*vm.Thread
			for i := range 4 {
				th := in.NewThread(fmt.Sprint("T", i))
				th.Start(locking, "addone", 200)
				ths = append(ths, th)
			}
			for _, th := range ths {
				_, err := th.Join()
				Expect(err).NotTo(HaveOccurred())
			}
			Expect(in.NewThread("M").Call(counting, "getcounter")).To(Equal(800), "every thread's 200 updates counted")
		})
	})
})
