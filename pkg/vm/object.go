package vm

import (
	"fmt"
	"strconv"

	"github.com/racekit/racekit/pkg/interleave"
)

// Kind is the type of an object's value.
type Kind uint8

// The kinds of value an object can hold.
const (
	NoneKind   Kind = iota // None
	BoolKind               // True or False
	IntKind                // an integer
	StrKind                // a string
	DeviceKind             // a *Device, for read
)

// String names the kind as Python would ("int", "str").
func (k Kind) String() string {
	switch k {
	case NoneKind:
		return "NoneType"
	case BoolKind:
		return "bool"
	case IntKind:
		return "int"
	case StrKind:
		return "str"
	case DeviceKind:
		return "device"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Object is a value of an interpreter, with a reference count.
//
// Like a CPython object it has no lock of its own: the interpreter lock
// guards its reference count and its value. Every instruction that pushes a
// reference increments the count and every instruction that drops one
// decrements it; at zero the object is freed. Threads that run without the
// lock race on the count, and `go test -race` reports it.
//
// An object belongs to the interpreter that made it and cannot be used by
// another one. Objects made by [Interpreter.SetGlobal] are named: their
// count lives in an [interleave.Int] called "<name>.refcount", so the
// scheduler sees every change. The zero value is not an object; get them
// from an interpreter.
type Object struct {
	kind     Kind
	immortal bool // None, True and False: never counted, never freed
	slow     bool // immortal, or named: reference counting takes the slow path
	i        int
	s        string
	dev      *Device
	name     string          // "" for an unnamed object; read-only
	refs     int             // the count of an unnamed object; guarded by the GIL
	cell     *interleave.Int // the count of a named object; guarded by the GIL
	freed    bool            // guarded by the GIL
	next     *Object         // next on the interpreter's free list; guarded by the GIL
	interp   *Interpreter    // the owner; read-only
}

// Kind returns the type of the object's value.
func (o *Object) Kind() Kind { return o.kind }

// Name returns the name the object was created with, or "" for an unnamed
// object.
func (o *Object) Name() string { return o.name }

// RefCount returns the object's reference count. It reads the count without
// the interpreter lock: call it when no thread of the interpreter runs, as
// specs do after their threads finished.
func (o *Object) RefCount() int {
	if o.cell != nil {
		return o.cell.Get()
	}
	return o.refs
}

// Freed reports whether the object's count reached zero and it was freed.
// Like RefCount, call it when no thread of the interpreter runs.
func (o *Object) Freed() bool { return o.freed }

// String describes the object for messages: its name if it has one, else
// its type and value ("int 3").
func (o *Object) String() string {
	if o.name != "" {
		return o.name
	}
	return o.kind.String() + " " + o.repr()
}

// repr is the value as print shows it.
func (o *Object) repr() string {
	switch o.kind {
	case NoneKind:
		return "None"
	case BoolKind:
		if o.i != 0 {
			return "True"
		}
		return "False"
	case IntKind:
		return strconv.Itoa(o.i)
	case StrKind:
		return o.s
	case DeviceKind:
		return "<device " + o.dev.Name() + ">"
	}
	return "?"
}

// value is the object's value as a Go value: nil, bool, int, string or
// *Device.
func (o *Object) value() any {
	switch o.kind {
	case BoolKind:
		return o.i != 0
	case IntKind:
		return o.i
	case StrKind:
		return o.s
	case DeviceKind:
		return o.dev
	}
	return nil
}

// truthy is the object's truth value, as Python's bool(o).
func (o *Object) truthy() bool {
	switch o.kind {
	case NoneKind:
		return false
	case StrKind:
		return o.s != ""
	case DeviceKind:
		return true
	}
	return o.i != 0
}

// incref adds a reference to o on behalf of t, which is running in.
func (t *Thread) incref(o *Object, in *instr) {
	if !o.slow && t.checks == 0 {
		o.refs++
		return
	}
	t.increfSlow(o, in)
}

// decref drops a reference to o on behalf of t, freeing o at zero.
func (t *Thread) decref(o *Object, in *instr) {
	if o.slow || t.checks != 0 || o.refs == 1 {
		t.decrefSlow(o, in)
		return
	}
	o.refs--
}

func (t *Thread) increfSlow(o *Object, in *instr) {
	if o.immortal {
		return
	}
	if t.checks != 0 {
		t.touch(o)
	}
	if o.cell != nil {
		what := in.String()
		o.cell.SetAs(what, o.cell.GetAs(what)+1)
		return
	}
	o.refs++
}

func (t *Thread) decrefSlow(o *Object, in *instr) {
	if o.immortal {
		return
	}
	if t.checks != 0 {
		t.check(o, true)
	}
	var n int
	if o.cell != nil {
		what := in.String()
		n = o.cell.GetAs(what) - 1
		o.cell.SetAs(what, n)
	} else {
		o.refs--
		n = o.refs
	}
	if n == 0 {
		t.free(o, in)
	} else if n < 0 && t.checks&CheckFreed != 0 {
		panic(fmt.Sprintf("vm: %s freed twice: its reference count went below zero (%d)", o, n))
	}
}

// free releases o. In debug mode the object is kept, marked freed, so that a
// later use is caught; otherwise it goes back to the interpreter's free
// list.
func (t *Thread) free(o *Object, in *instr) {
	if o.freed { // two threads without the GIL both took the count to zero
		if t.checks&CheckFreed != 0 {
			panic(fmt.Sprintf("vm: %s freed twice: two threads each dropped its last reference", o))
		}
		return // pushing it on the free list twice would hand it out twice
	}
	if o.name != "" {
		interleave.PointAs(in.String(), "frees "+o.name)
	}
	o.freed = true
	if t.checks&CheckFreed == 0 && o.kind == IntKind && o.cell == nil {
		o.next = t.interp.freeInts
		t.interp.freeInts = o
	}
}

// touch checks, in debug mode, that t may use o: t holds the interpreter
// lock and o was not freed.
func (t *Thread) touch(o *Object) { t.check(o, false) }

// check is touch for a use of o, or for dropping a reference to it: a
// reference dropped after o was freed is a double free.
func (t *Thread) check(o *Object, drop bool) {
	in := t.interp
	if t.checks&CheckGIL != 0 && in.holder != t {
		if h := in.holder; h != nil {
			panic(fmt.Sprintf("vm: object %s touched by thread %s without holding the GIL (thread %s holds it)", o, t.name, h.name))
		}
		panic(fmt.Sprintf("vm: object %s touched by thread %s without holding the GIL", o, t.name))
	}
	if t.checks&CheckFreed != 0 && o.freed {
		if drop {
			panic(fmt.Sprintf("vm: %s freed twice: a reference to it was dropped after it was freed", o))
		}
		panic(fmt.Sprintf("vm: %s used after it was freed", o))
	}
	if o.interp != in {
		panic(fmt.Sprintf("vm: object %s belongs to interpreter %s and cannot be used by thread %s of interpreter %s", o, o.interp.name, t.name, in.name))
	}
}

// newInt returns a new unnamed int object holding v, with one reference.
func (t *Thread) newInt(v int) *Object {
	in := t.interp
	if o := in.freeInts; o != nil {
		in.freeInts = o.next
		o.i, o.refs, o.freed, o.next = v, 1, false, nil
		return o
	}
	return &Object{kind: IntKind, i: v, refs: 1, interp: in}
}
