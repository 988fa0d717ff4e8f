package vm

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// opcode is an instruction's operation.
type opcode uint8

const (
	opNop opcode = iota
	opLoadConst
	opLoadFast
	opStoreFast
	opLoadGlobal
	opStoreGlobal
	opBinaryOp
	opCompareOp
	opPopJumpIfFalse
	opPopJumpIfTrue
	opJump
	opCallBuiltin
	opPopTop
	opReturnValue

	// Superinstructions, as CPython 3.11 quickens code: each does the work
	// of its instruction and the next one, which stays in place (so a jump
	// to it still works) and is skipped.
	opLoadFastLoadConst // LOAD_FAST x; LOAD_CONST c
	opCompareJumpFalse  // COMPARE_OP op; POP_JUMP_IF_FALSE l
	opCompareJumpTrue   // COMPARE_OP op; POP_JUMP_IF_TRUE l
	// LOAD_FAST x; LOAD_CONST c; BINARY_OP op; STORE_FAST x, that is
	// x = x op c: when x holds the only reference to an int, the result
	// takes its place in the same object, as CPython 3.12's
	// BINARY_OP_INPLACE_ADD_UNICODE does for strings.
	opInplaceConst
)

// opInfo describes an opcode for the assembler and Dis.
type opInfo struct {
	name    string
	operand operandKind
	pops    int // values it takes off the stack (CALL_BUILTIN: its argument count)
	pushes  int // values it puts on the stack
}

type operandKind uint8

const (
	noOperand operandKind = iota
	constOperand
	localOperand
	globalOperand
	binaryOperand
	compareOperand
	labelOperand
	builtinOperand
)

var ops = [...]opInfo{
	opNop:            {"NOP", noOperand, 0, 0},
	opLoadConst:      {"LOAD_CONST", constOperand, 0, 1},
	opLoadFast:       {"LOAD_FAST", localOperand, 0, 1},
	opStoreFast:      {"STORE_FAST", localOperand, 1, 0},
	opLoadGlobal:     {"LOAD_GLOBAL", globalOperand, 0, 1},
	opStoreGlobal:    {"STORE_GLOBAL", globalOperand, 1, 0},
	opBinaryOp:       {"BINARY_OP", binaryOperand, 2, 1},
	opCompareOp:      {"COMPARE_OP", compareOperand, 2, 1},
	opPopJumpIfFalse: {"POP_JUMP_IF_FALSE", labelOperand, 1, 0},
	opPopJumpIfTrue:  {"POP_JUMP_IF_TRUE", labelOperand, 1, 0},
	opJump:           {"JUMP", labelOperand, 0, 0},
	opCallBuiltin:    {"CALL_BUILTIN", builtinOperand, 0, 1},
	opPopTop:         {"POP_TOP", noOperand, 1, 0},
	opReturnValue:    {"RETURN_VALUE", noOperand, 1, 0},
}

var opByName = func() map[string]opcode {
	m := make(map[string]opcode, len(ops))
	for i, o := range ops {
		m[o.name] = opcode(i)
	}
	return m
}()

// The operators BINARY_OP and COMPARE_OP take, in the order of their arg.
var (
	binaryOps  = []string{"+", "-", "*", "//", "%"}
	compareOps = []string{"<", "<=", "==", "!=", ">", ">="}
)

// instr is one assembled instruction.
type instr struct {
	op   opcode
	arg  int32  // index into the function's table for the operand, a jump target, or an operator
	argc int32  // CALL_BUILTIN: how many arguments it pops
	line int    // source line
	text string // "LOAD_GLOBAL foo", as traces show it
}

// String is the instruction as written, without its label or comment.
func (in *instr) String() string { return in.text }

// Func is one assembled function of a [Program].
type Func struct {
	name     string
	params   []string
	locals   []string // params first, then every other local, in order of first use
	consts   []any    // nil (None), bool, int or string
	globals  []string
	builtins []string
	code     []instr
	quick    []instr        // code with superinstructions; what eval runs
	labels   map[int]string // jump targets: pc -> label
	maxStack int
	line     int // line of the func header
}

// Name returns the function's name.
func (f *Func) Name() string { return f.name }

