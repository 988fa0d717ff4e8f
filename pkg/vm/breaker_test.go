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

// counting is two ways to add to a global in a loop: with a builtin call
// between the load and the store (counter = counter + one()), and without
// (counter += 1).
var counting = vm.MustAssemble("counting.asm", `
func addone(n)
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

func inplace(n)
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

func getcounter()
    LOAD_GLOBAL counter
    RETURN_VALUE
end
`)

// one is the builtin one(): 1.
func one(t *vm.Thread, _ []*vm.Object) (*vm.Object, error) { return t.NewObject(1), nil }

// whereLock is a mutexLock that implements vm.DropRequester and records,
// at each question, the instruction the asking thread is at; it never says
// yes.
type whereLock struct{ mutexLock }

func (l *whereLock) DropRequested(t *vm.Thread) bool {
	l.add("%s", t.Instr())
	return false
}

// checksOf runs fn(2) of counting on one thread under a whereLock and
// returns the instructions at which it checked the eval breaker.
func checksOf(c vm.Config, fn string) []string {
	lock := &whereLock{}
	c.Lock, c.Checks = lock, vm.Debug
	in := vm.New(c)
	in.Define("one", one)
	in.SetGlobal("counter", 0)
	_, err := in.NewThread("A").Call(counting, fn, 2)
	Expect(err).NotTo(HaveOccurred())
	var at []string
	for _, c := range lock.Calls() {
		if c != "Acquire A" && c != "Release A" {
			at = append(at, c)
		}
	}
	return at
}

// perThread is how many times each thread of twoCounters adds one.
const perThread = 1

// twoCounters is a scenario: A and B each run fn(perThread) of counting under the
// new GIL, with the global counter watched, and the final count must be 4.
func twoCounters(fn string, at vm.BreakerPlacement) interleave.Scenario {
	return interleave.Scenario{
		Name: fmt.Sprintf("A and B each run %s(2) (%v)", fn, at),
		Setup: func(r *interleave.Run) {
			in := vm.New(vm.Config{Lock: &gil.New{}, CheckInterval: 1, BreakerAt: at, Checks: vm.Debug})
			in.Define("one", one)
			in.SetGlobal("counter", 0)
			in.Watch("counter")
			for _, name := range []string{"A", "B"} {
				th := in.NewThread(name)
				r.Go(name, func() {
					if _, err := th.Call(counting, fn, perThread); err != nil {
						panic(err)
					}
				})
			}
			r.Finally(func() error {
				n, err := in.NewThread("M").Call(counting, "getcounter")
				if err != nil || n != 2*perThread {
					return fmt.Errorf("counter is %v, want %d: an update was lost", n, 2*perThread)
				}
				return nil
			})
		},
	}
}

var _ = Describe("Config.BreakerAt", func() {
	When("it is EveryInterval, the zero value, with CheckInterval 1", func() {
		It("checks the eval breaker before every instruction, as in CPython up to 3.9", func() {
			at := checksOf(vm.Config{CheckInterval: 1}, "inplace")
			Expect(at).To(ContainElements("LOAD_GLOBAL counter", "BINARY_OP +", "STORE_GLOBAL counter"),
				"a check can fall between the load of counter and its store")
		})
	})

	When("it is BackwardJumpsAndCalls", func() {
		It("checks only at backward jumps and builtin calls, as CPython 3.10 and later do", func() {
			Expect(checksOf(vm.Config{BreakerAt: vm.BackwardJumpsAndCalls}, "addone")).To(Equal(
				[]string{"CALL_BUILTIN one 0", "JUMP loop", "CALL_BUILTIN one 0", "JUMP loop"}),
				"one check at each call of one() and at each jump back to the loop's start, none at the forward jump out")
			Expect(checksOf(vm.Config{BreakerAt: vm.BackwardJumpsAndCalls, CheckInterval: 1}, "inplace")).To(Equal(
				[]string{"JUMP loop", "JUMP loop"}), "CheckInterval is not used: counter += 1 has no call, so only the jumps check")
		})
	})

	DescribeTable("two threads adding to a global under the new GIL, explored",
		func(fn string, at vm.BreakerPlacement, loses bool) {
			rep := interleave.Explore(twoCounters(fn, at), interleave.Options{MaxPreemptions: 20})
			if loses {
				Expect(rep.Passed()).To(BeFalse(), "a check between the load and the store lets the GIL change hands there")
				Expect(rep.Failure.Message).To(ContainSubstring("an update was lost"))
				Expect(rep.Failure.Trace.String()).To(MatchRegexp(`LOAD_GLOBAL counter +reads counter -> \d`),
					"the watched global shows its loads in the trace")
				return
			}
			Expect(rep).To(interleavetest.Pass(), "no check between the load and the store: the GIL cannot change hands there")
			Expect(rep.Exhaustive).To(BeTrue(), "every schedule was explored: %s", rep.Coverage())
			AddReportEntry("exploration", rep.Coverage())
		},
		Entry("counter = counter + one(), EveryInterval: loses updates", "addone", vm.EveryInterval, true),
		Entry("counter = counter + one(), BackwardJumpsAndCalls: still loses updates (the call checks)", "addone", vm.BackwardJumpsAndCalls, true),
		Entry("counter += 1, EveryInterval: loses updates", "inplace", vm.EveryInterval, true),
		Entry("counter += 1, BackwardJumpsAndCalls: loses none, by luck of the placement", "inplace", vm.BackwardJumpsAndCalls, false),
	)
})
