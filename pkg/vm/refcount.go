package vm

import (
	"fmt"

	"github.com/racekit/racekit/pkg/interleave"
)

// RefCounter does an interpreter's reference counting in its place, as
// Py_INCREF and Py_DECREF do in CPython: set one in [Config.RefCounter]
// and every reference the interpreter takes or drops goes through it.
// Lesson 09 has the learner write one for an interpreter without a GIL
// ([Config.NoGIL]), first with atomic counts, then with PEP 703's biased
// reference counting.
//
// The counter keeps the counts; the interpreter keeps the objects. When
// it makes an object, with one reference (its maker's), the interpreter
// calls NewCount, and keeps what NewCount returns in the object, where
// [Object.Count] hands it back: the object's count state, whatever the
// counter needs (a struct with a count in it, typically). IncRef records
// one more reference, taken by thread t; DecRef records that t dropped
// one, and reports whether that was the last, in which case the
// interpreter frees the object. The counter never frees anything itself:
// the interpreter does, and records each free ([Interpreter.Frees]), so
// that a spec can see an object freed too early, twice, or never.
//
// What a counter may use of an object: [Object.Owner], the thread that
// made it (PEP 703's ob_tid: nil for an object no thread made), and
// [Object.Immortal], for None, True, False and the ints from -5 to 256,
// which live as long as the interpreter. The interpreter calls IncRef and
// DecRef for immortal objects too, but does not balance them: like
// CPython 3.12 and later, it hands out an immortal object without a new
// reference where that saves work (the True a comparison makes, the None a
// builtin returns), so a counter that counts immortal objects sees their
// counts fall to zero. A counter must leave them alone: their counts are
// not kept, and they are never freed.
//
// t is the thread that takes or drops the reference; nil when the
// interpreter drops one outside any thread (rebinding a global with
// [Interpreter.SetGlobal]). Without a GIL the interpreter calls IncRef and
// DecRef from many threads at once, for the same object too: the counter
// alone makes them safe. With a GIL, it calls them from the thread that
// holds it.
type RefCounter interface {
	// NewCount returns the count state of the new object o, which has one
	// reference: its maker's. It is called once per object, before any
	// thread can see the object, on the goroutine that makes it.
	NewCount(o *Object) any
	// IncRef records that thread t took a reference to o.
	IncRef(t *Thread, o *Object)
	// DecRef records that thread t dropped a reference to o, and reports
	// whether o is now unreferenced and must be freed.
	DecRef(t *Thread, o *Object) (free bool)
}

// Free is one object an interpreter freed because its RefCounter said so:
// the object and the thread whose DecRef freed it (nil outside any thread).
type Free struct {
	Object *Object
	Thread *Thread
}

// The ints that are immortal in an interpreter with a RefCounter, as
// CPython caches them: from -5 to 256.
const (
	smallIntMin = -5
	smallIntMax = 256
)

// Owner returns the thread that made the object (PEP 703's ob_tid): the
// thread whose instruction or builtin created it, or that bound it with
// [Thread.SetGlobal]. Objects no thread made (those of
// [Interpreter.SetGlobal], a function's constants, None, True and False)
// have none: Owner returns nil. It never changes.
func (o *Object) Owner() *Thread { return o.owner }

// Immortal reports whether the object lives as long as its interpreter:
// None, True and False, and, in an interpreter with a RefCounter, the ints
// from -5 to 256 (CPython's small ints). Immortal objects are never
// counted and never freed. It never changes.
func (o *Object) Immortal() bool { return o.immortal }

// Count returns the object's count state: what the interpreter's
// RefCounter returned from NewCount for it, or nil in an interpreter
// without a RefCounter. It never changes (what it points to may).
func (o *Object) Count() any { return o.count }

// Frees returns how many times the interpreter freed the object because
// its RefCounter said so: 0 or, for a correct counter, 1. Like RefCount,
// call it when no thread of the interpreter runs.
func (o *Object) Frees() int { return o.frees }

// Frees returns the objects the interpreter freed because its RefCounter
// said so, in the order it freed them; an object freed twice is listed
// twice. With Config.MaxFrees set it lists only the first MaxFrees (none
// when it is negative). It is safe for concurrent use.
func (in *Interpreter) Frees() []Free {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]Free(nil), in.frees...)
}

// IncRef takes a reference to o for t, as C code's Py_INCREF does: for a
// builtin that keeps an object beyond its call, or a host program that
// holds one between calls. Every IncRef needs its DecRef.
func (t *Thread) IncRef(o *Object) { t.incref(o, &increfInstr) }