// Params returns the function's parameter names.
func (f *Func) Params() []string { return slices.Clone(f.params) }

// Program is assembled code: one or more functions. A Program is read-only
// after Assemble and may be run by any number of threads and interpreters
// at once.
type Program struct {
	name  string
	funcs []*Func
}

// Name returns the name the program was assembled under.
func (p *Program) Name() string { return p.name }

// Func returns the function called name, or nil.
func (p *Program) Func(name string) *Func {
	for _, f := range p.funcs {
		if f.name == name {
			return f
		}
	}
	return nil
}

// Funcs returns the program's functions in the order they were written.
func (p *Program) Funcs() []*Func { return slices.Clone(p.funcs) }

// AsmError is a mistake in assembly text: where it is and what was expected.
type AsmError struct {
	Program string // the name given to Assemble
	Line    int    // 1-based
	Msg     string
}

func (e *AsmError) Error() string {
	return fmt.Sprintf("vm: %s:%d: %s", e.Program, e.Line, e.Msg)
}

// Assemble assembles the text of a program, one instruction a line:
//
//	# countdown(n): while n > 0: n -= 1
//	func countdown(n)
//	loop:
//	    LOAD_FAST n
//	    LOAD_CONST 0
//	    COMPARE_OP >
//	    POP_JUMP_IF_FALSE done
//	    LOAD_FAST n
//	    LOAD_CONST 1
//	    BINARY_OP -
//	    STORE_FAST n
//	    JUMP loop
//	done:
//	    LOAD_CONST None
//	    RETURN_VALUE
//	end
//
// A function starts with "func name(params)" and ends with "end". A label is
// a word followed by a colon, alone on its line or before an instruction.
// "#" starts a comment. Instruction names are as Python's dis prints them:
//
//	LOAD_CONST c            push a constant: an integer, a "quoted string", None, True or False
//	LOAD_FAST x, STORE_FAST x      push, or pop into, a local variable (parameters are locals)
//	LOAD_GLOBAL g, STORE_GLOBAL g  push, or pop into, a global of the interpreter
//	BINARY_OP op            pop b and a, push a op b, for op one of + - * // %
//	COMPARE_OP op           pop b and a, push a op b, for op one of < <= == != > >=
//	POP_JUMP_IF_FALSE l, POP_JUMP_IF_TRUE l   pop a value, jump to label l if it is false (true)
//	JUMP l                  jump to label l
//	CALL_BUILTIN name n     pop n arguments, call the builtin name, push its result
//	POP_TOP                 pop a value and drop it
//	RETURN_VALUE            pop a value and return it
//	NOP                     do nothing
//
// name appears in error messages ("vm: countdown.asm:4: ..."). Errors say
// the line and what was expected; all errors found are returned, joined.
func Assemble(name, text string) (*Program, error) {
	a := &assembler{prog: &Program{name: name}}
	for i, raw := range strings.Split(text, "\n") {
		a.line(i+1, raw)
	}
	if a.fn != nil {
		a.errorf(a.fn.line, "func %s has no end: close it with a line that says end", a.fn.name)
	}
	if len(a.prog.funcs) == 0 && len(a.errs) == 0 {
		a.errorf(1, "no functions: a program is one or more \"func name(params)\" ... \"end\" blocks")
	}
	if len(a.errs) > 0 {
		slices.SortStableFunc(a.errs, func(x, y error) int {
			return x.(*AsmError).Line - y.(*AsmError).Line
		})
		return nil, errors.Join(a.errs...)
	}
	return a.prog, nil
}

// MustAssemble is Assemble for programs written in Go source: it panics on
// an error.
func MustAssemble(name, text string) *Program {
	p, err := Assemble(name, text)
	if err != nil {
		panic(err)
	}
	return p
}

type assembler struct {
	prog *Program
	errs []error

	// the function being assembled:
	fn        *Func
	labelAt   map[string]int // label -> pc
	labelLine map[string]int // label -> line it was defined on
	uses      []labelUse     // jumps to patch at end
	stored    map[string]bool
	loaded    map[string]int // local -> first line that loads it
	dropped   bool           // an instruction of the function had a mistake and was left out
}

