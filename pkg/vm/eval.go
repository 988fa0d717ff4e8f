package vm

import (
	"errors"
	"fmt"
)

// RuntimeError is an error raised while running bytecode: where it
// happened and why.
type RuntimeError struct {
	Thread string // the thread's name
	Func   string // the function
	Line   int    // the instruction's line in the assembly text
	Instr  string // the instruction ("BINARY_OP //")
	Err    error
}

func (e *RuntimeError) Error() string {
	return fmt.Sprintf("vm: thread %s, %s line %d (%s): %v", e.Thread, e.Func, e.Line, e.Instr, e.Err)
}

func (e *RuntimeError) Unwrap() error { return e.Err }

// eval runs b with its locals (parameters filled in) and returns the
// result, a new reference. The thread holds the lock.
func (t *Thread) eval(b *bound, locals []*Object) (*Object, error) {
	f := b.fn
	code := f.quick
	stack := locals[len(locals):cap(locals)]
	sp := 0
	in := t.interp
	tick := in.interval
	pc := 0
	for {
		ins := &code[pc]
		pc++
		if tick--; tick <= 0 {
			t.ran += int64(in.interval - tick)
			tick = in.interval
			t.evalBreaker(ins)
		}
		switch ins.op {
		case opNop:
		case opLoadConst:
			o := b.consts[ins.arg]
			t.incref(o, ins)
			stack[sp] = o
			sp++
		case opInplaceConst:
			x, c, op := locals[ins.arg], b.consts[code[pc].arg], code[pc+1].arg
			if x != nil && !x.slow && t.checks == 0 && x.refs == 1 && x.kind == IntKind && c.kind == IntKind && op <= 2 {
				x.i, _ = arith(op, x.i, c.i)
				pc += 3
				tick -= 3
				continue
			}
			// Anything else runs as the four instructions it stands for.
			fallthrough
		case opLoadFastLoadConst:
			o := locals[ins.arg]
			if o == nil {
				t.ran += int64(in.interval - tick)
				return t.unwind(stack[:sp], locals, nil, t.fail(f, ins, fmt.Errorf("local variable %s is read before anything was stored in it", f.locals[ins.arg])))
			}
			t.incref(o, ins)
			stack[sp] = o
			ins = &code[pc]
			pc++
			tick--
			c := b.consts[ins.arg]
			t.incref(c, ins)
			stack[sp+1] = c
			sp += 2
		case opCompareJumpFalse, opCompareJumpTrue:
			x, y := stack[sp-2], stack[sp-1]
			if t.checks != 0 {
				t.touch(x)
				t.touch(y)
			}
			if x.kind != IntKind || y.kind != IntKind {
				t.ran += int64(in.interval - tick)
				return t.unwind(stack[:sp], locals, nil, t.fail(f, ins, fmt.Errorf("unsupported operand types: %s and %s", x.kind, y.kind)))
			}
			cond := compare(ins.arg, x.i, y.i)
			jumpIf := ins.op == opCompareJumpTrue
			t.decref(x, ins)
			t.decref(y, ins)
			sp -= 2
			ins = &code[pc]
			pc++
			tick--
			if cond == jumpIf {
				back := int(ins.arg) < pc
				pc = int(ins.arg)
				if back && in.atJumps {
					t.evalBreaker(ins)
				}
			}
		case opLoadFast:
			o := locals[ins.arg]
			if o == nil {
				t.ran += int64(in.interval - tick)
				return t.unwind(stack[:sp], locals, nil, t.fail(f, ins, fmt.Errorf("local variable %s is read before anything was stored in it", f.locals[ins.arg])))
			}
			t.incref(o, ins)
			stack[sp] = o
			sp++
		case opStoreFast:
			sp--
			old := locals[ins.arg]
			locals[ins.arg] = stack[sp]
			if old != nil {
				t.decref(old, ins)
			}
		case opLoadGlobal:
			g := b.globals[ins.arg]
			if g.watch != nil {
				g.watch.GetAs(ins.text)
			}
			o := g.obj
			if o == nil {
				t.ran += int64(in.interval - tick)
				return t.unwind(stack[:sp], locals, nil, t.fail(f, ins, fmt.Errorf("name %s is not defined in interpreter %s", g.name, in.name)))
			}
			t.incref(o, ins)
			stack[sp] = o
			sp++
		case opStoreGlobal:
			sp--
			g := b.globals[ins.arg]
			if g.watch != nil {
				g.watch.SetAs(ins.text, watchedValue(stack[sp]))
			}
			old := g.obj
			g.obj = stack[sp]
			if old != nil {
				t.decref(old, ins)
			}
		case opBinaryOp, opCompareOp:
			x, y := stack[sp-2], stack[sp-1]
			if t.checks != 0 {
				t.touch(x)
				t.touch(y)
			}
			if x.kind != IntKind || y.kind != IntKind {
				t.ran += int64(in.interval - tick)
				return t.unwind(stack[:sp], locals, nil, t.fail(f, ins, fmt.Errorf("unsupported operand types: %s and %s", x.kind, y.kind)))
			}
			var r *Object
			if ins.op == opCompareOp {
				r = in.false_
				if compare(ins.arg, x.i, y.i) {
					r = in.true_
				}
			} else {
				v, err := arith(ins.arg, x.i, y.i)
				if err != nil {
					t.ran += int64(in.interval - tick)
					return t.unwind(stack[:sp], locals, nil, t.fail(f, ins, err))
				}
				r = t.newInt(v)
			}
			t.decref(x, ins)
			t.decref(y, ins)
			sp--
			stack[sp-1] = r
		case opPopJumpIfFalse, opPopJumpIfTrue:
			sp--
			o := stack[sp]
			if t.checks != 0 {
				t.touch(o)
			}
			back := false
			if o.truthy() == (ins.op == opPopJumpIfTrue) {
				back = int(ins.arg) < pc
				pc = int(ins.arg)
			}
			t.decref(o, ins)
			if back && in.atJumps {
				t.evalBreaker(ins)
			}
		case opJump:
			back := int(ins.arg) < pc
			pc = int(ins.arg)
			if back && in.atJumps {
				t.evalBreaker(ins)
			}
		case opCallBuiltin:
			if in.atJumps {
				t.evalBreaker(ins)
			}
			n := int(ins.argc)
			args := stack[sp-n : sp]
			t.at = ins
			r, err := b.builtins[ins.arg](t, args)
			if msg := t.touched; msg != "" { // the builtin's panic was recovered (by fmt, say): raise it again
				t.touched = ""
				panic(msg)
			}
			if !t.holds {
				t.AcquireGIL() // to drop the frame's references
				t.ran += int64(in.interval - tick)
				return t.unwind(stack[:sp], locals, nil, t.fail(f, ins, errors.New("the builtin returned without taking the GIL back: every ReleaseGIL needs its AcquireGIL")))
			}
			if err != nil {
				t.ran += int64(in.interval - tick)
				return t.unwind(stack[:sp], locals, nil, t.fail(f, ins, fmt.Errorf("%s: %w", f.builtins[ins.arg], err)))
			}
			for _, o := range args {
				t.decref(o, ins)
			}
			sp -= n
			if r == nil {
				r = in.none
			}
			stack[sp] = r
			sp++
		case opPopTop:
			sp--
			t.decref(stack[sp], ins)
		case opReturnValue:
			sp--
			t.ran += int64(in.interval - tick)
			return t.unwind(stack[:sp], locals, stack[sp], nil)
		}
	}
}

