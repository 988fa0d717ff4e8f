package vm

import (
	"fmt"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"

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
	LockKind               // a *UserLock, threading.Lock's counterpart
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
	case LockKind:
		return "lock"
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
	immortal bool // None, True and False (and small ints with a RefCounter): never counted, never freed
	slow     bool // immortal, named, or counted by a RefCounter: reference counting takes the slow path
	i        int
	s        string
	dev      *Device
	lock     *UserLock
	name     string          // "" for an unnamed object; read-only
	refs     int             // the count of an unnamed object; guarded by the GIL
	cell     *interleave.Int // the count of a named object; guarded by the GIL
	freed    bool            // guarded by the GIL
	next     *Object         // next on the interpreter's free list; guarded by the GIL
	interp   *Interpreter    // the interpreter it belongs to; read-only
	owner    *Thread         // the thread that made it, with a RefCounter; read-only
	count    any             // its count state, from the RefCounter's NewCount; read-only
	frees    int             // times a RefCounter said to free it; written by the freeing thread
}

// The methods of Object are the ways a builtin can touch an object other
// than through its thread (Thread.Value, Int, Device). Like those, with
// CheckGIL they panic when a thread of the object's interpreter calls them
// without holding the GIL: "vm: object foo touched by thread B without
// holding the GIL". Code that is not running a thread's Call (a spec after
// its threads finished, a program between calls) is not checked.

// Kind returns the type of the object's value.
func (o *Object) Kind() Kind {
	o.guard()
	return o.kind
}

// Name returns the name the object was created with, or "" for an unnamed
// object.
func (o *Object) Name() string {
	o.guard()
	return o.name
}

// RefCount returns the object's reference count. Outside a thread it reads
// the count without the interpreter lock: call it when no thread of the
// interpreter runs, as specs do after their threads finished. In an
// interpreter with a RefCounter the counts are the counter's, in
// [Object.Count], and RefCount returns -1.
func (o *Object) RefCount() int {
	o.guard()
	return o.refCount()
}

// refCount is RefCount without the check.
func (o *Object) refCount() int {
	if o.count != nil || (o.interp != nil && o.interp.rc != nil) {
		return -1
	}
	if o.cell != nil {
		return o.cell.Get()
	}
	return o.refs
}

// Freed reports whether the object's count reached zero and it was freed.
// Like RefCount, call it when no thread of the interpreter runs.
func (o *Object) Freed() bool {
	o.guard()
	return o.freed
}

// String describes the object for messages: its name if it has one, else
// its type and value ("int 3"). A builtin that formats an object (with %s
// or %v) calls it, and so touches the object.
func (o *Object) String() string {
	o.guard()
	return o.describe()
}

// describe is String without the check, for the VM's own messages, which
// may be about a thread that does not hold the GIL.
func (o *Object) describe() string {
	if o.name != "" {
		return o.name
	}
	return o.kind.String() + " " + o.repr()
}

// guard is the CheckGIL check of Object's methods, which have no thread to
// check: it finds the thread whose Call runs on the calling goroutine, if
// any, and panics if that thread does not hold the GIL.
func (o *Object) guard() {
	in := o.interp
	if in == nil || in.checks&CheckGIL == 0 {
		return
	}
	if t := in.threadOnThisGoroutine(); t != nil && !t.holds {
		t.notHolding("object " + o.describe())
	}
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
	case LockKind:
		return "<lock>"
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
	case LockKind:
		return o.lock
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
	case DeviceKind, LockKind:
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
	if t.rc != nil {
		t.increfCounted(o)
		return
	}
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
	if t.rc != nil {
		t.decrefCounted(o, in)
		return
	}
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
		panic(fmt.Sprintf("vm: %s freed twice: its reference count went below zero (%d)", o.describe(), n))
	}
}

// free releases o. In debug mode the object is kept, marked freed, so that a
// later use is caught; otherwise it goes back to the interpreter's free
// list.
func (t *Thread) free(o *Object, in *instr) {
	if o.freed { // two threads without the GIL both took the count to zero
		if t.checks&CheckFreed != 0 {
			panic(fmt.Sprintf("vm: %s freed twice: two threads each dropped its last reference", o.describe()))
		}
		return // pushing it on the free list twice would hand it out twice
	}
	if o.name != "" {
		interleave.PointAs(in.String(), "frees "+o.name)
	}
	o.freed = true
	if t.checks&CheckFreed == 0 && o.kind == IntKind && o.cell == nil && !t.interp.nogil {
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
		t.notHolding("object " + o.describe())
	}
	if t.checks&CheckFreed != 0 && o.freed {
		if drop {
			panic(fmt.Sprintf("vm: %s freed twice: a reference to it was dropped after it was freed", o.describe()))
		}
		panic(fmt.Sprintf("vm: %s used after it was freed", o.describe()))
	}
	if o.interp != in {
		panic(fmt.Sprintf("vm: object %s belongs to interpreter %s and cannot be used by thread %s of interpreter %s", o.describe(), o.interp.name, t.name, in.name))
	}
}

// notHolding panics for a touch of what ("object foo", "global foo") by t,
// which does not hold the GIL, naming the thread that does if there is one.
// It also keeps the message until the builtin returns, in case a recover
// hid the panic: fmt recovers a String method's panic and prints it into
// the text it was making ("%!s(PANIC=String method: ...)").
func (t *Thread) notHolding(what string) {
	msg := fmt.Sprintf("vm: %s touched by thread %s without holding the GIL", what, t.name)
	if h := t.interp.holder; h != nil && h != t {
		msg = fmt.Sprintf("vm: %s touched by thread %s without holding the GIL (thread %s holds it)", what, t.name, h.name)
	}
	if t.touched == "" {
		t.touched = msg
		if site := touchSite(); site != "" {
			t.touched += " at " + site + ", where a recover hid the panic (fmt recovers one from the String method of an object it formats)"
		}
	}
	panic(msg)
}

// vmPath is this package's import path.
var vmPath = reflect.TypeFor[Object]().PkgPath()

// touchSite is the file:line of the innermost caller that is neither the
// VM nor the standard library: the line of a builtin that touched an
// object, for a panic raised again after the builtin returned.
func touchSite() string {
	pcs := make([]uintptr, 32)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(3, pcs)])
	for {
		fr, more := frames.Next()
		slash := strings.LastIndex(fr.Function, "/")
		pkg := fr.Function[:slash+1+max(strings.Index(fr.Function[slash+1:], "."), 0)] // "fmt", "github.com/x/y"
		first, _, _ := strings.Cut(pkg, "/")
		if strings.Contains(first, ".") && pkg != vmPath { // neither the standard library nor the VM
			return filepath.Base(fr.File) + ":" + strconv.Itoa(fr.Line)
		}
		if !more {
			return ""
		}
	}
}

// newInt returns a new unnamed int object holding v, with one reference.
func (t *Thread) newInt(v int) *Object {
	in := t.interp
	if in.rc != nil {
		return t.object(v)
	}
	if o := in.freeInts; o != nil {
		in.freeInts = o.next
		o.i, o.refs, o.freed, o.next = v, 1, false, nil
		return o
	}
	return &Object{kind: IntKind, i: v, refs: 1, interp: in}
}