type labelUse struct {
	pc    int
	label string
	line  int
}

func (a *assembler) errorf(line int, format string, args ...any) {
	a.errs = append(a.errs, &AsmError{Program: a.prog.name, Line: line, Msg: fmt.Sprintf(format, args...)})
}

func (a *assembler) line(n int, raw string) {
	text := raw
	if i := strings.IndexByte(text, '#'); i >= 0 && !inQuotes(text, i) {
		text = text[:i]
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return
	}
	if rest, ok := strings.CutPrefix(text, "func "); ok {
		a.startFunc(n, strings.TrimSpace(rest))
		return
	}
	if text == "end" {
		if a.fn == nil {
			a.errorf(n, "end without a func: functions start with \"func name(params)\"")
			return
		}
		a.endFunc(n)
		return
	}
	if a.fn == nil {
		a.errorf(n, "%q is outside a function: put instructions between \"func name(params)\" and \"end\"", text)
		return
	}
	// Labels: "loop:" or "loop: LOAD_FAST n".
	if i := strings.IndexByte(text, ':'); i > 0 && !strings.ContainsAny(text[:i], " \t\"") {
		label := text[:i]
		if !isIdent(label) {
			a.errorf(n, "label %q must be a word of letters, digits and _", label)
		} else if prev, dup := a.labelLine[label]; dup {
			a.errorf(n, "label %s is already defined on line %d", label, prev)
		} else {
			a.labelAt[label] = len(a.fn.code)
			a.labelLine[label] = n
		}
		text = strings.TrimSpace(text[i+1:])
		if text == "" {
			return
		}
	}
	before := len(a.errs)
	a.instruction(n, text)
	a.dropped = a.dropped || len(a.errs) > before
}

func (a *assembler) startFunc(n int, sig string) {
	if a.fn != nil {
		a.errorf(n, "func inside func %s: close %s with end first", a.fn.name, a.fn.name)
		return
	}
	name, params, ok := strings.Cut(sig, "(")
	name = strings.TrimSpace(name)
	if !ok || !strings.HasSuffix(params, ")") {
		a.errorf(n, "want \"func name(param, ...)\", got \"func %s\"", sig)
		params = ")"
	} else if !isIdent(name) {
		a.errorf(n, "function name %q must be a word of letters, digits and _", name)
	}
	if a.prog.Func(name) != nil {
		a.errorf(n, "func %s is defined twice", name)
	}
	f := &Func{name: name, line: n, labels: map[int]string{}}
	for p := range strings.SplitSeq(strings.TrimSuffix(params, ")"), ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if !isIdent(p) {
			a.errorf(n, "parameter %q must be a word of letters, digits and _", p)
			continue
		}
		if slices.Contains(f.params, p) {
			a.errorf(n, "parameter %s is listed twice", p)
			continue
		}
		f.params = append(f.params, p)
	}
	f.locals = slices.Clone(f.params)
	a.fn = f
	a.labelAt, a.labelLine = map[string]int{}, map[string]int{}
	a.uses = nil
	a.dropped = false
	a.stored, a.loaded = map[string]bool{}, map[string]int{}
	for _, p := range f.params {
		a.stored[p] = true
	}
}