// unwind drops every reference a finished frame still holds, its locals and
// what is left on its stack, and returns res and err. (A panic skips it: the
// thread is dead, and its references leak as a crashed thread's would.)
func (t *Thread) unwind(stack, locals []*Object, res *Object, err error) (*Object, error) {
	for _, o := range stack {
		t.decref(o, &returnInstr)
	}
	for _, o := range locals {
		if o != nil {
			t.decref(o, &returnInstr)
		}
	}
	return res, err
}

func (t *Thread) fail(f *Func, ins *instr, err error) error {
	return &RuntimeError{Thread: t.name, Func: f.name, Line: ins.line, Instr: ins.text, Err: err}
}

func compare(op int32, a, b int) bool {
	switch op {
	case 0:
		return a < b
	case 1:
		return a <= b
	case 2:
		return a == b
	case 3:
		return a != b
	case 4:
		return a > b
	}
	return a >= b
}

func arith(op int32, a, b int) (int, error) {
	switch op {
	case 0:
		return a + b, nil
	case 1:
		return a - b, nil
	case 2:
		return a * b, nil
	}
	if b == 0 {
		return 0, errors.New("integer division or modulo by zero")
	}
	q, r := a/b, a%b
	if r != 0 && (r < 0) != (b < 0) { // Python floors
		q--
		r += b
	}
	if op == 3 {
		return q, nil
	}
	return r, nil
}