// DecRef drops a reference to o that t held, as Py_DECREF does, freeing o
// if it was the last.
func (t *Thread) DecRef(o *Object) { t.decref(o, &decrefInstr) }

// increfInstr and decrefInstr stand for Thread.IncRef and Thread.DecRef in
// traces.
var (
	increfInstr = instr{text: "Py_INCREF"}
	decrefInstr = instr{text: "Py_DECREF"}
)

// SetGlobal binds the global name to a new object named name holding v, as
// [Interpreter.SetGlobal] does, but the object is made by t, which owns it
// ([Object.Owner]), as if t's code had made it and stored it in the
// global. A name bound before drops its reference to the old object on t.
// Call it before the interpreter's threads start, from t's goroutine while
// t runs no call, or while no thread reads the global.
func (t *Thread) SetGlobal(name string, v any) *Object {
	t.interp.guardGlobal(name)
	return t.interp.setGlobal(name, v, t)
}

// counted finishes a new object o of an interpreter with a RefCounter:
// its owner, and its count state from the counter. Without a RefCounter
// it returns o as it is.
func (in *Interpreter) counted(o *Object, owner *Thread) *Object {
	if in.rc == nil {
		return o
	}
	o.owner, o.slow = owner, true
	o.count = in.rc.NewCount(o)
	return o
}

// newSmallInts makes the immortal small ints of an interpreter with a
// RefCounter.
func (in *Interpreter) newSmallInts() {
	for v := smallIntMin; v <= smallIntMax; v++ {
		o := &Object{kind: IntKind, immortal: true, slow: true, i: v, interp: in}
		in.smallInts = append(in.smallInts, in.counted(o, nil))
	}
}

// smallInt returns the immortal object for v, or nil when v is not a small
// int or the interpreter has no RefCounter.
func (in *Interpreter) smallInt(v int) *Object {
	if in.rc == nil || v < smallIntMin || v > smallIntMax {
		return nil
	}
	return in.smallInts[v-smallIntMin]
}

// increfCounted is incref in an interpreter with a RefCounter.
func (t *Thread) increfCounted(o *Object) {
	if t.checks != 0 {
		t.touch(o)
	}
	t.rc.IncRef(t, o)
}

// decrefCounted is decref in an interpreter with a RefCounter.
func (t *Thread) decrefCounted(o *Object, in *instr) {
	if t.checks != 0 {
		t.check(o, true)
	}
	if t.rc.DecRef(t, o) {
		t.interp.release(o, t, in.String(), t.checks)
	}
}

// release frees o because the RefCounter said so, on behalf of t (nil
// outside any thread), doing what (an instruction). It records the free;
// with CheckFreed a second free of o panics. The object itself is only
// marked freed, never reused, so that a later use can be caught.
func (in *Interpreter) release(o *Object, t *Thread, what string, checks Checks) {
	if o.name != "" {
		interleave.PointAs(what, "frees "+o.name)
	}
	o.frees++
	o.freed = true
	if in.maxFrees >= 0 {
		in.mu.Lock()
		if in.maxFrees == 0 || len(in.frees) < in.maxFrees {
			in.frees = append(in.frees, Free{Object: o, Thread: t})
		}
		in.mu.Unlock()
	}
	if o.frees > 1 && checks&CheckFreed != 0 {
		panic(fmt.Sprintf("vm: %s freed twice: its count said to free it %d times", o.describe(), o.frees))
	}
}

// objectBy is Interpreter.object for an object made by owner (nil: by no
// thread), counted by the RefCounter if there is one; a small int is then
// the immortal one.
func (in *Interpreter) objectBy(v any, owner *Thread) *Object {
	if n, ok := v.(int); ok {
		if o := in.smallInt(n); o != nil {
			return o
		}
	}
	o := in.object(v)
	if o.immortal {
		return o
	}
	return in.counted(o, owner)
}

// object makes an object of t's interpreter from a Go value, made by t.
func (t *Thread) object(v any) *Object { return t.interp.objectBy(v, t) }

// dropGlobal drops a global's reference to old, which SetGlobal unbound,
// through the RefCounter, on owner (nil: outside any thread). old may be
// nil.
func (in *Interpreter) dropGlobal(old *Object, owner *Thread) {
	switch {
	case old == nil:
	case owner != nil:
		owner.decref(old, &storeGlobalInstr)
	case in.rc.DecRef(nil, old):
		in.release(old, nil, storeGlobalInstr.text, in.checks)
	}
}

// storeGlobalInstr stands for SetGlobal in traces.
var storeGlobalInstr = instr{text: "SetGlobal"}
