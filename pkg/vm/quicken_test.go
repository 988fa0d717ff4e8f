package vm_test

import (
	"errors"
	"fmt"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/vm"
)

// outcome is what one call did, in a form that does not depend on line
// numbers (plain programs have a NOP line before every instruction).
type outcome struct {
	Result   any
	Err      string // the RuntimeError's instruction and message, "" if none
	Instrs   int64  // Thread.Instructions after the call
	FooRefs  int    // the named global foo's reference count after the call
	FooValue any    // foo's value after the call
}

// runVariant calls fn of text on a fresh interpreter with the given checks,
// a named global foo holding 10 and the refcount builtin.
func runVariant(text string, checks vm.Checks, fn string, args ...any) outcome {
	interp := vm.New(vm.Config{Checks: checks})
	interp.Define("refcount", refcountBuiltin)
	foo := interp.SetGlobal("foo", 10)
	t := interp.NewThread("A")
	res, err := t.Call(vm.MustAssemble(fn+".asm", text), fn, args...)
	o := outcome{Result: res, Instrs: t.Instructions(), FooRefs: foo.RefCount()}
	if err != nil {
		var rt *vm.RuntimeError
		Expect(errors.As(err, &rt)).To(BeTrue(), "a failed call gives a *vm.RuntimeError, not "+err.Error())
		o.Err = rt.Instr + ": " + rt.Err.Error()
	}
	o.FooValue, err = interp.NewThread("check").Call(vm.MustAssemble("foo.asm", "func foo()\n    LOAD_GLOBAL foo\n    RETURN_VALUE\nend\n"), "foo")
	Expect(err).NotTo(HaveOccurred(), "foo can be read back")
	return o
}

// compareChain returns cmp(a, b): a bitmask of which of the six
// comparisons hold, each tested with COMPARE_OP and a conditional jump,
// which the VM fuses into one superinstruction.
func compareChain() string {
	var b strings.Builder
	b.WriteString("func cmp(a, b)\n    LOAD_CONST 0\n    STORE_FAST m\n")
	for i, op := range []string{"<", "<=", "==", "!=", ">", ">="} {
		// Half the tests jump when the comparison fails, half when it holds.
		if i%2 == 0 {
			fmt.Fprintf(&b, "    LOAD_FAST a\n    LOAD_FAST b\n    COMPARE_OP %s\n    POP_JUMP_IF_FALSE skip%d\n", op, i)
			fmt.Fprintf(&b, "    LOAD_FAST m\n    LOAD_CONST %d\n    BINARY_OP +\n    STORE_FAST m\nskip%d:\n", 1<<i, i)
		} else {
			fmt.Fprintf(&b, "    LOAD_FAST a\n    LOAD_FAST b\n    COMPARE_OP %s\n    POP_JUMP_IF_TRUE add%d\n    JUMP skip%d\n", op, i, i)
			fmt.Fprintf(&b, "add%d:\n    LOAD_FAST m\n    LOAD_CONST %d\n    BINARY_OP +\n    STORE_FAST m\nskip%d:\n", i, 1<<i, i)
		}
	}
	b.WriteString("    LOAD_FAST m\n    RETURN_VALUE\nend\n")
	return b.String()
}