func (a *assembler) instruction(n int, text string) {
	f := a.fn
	fields := strings.Fields(text)
	name := strings.ToUpper(fields[0])
	op, ok := opByName[name]
	if !ok {
		a.errorf(n, "unknown instruction %q; the instructions are %s", fields[0], opNames())
		return
	}
	info := ops[op]
	in := instr{op: op, line: n}
	operand := strings.TrimSpace(strings.TrimPrefix(text, fields[0]))
	want := func(what string) bool {
		if operand == "" {
			a.errorf(n, "%s needs %s", info.name, what)
			return false
		}
		return true
	}
	switch info.operand {
	case noOperand:
		if operand != "" {
			a.errorf(n, "%s takes no operand, got %q", info.name, operand)
			return
		}
		in.text = info.name
	case constOperand:
		if !want("a constant: an integer, a \"quoted string\", None, True or False") {
			return
		}
		c, err := parseConst(operand)
		if err != nil {
			a.errorf(n, "LOAD_CONST %s: %v", operand, err)
			return
		}
		in.arg = int32(indexOf(&f.consts, c))
		in.text = info.name + " " + operand
	case localOperand, globalOperand:
		if !want("a variable name") {
			return
		}
		if !isIdent(operand) {
			a.errorf(n, "%s needs one variable name (letters, digits and _), got %q", info.name, operand)
			return
		}
		if info.operand == localOperand {
			in.arg = int32(indexOf(&f.locals, operand))
			if op == opStoreFast {
				a.stored[operand] = true
			} else if _, seen := a.loaded[operand]; !seen {
				a.loaded[operand] = n
			}
		} else {
			in.arg = int32(indexOf(&f.globals, operand))
		}
		in.text = info.name + " " + operand
	case binaryOperand, compareOperand:
		table := binaryOps
		if info.operand == compareOperand {
			table = compareOps
		}
		if !want("an operator, one of " + strings.Join(table, " ")) {
			return
		}
		i := slices.Index(table, operand)
		if i < 0 {
			a.errorf(n, "%s needs an operator, one of %s; got %q", info.name, strings.Join(table, " "), operand)
			return
		}
		in.arg = int32(i)
		in.text = info.name + " " + operand
	case labelOperand:
		if !want("a label to jump to") {
			return
		}
		if !isIdent(operand) {
			a.errorf(n, "%s needs one label, got %q", info.name, operand)
			return
		}
		a.uses = append(a.uses, labelUse{pc: len(f.code), label: operand, line: n})
		in.text = info.name + " " + operand
	case builtinOperand:
		parts := strings.Fields(operand)
		if len(parts) != 2 {
			a.errorf(n, "CALL_BUILTIN needs a builtin's name and how many arguments it takes (CALL_BUILTIN print 1), got %q", operand)
			return
		}
		argc, err := strconv.Atoi(parts[1])
		if err != nil || argc < 0 {
			a.errorf(n, "CALL_BUILTIN %s: the argument count must be a number 0 or more, got %q", parts[0], parts[1])
			return
		}
		if !isIdent(parts[0]) {
			a.errorf(n, "CALL_BUILTIN needs a builtin's name, got %q", parts[0])
			return
		}
		in.arg = int32(indexOf(&f.builtins, parts[0]))
		in.argc = int32(argc)
		in.text = info.name + " " + parts[0] + " " + parts[1]
	}
	f.code = append(f.code, in)
}

func (a *assembler) endFunc(n int) {
	f := a.fn
	a.fn = nil
	bad := len(a.errs)
	for _, u := range a.uses {
		pc, ok := a.labelAt[u.label]
		if !ok {
			a.errorf(u.line, "%s: no label %s in func %s", f.code[u.pc].text, u.label, f.name)
			continue
		}
		if pc >= len(f.code) {
			a.errorf(u.line, "%s: label %s is at the end of func %s, after its last instruction", f.code[u.pc].text, u.label, f.name)
			continue
		}
		f.code[u.pc].arg = int32(pc)
		f.labels[pc] = u.label
	}
	for local, line := range a.loaded {
		if !a.stored[local] {
			a.errorf(line, "LOAD_FAST %s: %s is not a parameter of %s and nothing stores it", local, local, f.name)
		}
	}
	if len(f.code) == 0 {
		a.errorf(n, "func %s has no instructions: it needs at least RETURN_VALUE", f.name)
	}
	// The stack check follows the code: with a mistaken instruction left
	// out it would report mistakes that are not in the text.
	if len(a.errs) == bad && !a.dropped {
		a.checkStack(f)
	}
	if len(a.errs) == bad {
		f.quicken()
		a.prog.funcs = append(a.prog.funcs, f)
	}
}

