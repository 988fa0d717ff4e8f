package vm

import (
	"fmt"
	"strconv"
	"strings"
)

// Dis lists the program's functions in the spirit of Python's dis module:
// for each instruction its source line, a ">>" where a jump lands, its
// index, its name, its argument and what the argument means.
//
//	func countdown(n):
//	  5 >>    0 LOAD_FAST                0 (n)
//	  6       1 LOAD_CONST               0 (0)
//	  7       2 COMPARE_OP               4 (>)
//	  8       3 POP_JUMP_IF_FALSE       10 (to done)
func Dis(p *Program) string {
	var b strings.Builder
	for i, f := range p.funcs {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "func %s(%s):\n", f.name, strings.Join(f.params, ", "))
		for pc, in := range f.code {
			marker := "  "
			if _, ok := f.labels[pc]; ok {
				marker = ">>"
			}
			arg, meaning := f.operand(&in)
			line := fmt.Sprintf("%3d %s %4d %-20s %4s %s", in.line, marker, pc, ops[in.op].name, arg, meaning)
			b.WriteString(strings.TrimRight(line, " ") + "\n")
		}
	}
	return b.String()
}

// operand returns an instruction's argument as Dis prints it and its
// meaning in parentheses.
func (f *Func) operand(in *instr) (arg, meaning string) {
	n := strconv.Itoa(int(in.arg))
	switch ops[in.op].operand {
	case constOperand:
		return n, "(" + constRepr(f.consts[in.arg]) + ")"
	case localOperand:
		return n, "(" + f.locals[in.arg] + ")"
	case globalOperand:
		return n, "(" + f.globals[in.arg] + ")"
	case binaryOperand:
		return n, "(" + binaryOps[in.arg] + ")"
	case compareOperand:
		return n, "(" + compareOps[in.arg] + ")"
	case labelOperand:
		return n, "(to " + f.labels[int(in.arg)] + ")"
	case builtinOperand:
		return strconv.Itoa(int(in.argc)), "(" + f.builtins[in.arg] + ")"
	}
	return "", ""
}

func constRepr(c any) string {
	switch c := c.(type) {
	case nil:
		return "None"
	case bool:
		if c {
			return "True"
		}
		return "False"
	case string:
		return strconv.Quote(c)
	}
	return fmt.Sprint(c)
}
