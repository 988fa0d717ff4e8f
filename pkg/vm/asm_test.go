package vm_test

import (
	"errors"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/vm"
)

var _ = Describe("Assemble", func() {
	When("the text is a good program", func() {
		It("assembles the seeds' countdown into one function that runs", func() {
			prog, err := vm.Assemble("countdown.asm", countdownText)
			Expect(err).NotTo(HaveOccurred(), "countdown is a correct program")
			Expect(prog.Name()).To(Equal("countdown.asm"), "a program keeps the name it was assembled under")
			Expect(prog.Funcs()).To(HaveLen(1), "countdown.asm holds one function")
			Expect(prog.Func("countdown").Name()).To(Equal("countdown"), "Func finds a function by name")
			Expect(prog.Func("countdown").Params()).To(Equal([]string{"n"}), "countdown takes n")
			Expect(prog.Func("nothing")).To(BeNil(), "Func returns nil for a function the program lacks")
			Expect(vm.New(vm.Config{Checks: vm.Debug}).NewThread("A").Call(prog, "countdown", 10)).
				To(Equal(0), "countdown(10) counts n down to 0 and returns it")
		})

		It("takes labels alone or before an instruction, comments, string constants with # inside, and several functions", func() {
			prog, err := vm.Assemble("greet.asm", `
func greet(who)  # a comment after the header
    LOAD_CONST "hello, # not a comment"
    LOAD_FAST who
    CALL_BUILTIN print 2
    POP_TOP
    LOAD_CONST True
    POP_JUMP_IF_TRUE out
    NOP
out: LOAD_CONST None   # a label before an instruction
    RETURN_VALUE
end

func twice(x)
    LOAD_FAST x
    LOAD_CONST 2
    BINARY_OP *
    RETURN_VALUE
end
`)
			Expect(err).NotTo(HaveOccurred(), "the program is correct")
			Expect(prog.Funcs()).To(HaveLen(2), "both functions are assembled, in order")
			Expect(prog.Funcs()[1].Name()).To(Equal("twice"), "functions keep the order they were written in")
			var out strings.Builder
			interp := vm.New(vm.Config{Checks: vm.Debug, Stdout: &out})
			t := interp.NewThread("A")
			Expect(t.Call(prog, "greet", "world")).To(BeNil(), "greet returns None")
			Expect(out.String()).To(Equal("hello, # not a comment world\n"),
				"a # inside a quoted string is part of the string, and CALL_BUILTIN print 2 prints both arguments")
			Expect(t.Call(prog, "twice", 21)).To(Equal(42), "the second function of a program can be called too")
		})

		It("accepts instruction names in any case and integers with underscores", func() {
			prog, err := vm.Assemble("case.asm", "func f()\n  load_const 5_000_000\n  return_value\nend\n")
			Expect(err).NotTo(HaveOccurred(), "instruction names are not case-sensitive; 5_000_000 is an integer as in Python")
			Expect(vm.New(vm.Config{}).NewThread("A").Call(prog, "f")).To(Equal(5000000), "5_000_000 is five million")
		})
	})

	DescribeTable("a mistake is reported as vm: <name>:<line>: <what was expected>",
		func(text, want string) {
			prog, err := vm.Assemble("bad.asm", text)
			Expect(prog).To(BeNil(), "a program with a mistake is not returned")
			Expect(err).To(HaveOccurred(), "the mistake must be reported")
			Expect(err.Error()).To(Equal(want), "exactly one error, naming the file, the line and what was expected")
			var asmErr *vm.AsmError
			Expect(errors.As(err, &asmErr)).To(BeTrue(), "the error is an *vm.AsmError")
			Expect(asmErr.Program).To(Equal("bad.asm"), "AsmError.Program is the name given to Assemble")
		},
		Entry("an unknown instruction, listing the valid ones",
			"func f()\n  LOAD_CONSTANT 1\n  LOAD_CONST None\n  RETURN_VALUE\nend",
			`vm: bad.asm:2: unknown instruction "LOAD_CONSTANT"; the instructions are NOP, LOAD_CONST, LOAD_FAST, STORE_FAST, `+
				`LOAD_GLOBAL, STORE_GLOBAL, BINARY_OP, COMPARE_OP, POP_JUMP_IF_FALSE, POP_JUMP_IF_TRUE, JUMP, CALL_BUILTIN, POP_TOP, RETURN_VALUE`),
		Entry("a missing variable name",
			"func f()\n  LOAD_FAST\n  RETURN_VALUE\nend",
			"vm: bad.asm:2: LOAD_FAST needs a variable name"),
		Entry("a missing constant",
			"func f()\n  LOAD_CONST\n  RETURN_VALUE\nend",
			`vm: bad.asm:2: LOAD_CONST needs a constant: an integer, a "quoted string", None, True or False`),
		Entry("a missing label",
			"func f()\nloop:\n  NOP\n  JUMP\nend",
			"vm: bad.asm:4: JUMP needs a label to jump to"),
		Entry("a missing operator",
			"func f()\n  LOAD_CONST 1\n  LOAD_CONST 2\n  BINARY_OP\n  RETURN_VALUE\nend",
			"vm: bad.asm:4: BINARY_OP needs an operator, one of + - * // %"),
		Entry("a CALL_BUILTIN without its argument count",
			"func f()\n  CALL_BUILTIN print\n  RETURN_VALUE\nend",
			`vm: bad.asm:2: CALL_BUILTIN needs a builtin's name and how many arguments it takes (CALL_BUILTIN print 1), got "print"`),
		Entry("an operand where none is taken",
			"func f()\n  LOAD_CONST 1\n  RETURN_VALUE now\nend",
			`vm: bad.asm:3: RETURN_VALUE takes no operand, got "now"`),
		Entry("two variable names",
			"func f(a, b)\n  LOAD_FAST a b\n  RETURN_VALUE\nend",
			`vm: bad.asm:2: LOAD_FAST needs one variable name (letters, digits and _), got "a b"`),
		Entry("two labels",
			"func f()\nloop:\n  NOP\n  JUMP loop loop\nend",
			`vm: bad.asm:4: JUMP needs one label, got "loop loop"`),
		Entry("a float constant",
			"func f()\n  LOAD_CONST 1.5\n  RETURN_VALUE\nend",
			`vm: bad.asm:2: LOAD_CONST 1.5: want an integer, a "quoted string", None, True or False`),
		Entry("an unterminated string constant",
			"func f()\n  LOAD_CONST \"spam\n  RETURN_VALUE\nend",
			`vm: bad.asm:2: LOAD_CONST "spam: a string constant must be one "double-quoted" Go string`),
		Entry("an operator BINARY_OP does not know",
			"func f()\n  LOAD_CONST 1\n  LOAD_CONST 2\n  BINARY_OP ^\n  RETURN_VALUE\nend",
			`vm: bad.asm:4: BINARY_OP needs an operator, one of + - * // %; got "^"`),
		Entry("an operator COMPARE_OP does not know",
			"func f()\n  LOAD_CONST 1\n  LOAD_CONST 2\n  COMPARE_OP =\n  RETURN_VALUE\nend",
			`vm: bad.asm:4: COMPARE_OP needs an operator, one of < <= == != > >=; got "="`),
		Entry("an argument count that is not a number",
			"func f()\n  CALL_BUILTIN print x\n  RETURN_VALUE\nend",
			`vm: bad.asm:2: CALL_BUILTIN print: the argument count must be a number 0 or more, got "x"`),
		Entry("a jump to a label that does not exist",
			"func f()\n  LOAD_CONST None\n  JUMP nowhere\nend",
			"vm: bad.asm:3: JUMP nowhere: no label nowhere in func f"),
		Entry("a jump to a label after the last instruction",
			"func f(n)\n  LOAD_FAST n\n  POP_JUMP_IF_FALSE out\n  LOAD_CONST 1\n  RETURN_VALUE\nout:\nend",
			"vm: bad.asm:3: POP_JUMP_IF_FALSE out: label out is at the end of func f, after its last instruction"),
		Entry("a label defined twice",
			"func f()\nloop:\n  NOP\nloop:\n  JUMP loop\nend",
			"vm: bad.asm:4: label loop is already defined on line 2"),
		Entry("a label that is not a word",
			"func f()\n9lives: LOAD_CONST None\n  RETURN_VALUE\nend",
			`vm: bad.asm:2: label "9lives" must be a word of letters, digits and _`),
		Entry("a func without its end",
			"func f()\n  LOAD_CONST None\n  RETURN_VALUE\n",
			"vm: bad.asm:1: func f has no end: close it with a line that says end"),
		Entry("an end without a func",
			"func f()\n  LOAD_CONST None\n  RETURN_VALUE\nend\nend",
			`vm: bad.asm:5: end without a func: functions start with "func name(params)"`),
		Entry("a func inside a func",
			"func f()\nfunc g()\n  LOAD_CONST None\n  RETURN_VALUE\nend",
			"vm: bad.asm:2: func inside func f: close f with end first"),
		Entry("a func header without parentheses",
			"func f\n  LOAD_CONST None\n  RETURN_VALUE\nend",
			`vm: bad.asm:1: want "func name(param, ...)", got "func f"`),
		Entry("an instruction outside any func",
			"LOAD_CONST 1\nfunc f()\n  LOAD_CONST None\n  RETURN_VALUE\nend",
			`vm: bad.asm:1: "LOAD_CONST 1" is outside a function: put instructions between "func name(params)" and "end"`),
		Entry("a LOAD_FAST of a local that is never stored",
			"func f(n)\n  LOAD_FAST n\n  POP_TOP\n  LOAD_FAST x\n  RETURN_VALUE\nend",
			"vm: bad.asm:4: LOAD_FAST x: x is not a parameter of f and nothing stores it"),
		Entry("a pop from an empty stack",
			"func f()\n  POP_TOP\n  LOAD_CONST None\n  RETURN_VALUE\nend",
			"vm: bad.asm:2: POP_TOP needs 1 value on the stack, but there are only 0 here"),
		Entry("a binary operation with one operand",
			"func f()\n  LOAD_CONST 1\n  BINARY_OP +\n  RETURN_VALUE\nend",
			"vm: bad.asm:3: BINARY_OP + needs 2 values on the stack, but there is only 1 here"),
		Entry("a path that runs off the end",
			"func f(n)\n  LOAD_FAST n\n  POP_JUMP_IF_FALSE out\n  LOAD_CONST 1\n  RETURN_VALUE\nout:\n  NOP\nend",
			"vm: bad.asm:7: func f can run past its last instruction (NOP): end every path with RETURN_VALUE or JUMP"),
		Entry("paths that meet with different stack depths",
			"func f(n)\n  LOAD_CONST 1\n  LOAD_FAST n\n  POP_JUMP_IF_TRUE out\n  LOAD_CONST 2\nout:\n  RETURN_VALUE\nend",
			"vm: bad.asm:7: RETURN_VALUE is reached with 2 values on the stack on one path and 1 on another"),
		Entry("a function defined twice",
			"func f()\n  LOAD_CONST None\n  RETURN_VALUE\nend\nfunc f()\n  LOAD_CONST None\n  RETURN_VALUE\nend",
			"vm: bad.asm:5: func f is defined twice"),
		Entry("a parameter listed twice",
			"func f(a, a)\n  LOAD_FAST a\n  RETURN_VALUE\nend",
			"vm: bad.asm:1: parameter a is listed twice"),
		Entry("a function with no instructions",
			"func f()\nend",
			"vm: bad.asm:2: func f has no instructions: it needs at least RETURN_VALUE"),
		Entry("an empty program",
			"# nothing but a comment\n\n",
			`vm: bad.asm:1: no functions: a program is one or more "func name(params)" ... "end" blocks`),
	)

	When("a program has several mistakes", func() {
		It("reports all of them, one a line, sorted by line", func() {
			_, err := vm.Assemble("many.asm", `
func f(n)
    JUMP nowhere
    LOAD_FAST n
    BINARY_OP ^
    RETURN_VALUE
end
LOAD_CONST 1
func g()
    LOAD_CONST 1.5
    RETURN_VALUE
end
end
`)
			Expect(err).To(HaveOccurred(), "the program has five mistakes")
			Expect(strings.Split(err.Error(), "\n")).To(Equal([]string{
				"vm: many.asm:3: JUMP nowhere: no label nowhere in func f",
				`vm: many.asm:5: BINARY_OP needs an operator, one of + - * // %; got "^"`,
				`vm: many.asm:8: "LOAD_CONST 1" is outside a function: put instructions between "func name(params)" and "end"`,
				`vm: many.asm:10: LOAD_CONST 1.5: want an integer, a "quoted string", None, True or False`,
				`vm: many.asm:13: end without a func: functions start with "func name(params)"`,
			}), "every mistake is reported, in the order of the lines, even those found only at the func's end (the label)")
		})

		It("does not add stack errors that only follow from an instruction it could not read", func() {
			_, err := vm.Assemble("typo.asm", "func f()\n    LOAD_CONSTT 1\n    RETURN_VALUE\nend\n")
			Expect(err).To(MatchError(HavePrefix(`vm: typo.asm:2: unknown instruction "LOAD_CONSTT"`)), "the typo is reported")
			Expect(strings.Split(err.Error(), "\n")).To(HaveLen(1),
				"RETURN_VALUE would pop an empty stack only because the line before was dropped: reporting it too sends the reader after a mistake they did not make")
		})
	})

	When("MustAssemble gets a bad program", func() {
		It("panics with the assembler's error", func() {
			Expect(func() { vm.MustAssemble("bad.asm", "func f()\nend") }).To(
				PanicWith(MatchError("vm: bad.asm:2: func f has no instructions: it needs at least RETURN_VALUE")),
				"MustAssemble is for programs in Go source, where a mistake is a bug")
		})
	})
})