// quicken makes f.quick: f.code with each pair of instructions that a
// superinstruction covers fused, unless something jumps to the second one.
func (f *Func) quicken() {
	f.quick = slices.Clone(f.code)
	target := func(pcs ...int) bool {
		for _, pc := range pcs {
			if _, ok := f.labels[pc]; ok {
				return true
			}
		}
		return false
	}
	for i := 0; i+1 < len(f.code); i++ {
		if target(i + 1) {
			continue
		}
		if i+3 < len(f.code) && !target(i+2, i+3) &&
			f.code[i].op == opLoadFast && f.code[i+1].op == opLoadConst &&
			f.code[i+2].op == opBinaryOp && f.code[i+3].op == opStoreFast &&
			f.code[i+3].arg == f.code[i].arg {
			f.quick[i].op = opInplaceConst
			i += 3
			continue
		}
		first, second := f.code[i].op, f.code[i+1].op
		switch {
		case first == opLoadFast && second == opLoadConst:
			f.quick[i].op = opLoadFastLoadConst
		case first == opCompareOp && second == opPopJumpIfFalse:
			f.quick[i].op = opCompareJumpFalse
		case first == opCompareOp && second == opPopJumpIfTrue:
			f.quick[i].op = opCompareJumpTrue
		default:
			continue
		}
		i++
	}
}

// checkStack follows every path through f, checking that no instruction
// pops from an empty stack, that paths meet with the same depth, and that
// no path runs off the end; it sets f.maxStack.
func (a *assembler) checkStack(f *Func) {
	depth := make([]int, len(f.code))
	for i := range depth {
		depth[i] = -1
	}
	type todo struct{ pc, d int }
	work := []todo{{0, 0}}
	for len(work) > 0 {
		w := work[len(work)-1]
		work = work[:len(work)-1]
	path:
		for pc, d := w.pc, w.d; ; {
			if pc >= len(f.code) {
				last := f.code[len(f.code)-1]
				a.errorf(last.line, "func %s can run past its last instruction (%s): end every path with RETURN_VALUE or JUMP", f.name, last.text)
				return
			}
			if depth[pc] >= 0 {
				if depth[pc] != d {
					a.errorf(f.code[pc].line, "%s is reached with %s on the stack on one path and %d on another", f.code[pc].text, plural(depth[pc], "value"), d)
				}
				break
			}
			depth[pc] = d
			in := f.code[pc]
			pops := ops[in.op].pops
			if in.op == opCallBuiltin {
				pops = int(in.argc)
			}
			if d < pops {
				a.errorf(in.line, "%s needs %s on the stack, but there %s only %d here", in.text, plural(pops, "value"), isAre(d), d)
				return
			}
			d += ops[in.op].pushes - pops
			f.maxStack = max(f.maxStack, d)
			switch in.op {
			case opReturnValue:
				break path
			case opJump:
				pc = int(in.arg)
				continue
			case opPopJumpIfFalse, opPopJumpIfTrue:
				work = append(work, todo{int(in.arg), d})
			}
			pc++
		}
	}
}

// plural is n and the noun, in the plural unless n is 1: "1 value", "2 values".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

func parseConst(s string) (any, error) {
	switch s {
	case "None":
		return nil, nil
	case "True":
		return true, nil
	case "False":
		return false, nil
	}
	if strings.HasPrefix(s, "\"") {
		v, err := strconv.Unquote(s)
		if err != nil {
			return nil, errors.New("a string constant must be one \"double-quoted\" Go string")
		}
		return v, nil
	}
	v, err := strconv.Atoi(strings.ReplaceAll(s, "_", ""))
	if err != nil {
		return nil, errors.New("want an integer, a \"quoted string\", None, True or False")
	}
	return v, nil
}

func indexOf[T comparable](table *[]T, v T) int {
	if i := slices.Index(*table, v); i >= 0 {
		return i
	}
	*table = append(*table, v)
	return len(*table) - 1
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if r != '_' && !unicode.IsLetter(r) && (i == 0 || !unicode.IsDigit(r)) {
			return false
		}
	}
	return true
}

// inQuotes reports whether byte i of s is inside a double-quoted string.
func inQuotes(s string, i int) bool {
	in := false
	for j := 0; j < i; j++ {
		switch s[j] {
		case '\\':
			if in {
				j++
			}
		case '"':
			in = !in
		}
	}
	return in
}

func opNames() string {
	names := make([]string, len(ops))
	for i, o := range ops {
		names[i] = o.name
	}
	return strings.Join(names, ", ")
}
