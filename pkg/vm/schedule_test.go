package vm_test

import (
	"fmt"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/interleave"
	"github.com/racekit/racekit/pkg/interleave/interleavetest"
	"github.com/racekit/racekit/pkg/vm"
)

// fooSchedule is the seeds' foo trace as a schedule: A takes its
// reference, B takes its reference, then both drop theirs step by step.
const fooSchedule = "A*3 B*3 A B A B"

// vmFooTrace is the foo trace on the VM: threads named by names, each
// running use() (LOAD_GLOBAL foo; POP_TOP) in an interpreter made by cfg;
// after the run foo must be back to its one reference and alive. The
// *vm.Object of the last run is stored in *foo.
func vmFooTrace(cfg vm.Config, foo **vm.Object, names ...string) interleave.Scenario {
	prog := vm.MustAssemble("use.asm", useFooText)
	return interleave.Scenario{
		Name: fmt.Sprintf("the foo trace on the VM: %s each run LOAD_GLOBAL foo; POP_TOP", strings.Join(names, ", ")),
		Setup: func(r *interleave.Run) {
			interp := vm.New(cfg)
			o := interp.SetGlobal("foo", "spam")
			*foo = o
			for _, name := range names {
				t := interp.NewThread(name)
				r.Go(name, func() {
					if _, err := t.Call(prog, "use"); err != nil {
						panic(err)
					}
				})
			}
			r.Finally(func() error {
				if o.Freed() {
					return fmt.Errorf("foo was freed while the global foo still refers to it")
				}
				if n := o.RefCount(); n != 1 {
					return fmt.Errorf("refcount is %d, but only the global foo still holds it (want 1): foo leaks", n)
				}
				return nil
			})
		},
	}
}

