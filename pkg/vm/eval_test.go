package vm_test

import (
	"errors"
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	. "github.com/onsi/gomega/gstruct"

	"github.com/racekit/racekit/pkg/vm"
)

// binaryText is op(a, b) = a <op> b for one BINARY_OP or COMPARE_OP.
func binaryText(instr, op string) string {
	return fmt.Sprintf("func op(a, b)\n    LOAD_FAST a\n    LOAD_FAST b\n    %s %s\n    RETURN_VALUE\nend\n", instr, op)
}

var _ = Describe("Thread.Call", func() {
	var interp *vm.Interpreter
	BeforeEach(func() { interp = debugInterp() })

	DescribeTable("BINARY_OP computes as Python does, flooring // and % towards minus infinity",
		func(a int, op string, b, want int) {
			Expect(callOnce(interp, binaryText("BINARY_OP", op), "op", a, b)).To(Equal(want),
				fmt.Sprintf("Python says %d %s %d == %d", a, op, b, want))
		},
		Entry(nil, 7, "+", -2, 5),
		Entry(nil, 7, "-", 10, -3),
		Entry(nil, -7, "*", 6, -42),
		Entry(nil, 7, "//", 2, 3),
		Entry(nil, -7, "//", 2, -4),
		Entry(nil, 7, "//", -2, -4),
		Entry(nil, -7, "//", -2, 3),
		Entry(nil, -6, "//", 3, -2),
		Entry(nil, 7, "%", 2, 1),
		Entry(nil, -7, "%", 2, 1),
		Entry(nil, 7, "%", -2, -1),
		Entry(nil, -7, "%", -2, -1),
		Entry(nil, -6, "%", 3, 0),
	)

	DescribeTable("COMPARE_OP compares ints and pushes True or False",
		func(a int, op string, b int, want bool) {
			Expect(callOnce(interp, binaryText("COMPARE_OP", op), "op", a, b)).To(Equal(want),
				fmt.Sprintf("%d %s %d is %v", a, op, b, want))
		},
		Entry(nil, 1, "<", 2, true), Entry(nil, 2, "<", 2, false),
		Entry(nil, 2, "<=", 2, true), Entry(nil, 3, "<=", 2, false),
		Entry(nil, 2, "==", 2, true), Entry(nil, 1, "==", 2, false),
		Entry(nil, 1, "!=", 2, true), Entry(nil, 2, "!=", 2, false),
		Entry(nil, 3, ">", 2, true), Entry(nil, 2, ">", 2, false),
		Entry(nil, 2, ">=", 2, true), Entry(nil, 1, ">=", 2, false),
	)

	DescribeTable("the conditional jumps follow Python's truth of a value",
		func(v any, truthy bool) {
			const text = `
func yes(x)
    LOAD_FAST x
    POP_JUMP_IF_TRUE yes
    LOAD_CONST False
    RETURN_VALUE
yes:
    LOAD_CONST True
    RETURN_VALUE
end
func no(x)
    LOAD_FAST x
    POP_JUMP_IF_FALSE no
    LOAD_CONST True
    RETURN_VALUE
no:
    LOAD_CONST False
    RETURN_VALUE
end
`
			prog := vm.MustAssemble("truth.asm", text)
			t := interp.NewThread("A")
			Expect(t.Call(prog, "yes", v)).To(Equal(truthy), fmt.Sprintf("POP_JUMP_IF_TRUE jumps exactly when bool(%#v) is True", v))
			Expect(t.Call(prog, "no", v)).To(Equal(truthy), fmt.Sprintf("POP_JUMP_IF_FALSE jumps exactly when bool(%#v) is False", v))
		},
		Entry("0 is false", 0, false),
		Entry("-3 is true", -3, true),
		Entry(`"" is false`, "", false),
		Entry(`"spam" is true`, "spam", true),
		Entry("None is false", nil, false),
		Entry("True is true", true, true),
		Entry("False is false", false, false),
		Entry("a device is true", vm.NewDevice("disk"), true),
	)

	When("a function returns", func() {
		It("gives back its value as a Go value: int, string, bool, nil or the very *vm.Device", func() {
			disk := vm.NewDevice("disk")
			const identity = "func id(x)\n    LOAD_FAST x\n    RETURN_VALUE\nend\n"
			for _, v := range []any{42, "spam", true, false, disk} {
				Expect(callOnce(interp, identity, "id", v)).To(BeIdenticalTo(v), fmt.Sprintf("id(%#v) returns its argument unchanged", v))
			}
			Expect(callOnce(interp, identity, "id", nil)).To(BeNil(), "id(None) returns nil")
			Expect(callOnce(interp, "func s()\n    LOAD_CONST \"tab\\tquote\\\"\"\n    RETURN_VALUE\nend\n", "s")).
				To(Equal("tab\tquote\""), "a string constant is a Go string literal, escapes and all")
		})
	})

	When("a function divides by zero", func() {
		It("fails with a RuntimeError naming the thread, the function, the line and the instruction", func() {
			prog := vm.MustAssemble("div.asm", "\nfunc div(a, b)\n    LOAD_FAST a\n    LOAD_FAST b\n    BINARY_OP //\n    RETURN_VALUE\nend\n")
			_, err := interp.NewThread("worker").Call(prog, "div", 1, 0)
			var rt *vm.RuntimeError
			Expect(errors.As(err, &rt)).To(BeTrue(), "a failure while running bytecode is a *vm.RuntimeError")
			Expect(*rt).To(MatchFields(IgnoreExtras, Fields{
				"Thread": Equal("worker"), "Func": Equal("div"), "Line": Equal(5), "Instr": Equal("BINARY_OP //"),
			}), "the error says where it happened")
			Expect(err).To(MatchError("vm: thread worker, div line 5 (BINARY_OP //): integer division or modulo by zero"),
				"the message reads like Python's ZeroDivisionError, with its place")
			_, err = interp.NewThread("worker").Call(vm.MustAssemble("mod.asm", binaryText("BINARY_OP", "%")), "op", 1, 0)
			Expect(err).To(MatchError(ContainSubstring("(BINARY_OP %): integer division or modulo by zero")), "% by zero fails the same way")
		})
	})

	When("an operand is not an int", func() {
		It("fails with a RuntimeError naming both types", func() {
			_, err := callOnce(interp, binaryText("BINARY_OP", "+"), "op", "spam", 1)
			Expect(err).To(MatchError("vm: thread A, op line 4 (BINARY_OP +): unsupported operand types: str and int"),
				"the VM does arithmetic on ints only, and says so as Python's TypeError would")
			_, err = callOnce(interp, binaryText("COMPARE_OP", "<"), "op", 1, nil)
			Expect(err).To(MatchError("vm: thread A, op line 4 (COMPARE_OP <): unsupported operand types: int and NoneType"),
				"comparisons too")
		})
	})

	When("it runs a loop with jumps", func() {
		It("counts down to 0 and runs every instruction it should", func() {
			t := interp.NewThread("A")
			Expect(t.Call(vm.MustAssemble("countdown.asm", countdownText), "countdown", 1000)).To(Equal(0), "countdown(1000) ends at 0")
			Expect(t.Instructions()).To(Equal(countdownInstructions(1000)), "nine instructions a turn, four for the last test, two to return")
		})
	})

	Describe("globals", func() {
		const text = `
func set(v)
    LOAD_FAST v
    STORE_GLOBAL total
    LOAD_CONST None
    RETURN_VALUE
end
func add(n)
    LOAD_GLOBAL total
    LOAD_FAST n
    BINARY_OP +
    STORE_GLOBAL total
    LOAD_GLOBAL total
    RETURN_VALUE
end
`
		It("are stored and loaded across calls and threads of one interpreter", func() {
			prog := vm.MustAssemble("total.asm", text)
			Expect(interp.NewThread("A").Call(prog, "set", 10)).To(BeNil(), "set returns None")
			Expect(interp.NewThread("B").Call(prog, "add", 5)).To(Equal(15), "B sees the total A stored")
			Expect(interp.Global("total")).To(HaveRefCount(1), "after the threads finished only the global binding holds the total")
			Expect(interp.Global("missing")).To(BeNil(), "Global of a name never bound is nil")
		})

		It("start from SetGlobal", func() {
			interp.SetGlobal("total", 100)
			Expect(callOnce(interp, text, "add", 1)).To(Equal(101), "LOAD_GLOBAL reads what SetGlobal bound")
		})

		It("are not shared between interpreters", func() {
			prog := vm.MustAssemble("total.asm", text)
			Expect(interp.NewThread("A").Call(prog, "set", 10)).To(BeNil(), "set returns None")
			other := vm.New(vm.Config{Name: "other", Checks: vm.Debug})
			_, err := other.NewThread("B").Call(prog, "add", 1)
			Expect(err).To(MatchError("vm: thread B, add line 9 (LOAD_GLOBAL total): name total is not defined in interpreter other"),
				"an unbound global is Python's NameError, naming the interpreter that lacks it")
		})
	})

	When("a local is read on a path that never stored it", func() {
		It("fails with a RuntimeError naming the local, in plain and in quickened code alike", func() {
			prog := vm.MustAssemble("unbound.asm", unboundText)
			Expect(interp.NewThread("A").Call(prog, "f", true)).To(Equal(1), "on the path that stores x, f returns it")
			_, err := interp.NewThread("A").Call(prog, "f", false)
			Expect(err).To(MatchError("vm: thread A, f line 8 (LOAD_FAST x): local variable x is read before anything was stored in it"),
				"the assembler cannot see every path, so the VM reports Python's UnboundLocalError")
			_, err = interp.NewThread("A").Call(prog, "g", false)
			Expect(err).To(MatchError("vm: thread A, g line 17 (LOAD_FAST x): local variable x is read before anything was stored in it"),
				"LOAD_FAST x fused with the LOAD_CONST after it fails the same way")
		})
	})

	When("it is called wrongly", func() {
		It("keeps a thread's own panic when the lock then refuses to be released", func() {
			// A lock that refuses every release, as a learner's broken GIL might.
			refusing := vm.New(vm.Config{Lock: &refusingLock{}})
			refusing.Define("boom", func(*vm.Thread, []*vm.Object) (*vm.Object, error) { panic("boom: the thread's own panic") })
			prog := vm.MustAssemble("boom.asm", "func f()\n    CALL_BUILTIN boom 0\n    RETURN_VALUE\nend\n")
			Expect(func() { refusing.NewThread("A").Call(prog, "f") }).To(PanicWith("boom: the thread's own panic"),
				"the panic that killed the thread is the one reported, not the lock's refusal while it unwinds")
		})

		It("refuses a wrong number of arguments", func() {
			_, err := callOnce(interp, binaryText("BINARY_OP", "+"), "op", 1)
			Expect(err).To(MatchError("vm: op(a, b) takes 2 arguments, got 1"), "the error shows the signature")
			_, err = callOnce(interp, countdownText, "countdown")
			Expect(err).To(MatchError("vm: countdown(n) takes 1 argument, got 0"), "one argument is singular")
		})

		It("refuses a function the program does not have, listing those it has", func() {
			_, err := interp.NewThread("A").Call(vm.MustAssemble("countdown.asm", countdownText), "countup", 3)
			Expect(err).To(MatchError("vm: program countdown.asm has no function countup (it has countdown)"), "a typo in a function name is named")
		})

		It("refuses an object of another interpreter", func() {
			other := vm.New(vm.Config{Name: "other"})
			foo := other.SetGlobal("foo", 1)
			_, err := interp.NewThread("A").Call(vm.MustAssemble("id.asm", "func id(x)\n    LOAD_FAST x\n    RETURN_VALUE\nend\n"), "id", foo)
			Expect(err).To(MatchError("vm: argument 1 of id, object foo, belongs to interpreter other; thread A runs in interpreter main, "+
				"and objects cannot cross interpreters: pass a plain value (an int or a string) instead"),
				"interpreters share nothing, as processes do")
			Expect(foo).To(HaveRefCount(1), "the refused object is not touched")
		})

		It("refuses an argument of a Go type that cannot be an object, before it runs anything", func() {
			_, err := callOnce(interp, "func id(x)\n    LOAD_FAST x\n    RETURN_VALUE\nend\n", "id", 1.5)
			Expect(err).To(MatchError("vm: argument 1 of id: a float64 cannot be an object of the interpreter; use an int, string, bool, nil or *vm.Device"),
				"a bad argument is an error for the caller, not a panic inside the interpreter")
		})

		It("accepts an object of its own interpreter, and gives its reference back", func() {
			foo := interp.SetGlobal("foo", 7)
			Expect(callOnce(interp, "func id(x)\n    LOAD_FAST x\n    RETURN_VALUE\nend\n", "id", foo)).To(Equal(7), "id(foo) returns foo's value")
			Expect(foo).To(HaveRefCount(1), "the call's reference to its argument is dropped when it returns")
		})
	})

	Describe("a thread", func() {
		It("counts the threads of its interpreter and reports its name", func() {
			before := interp.Threads()
			a, b := interp.NewThread("A"), interp.NewThread("B")
			Expect(interp.Threads()).To(Equal(before+2), "every NewThread is counted")
			Expect(a.Name()).To(Equal("A"), "a thread has the name it was created with")
			Expect(b.Interpreter()).To(BeIdenticalTo(interp), "a thread knows its interpreter")
			Expect((*vm.Thread)(nil).Name()).To(Equal("nobody"), "a nil thread names nobody, for messages about a free lock")
		})

		It("runs a call on its own goroutine with Start and gives the result to Join", func() {
			t := interp.NewThread("A")
			_, err := t.Join()
			Expect(err).To(MatchError("vm: Join of thread A, which was not started"), "Join before Start is an error, not a hang")
			t.Start(vm.MustAssemble("countdown.asm", countdownText), "countdown", 50)
			Expect(t.Join()).To(Equal(0), "Join returns the started call's result")
			Expect(t.Instructions()).To(Equal(countdownInstructions(50)), "after Join the instruction count can be read")
		})
	})

	Describe("an interpreter", func() {
		It("counts the instructions of every call of its threads once it has ended, and no other interpreter's", func() {
			countdown := vm.MustAssemble("countdown.asm", countdownText)
			in, other := vm.New(vm.Config{}), vm.New(vm.Config{})
			Expect(in.Instructions()).To(BeZero(), "a new interpreter has run nothing")
			a, b := in.NewThread("A"), in.NewThread("B")
			Expect(a.Call(countdown, "countdown", 10)).To(Equal(0))
			Expect(in.Instructions()).To(Equal(countdownInstructions(10)), "A's call has ended: its instructions count")
			b.Start(countdown, "countdown", 20)
			Expect(a.Call(countdown, "countdown", 30)).To(Equal(0))
			Expect(b.Join()).To(Equal(0))
			Expect(in.Instructions()).To(Equal(countdownInstructions(10)+countdownInstructions(20)+countdownInstructions(30)),
				"every call of every thread, whichever goroutine it ran on")
			Expect(other.Instructions()).To(BeZero(), "another interpreter's threads ran nothing")
		})

		It("counts a call that ended with an error, up to where it failed", func() {
			t := interp.NewThread("A")
			before := interp.Instructions()
			_, err := t.Call(vm.MustAssemble("op.asm", binaryText("BINARY_OP", "+")), "op", "x", 1)
			Expect(err).To(HaveOccurred())
			Expect(interp.Instructions()-before).To(Equal(t.Instructions()), "the instructions run before the error count")
			Expect(t.Instructions()).To(BeNumerically(">", 0))
		})
	})
})

// unboundText stores x on one path only, then reads it: f(False) and
// g(False) fail. In g the LOAD_FAST x is fused with the LOAD_CONST after it.
const unboundText = `
func f(flag)
    LOAD_FAST flag
    POP_JUMP_IF_FALSE skip
    LOAD_CONST 1
    STORE_FAST x
skip:
    LOAD_FAST x
    RETURN_VALUE
end
func g(flag)
    LOAD_FAST flag
    POP_JUMP_IF_FALSE skip
    LOAD_CONST 1
    STORE_FAST x
skip:
    LOAD_FAST x
    LOAD_CONST 1
    BINARY_OP +
    RETURN_VALUE
end
`