var _ = Describe("quickened code", func() {
	DescribeTable("gives the results, reference counts and instruction counts of the plain instructions",
		func(text, fn string, args []any, want any, wantErr string) {
			quick := runVariant(text, vm.Debug, fn, args...)
			fast := runVariant(text, 0, fn, args...) // no checks: x = x op c may update in place
			slow := runVariant(plain(text), vm.Debug, fn, args...)
			if wantErr == "" {
				Expect(quick.Result).To(Equal(want), "the quickened program computes the right value")
			} else {
				Expect(quick.Err).To(Equal(wantErr), "the quickened program fails at the right instruction, for the right reason")
			}
			Expect(fast).To(Equal(quick), "without debug checks (where x = x op c may update x's int in place) everything is the same")
			Expect(slow.Instrs).To(Equal(2*quick.Instrs), "the plain program runs each instruction and a NOP before it, so a superinstruction counts as the instructions it stands for")
			slow.Instrs = quick.Instrs
			Expect(slow).To(Equal(quick), "the plain program, where nothing is fused, gives the same result, error and reference counts")
			Expect(quick.FooRefs).To(Equal(1), "after the call only foo's global refers to it")
			Expect(quick.FooValue).To(Equal(10), "no instruction changed foo's value")
		},
		Entry("countdown: LOAD_FAST+LOAD_CONST, COMPARE_OP+POP_JUMP_IF_FALSE and n = n - 1 in place",
			countdownText, "countdown", []any{500}, 0, ""),
		Entry("x = x + 1 where x holds the named object foo (its int must not change)", `
func bump()
    LOAD_GLOBAL foo
    STORE_FAST x
    LOAD_FAST x
    LOAD_CONST 1
    BINARY_OP +
    STORE_FAST x
    LOAD_GLOBAL foo
    LOAD_FAST x
    BINARY_OP *
    RETURN_VALUE
end
`, "bump", nil, 110, ""),
		Entry("n = n - 5 where another local shares n's int (refcount 2)", `
func shared(n)
    LOAD_FAST n
    STORE_FAST y
    LOAD_FAST n
    LOAD_CONST 5
    BINARY_OP -
    STORE_FAST n
    LOAD_FAST y
    LOAD_CONST 1000
    BINARY_OP *
    LOAD_FAST n
    BINARY_OP +
    RETURN_VALUE
end
`, "shared", []any{7}, 7002, ""),
		Entry("n = n * 3 where a global shares n's int", `
func global(n)
    LOAD_FAST n
    STORE_GLOBAL g
    LOAD_FAST n
    LOAD_CONST 3
    BINARY_OP *
    STORE_FAST n
    LOAD_GLOBAL g
    LOAD_FAST n
    BINARY_OP -
    RETURN_VALUE
end
`, "global", []any{4}, -8, ""),
		Entry("x = x + 1 where x holds a constant, twice (the constant must stay 5)", `
func consts()
    LOAD_CONST 0
    STORE_FAST acc
    LOAD_CONST 2
    STORE_FAST i
loop:
    LOAD_FAST i
    POP_JUMP_IF_FALSE done
    LOAD_CONST 5
    STORE_FAST x
    LOAD_FAST x
    LOAD_CONST 1
    BINARY_OP +
    STORE_FAST x
    LOAD_FAST acc
    LOAD_FAST x
    BINARY_OP +
    STORE_FAST acc
    LOAD_FAST i
    LOAD_CONST 1
    BINARY_OP -
    STORE_FAST i
    JUMP loop
done:
    LOAD_FAST acc
    RETURN_VALUE
end
`, "consts", nil, 12, ""),
		Entry("x = x // 4 and x = x % 3 (not done in place), floored", `
func floor(x)
    LOAD_FAST x
    LOAD_CONST 4
    BINARY_OP //
    STORE_FAST x
    LOAD_FAST x
    LOAD_CONST 3
    BINARY_OP %
    STORE_FAST x
    LOAD_FAST x
    RETURN_VALUE
end
`, "floor", []any{-7}, 1, ""),
		Entry("the reference count of foo seen by a builtin after x = x + 1 moved x off foo", `
func counts()
    LOAD_GLOBAL foo
    STORE_FAST x
    LOAD_FAST x
    LOAD_CONST 1
    BINARY_OP +
    STORE_FAST x
    LOAD_GLOBAL foo
    CALL_BUILTIN refcount 1
    RETURN_VALUE
end
`, "counts", nil, 2, ""),
		Entry("a jump to the second instruction of a pair (taken)", labelInPair, "pair", []any{0}, 101, ""),
		Entry("a jump to the second instruction of a pair (not taken)", labelInPair, "pair", []any{5}, 6, ""),
		Entry("a jump to the middle of x = x + 1 (taken)", labelInInplace, "inplace", []any{0}, 1001, ""),
		Entry("a jump to the middle of x = x + 1 (not taken)", labelInInplace, "inplace", []any{5}, 6, ""),
		Entry("COMPARE_OP with POP_JUMP_IF_FALSE and POP_JUMP_IF_TRUE, a < b", compareChain(), "cmp", []any{1, 2}, 0b001011, ""),
		Entry("COMPARE_OP with POP_JUMP_IF_FALSE and POP_JUMP_IF_TRUE, a == b", compareChain(), "cmp", []any{2, 2}, 0b100110, ""),
		Entry("COMPARE_OP with POP_JUMP_IF_FALSE and POP_JUMP_IF_TRUE, a > b", compareChain(), "cmp", []any{3, 2}, 0b111000, ""),
		Entry("a fused COMPARE_OP on a str fails as the plain one does", compareChain(), "cmp", []any{"spam", 2}, nil,
			"COMPARE_OP <: unsupported operand types: str and int"),
		Entry("a fused LOAD_FAST of an unbound local fails as the plain one does", unboundText, "g", []any{false}, nil,
			"LOAD_FAST x: local variable x is read before anything was stored in it"),
		Entry("x = x // 0 fails as the plain instructions do", `
func div(x)
    LOAD_FAST x
    LOAD_CONST 0
    BINARY_OP //
    STORE_FAST x
    LOAD_FAST x
    RETURN_VALUE
end
`, "div", []any{1}, nil, "BINARY_OP //: integer division or modulo by zero"),
	)
})

// labelInPair jumps, with one value pushed, to the LOAD_CONST of a
// LOAD_FAST/LOAD_CONST pair: pair(0) is 100 + 1, pair(n) is n + 1.
const labelInPair = `
func pair(n)
    LOAD_FAST n
    POP_JUMP_IF_TRUE other
    LOAD_CONST 100
    JUMP mid
other:
    LOAD_FAST n
mid:
    LOAD_CONST 1
    BINARY_OP +
    RETURN_VALUE
end
`

// labelInInplace jumps into the middle of x = x + 1: inplace(0) stores
// 1000 + 1 into x, inplace(n) is n + 1.
const labelInInplace = `
func inplace(x)
    LOAD_FAST x
    POP_JUMP_IF_TRUE other
    LOAD_CONST 1000
    LOAD_CONST 1
    JUMP add
other:
    LOAD_FAST x
    LOAD_CONST 1
add:
    BINARY_OP +
    STORE_FAST x
    LOAD_FAST x
    RETURN_VALUE
end
`