var _ = Describe("Dis", func() {
	It("lists countdown with lines, >> on jump targets, indices, arguments and their meaning", func() {
		Expect(vm.Dis(vm.MustAssemble("countdown.asm", countdownText))).To(Equal(
			`func countdown(n):
  6 >>    0 LOAD_FAST               0 (n)
  7       1 LOAD_CONST              0 (0)
  8       2 COMPARE_OP              4 (>)
  9       3 POP_JUMP_IF_FALSE       9 (to done)
 10       4 LOAD_FAST               0 (n)
 11       5 LOAD_CONST              1 (1)
 12       6 BINARY_OP               1 (-)
 13       7 STORE_FAST              0 (n)
 14       8 JUMP                    0 (to loop)
 16 >>    9 LOAD_FAST               0 (n)
 17      10 RETURN_VALUE
`), "the listing shows the plain instructions as written, not the quickened ones")
	})

	It("separates functions by a blank line and shows string constants quoted and builtins with their argument count", func() {
		Expect(vm.Dis(vm.MustAssemble("two.asm", `
func hello()
    LOAD_CONST "hi"
    CALL_BUILTIN print 1
    RETURN_VALUE
end
func none()
    LOAD_CONST None
    RETURN_VALUE
end
`))).To(Equal(`func hello():
  3       0 LOAD_CONST              0 ("hi")
  4       1 CALL_BUILTIN            1 (print)
  5       2 RETURN_VALUE

func none():
  8       0 LOAD_CONST              0 (None)
  9       1 RETURN_VALUE
`), "a listing per function, like Python's dis of a module")
	})
})