var _ = Describe("VM threads under the controlled scheduler", func() {
	var foo *vm.Object

	When("the lock does nothing", func() {
		It("replays the seeds' foo trace, instruction by instruction, and leaks foo", func() {
			res, err := interleave.Replay(fooSchedule, vmFooTrace(vm.Config{Lock: openLock{}, Checks: vm.CheckFreed}, &foo, "A", "B"))
			Expect(err).NotTo(HaveOccurred(), "the schedule text is well formed")
			Expect(res.Trace.Lines()).To(Equal([]string{
				"  1. A  LOAD_GLOBAL foo  reads foo.refcount -> 1, writes 2",
				"  2. B  LOAD_GLOBAL foo  reads foo.refcount -> 2, writes 3",
				"  3. A  POP_TOP          reads foo.refcount -> 3",
				"  4. B  POP_TOP          reads foo.refcount -> 3",
				"  5. A  POP_TOP          writes 2",
				"  6. B  POP_TOP          writes 2",
			}), "every incref and decref of a named object is a step, labelled with the instruction that made it")
			Expect(foo).To(HaveRefCount(2), "B's decrement overwrote A's: foo leaks one reference")
			Expect(res).NotTo(interleavetest.Pass(), "the scenario's check sees the leak")
			Expect(res.Failure.Message).To(Equal("refcount is 2, but only the global foo still holds it (want 1): foo leaks"), "the check says what broke")
		})

		DescribeTable("a debug check catches what the lock lets through",
			func(checks vm.Checks, schedule string, threads []string, step, culprit, message string) {
				res, err := interleave.Replay(schedule, vmFooTrace(vm.Config{Lock: openLock{}, Checks: checks}, &foo, threads...))
				Expect(err).NotTo(HaveOccurred(), "the schedule text is well formed")
				Expect(res.Failure).NotTo(BeNil(), "the run must fail")
				Expect(res.Trace.String()).To(ContainSubstring(step), "the trace shows the step that led there")
				Expect(res.Failure.Kind).To(Equal(interleave.Panicked), "the check panics")
				Expect(res.Failure.Message).To(HavePrefix(culprit+" panicked"), "the thread caught is named")
				Expect(res.Failure.Message).To(HaveSuffix(message), "the panic says what went wrong")
			},
			Entry("with vm.CheckGIL, A touching foo after B took the lock",
				vm.CheckGIL, "A B A A", []string{"A", "B"}, "A  LOAD_GLOBAL foo  reads foo.refcount -> 1, writes 2",
				"A", "vm: object foo touched by thread A without holding the GIL (thread B holds it)"),
			Entry("with vm.CheckFreed, C loading foo after a lost increment let A free it",
				vm.CheckFreed, "A*2 B*2 A B", []string{"A", "B", "C"}, "A  POP_TOP          frees foo",
				"C", "vm: foo used after it was freed"),
			Entry("with vm.CheckFreed, B and C both taking foo's count to zero after two lost increments",
				vm.CheckFreed, "A B C A B C A B C A*2 B C B*2 C", []string{"A", "B", "C"}, "B  POP_TOP          frees foo",
				"C", "vm: foo freed twice: two threads each dropped its last reference"),
		)
	})

	When("the interpreter has its default lock", func() {
		It("never loses a reference, in any schedule the exploration tries", func() {
			rep := interleave.Explore(vmFooTrace(vm.Config{Checks: vm.Debug}, &foo, "A", "B"))
			Expect(rep).To(interleavetest.Pass(), "the GIL makes each incref and decref whole")
			Expect(rep.Schedules).To(BeNumerically(">", 1), "the exploration tried more than one schedule")
			AddReportEntry("default lock, foo trace", rep.Coverage())
		})

		It("hands the lock to the waiting thread at each eval-breaker check", func() {
			res, err := interleave.Replay("A B", churning())
			Expect(err).NotTo(HaveOccurred(), "the schedule text is well formed")
			Expect(res).To(interleavetest.Pass(), "two threads churning under the GIL leave foo's count whole")
			var steps []string
			for _, l := range res.Trace.Lines() {
				if !strings.Contains(l, "blocks in chan send") {
					steps = append(steps, strings.TrimSpace(l[strings.Index(l, ".")+1:]))
				}
			}
			Expect(steps).To(Equal([]string{
				"A  LOAD_GLOBAL foo  reads foo.refcount -> 1, writes 2",
				"A  POP_TOP          reads foo.refcount -> 2, writes 1",
				"A  LOAD_FAST n      drops the GIL",
				"B  LOAD_GLOBAL foo  reads foo.refcount -> 1, writes 2",
				"B  POP_TOP          reads foo.refcount -> 2, writes 1",
				"B  LOAD_FAST n      drops the GIL",
				"A  LOAD_GLOBAL foo  reads foo.refcount -> 1, writes 2",
				"A  POP_TOP          reads foo.refcount -> 2, writes 1",
				"A  BINARY_OP -      drops the GIL",
				"B  LOAD_GLOBAL foo  reads foo.refcount -> 1, writes 2",
				"B  POP_TOP          reads foo.refcount -> 2, writes 1",
				"B  BINARY_OP -      drops the GIL",
			}), "B waits for the lock from its start; every 3 instructions the holder drops it and the waiter runs: a ping-pong")
		})

		It("keeps every count whole when the breaker's drops are interleaved every way the exploration tries", func() {
			rep := interleave.Explore(churning(), interleave.Options{MaxPreemptions: 2})
			Expect(rep).To(interleavetest.Pass(), "dropping and re-taking the GIL between instructions keeps every count whole")
			AddReportEntry("default lock, eval breaker", rep.Coverage())
		})
	})
})

// churnText loads and drops foo n times, in a loop of eight instructions.
const churnText = `
func churn(n)
loop:
    LOAD_GLOBAL foo
    POP_TOP
    LOAD_FAST n
    LOAD_CONST 1
    BINARY_OP -
    STORE_FAST n
    LOAD_FAST n
    POP_JUMP_IF_TRUE loop
    LOAD_CONST None
    RETURN_VALUE
end
`

// churning is two threads running churn(2) on one interpreter with its
// default lock and an eval-breaker check every 3 instructions; after the
// run foo must have its one reference.
func churning() interleave.Scenario {
	prog := vm.MustAssemble("churn.asm", churnText)
	return interleave.Scenario{
		Name: "two threads load foo in a loop, with a check every 3 instructions",
		Setup: func(r *interleave.Run) {
			interp := vm.New(vm.Config{CheckInterval: 3, Checks: vm.Debug})
			o := interp.SetGlobal("foo", "spam")
			for _, name := range []string{"A", "B"} {
				t := interp.NewThread(name)
				r.Go(name, func() {
					if _, err := t.Call(prog, "churn", 2); err != nil {
						panic(err)
					}
				})
			}
			r.Finally(func() error {
				if n := o.RefCount(); n != 1 {
					return fmt.Errorf("refcount is %d, want 1", n)
				}
				return nil
			})
		},
	}
}
