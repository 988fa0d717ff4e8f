package vm

import (
	"errors"
	"fmt"
	"strings"

	"github.com/racekit/racekit/pkg/interleave"
	"github.com/racekit/racekit/pkg/internal/schedhook"
)

// Thread is a thread of an interpreter. It runs on whichever goroutine calls
// [Thread.Call], or on its own goroutine after [Thread.Start], holding the
// interpreter lock while it runs bytecode.
//
// A Thread runs one call at a time; it is not safe for concurrent use.
// Create threads with [Interpreter.NewThread].
type Thread struct {
	name   string       // read-only
	interp *Interpreter // read-only
	checks Checks       // the interpreter's; read-only
	rc     RefCounter   // the interpreter's; read-only
	holds  bool         // whether this thread holds the lock; used by its own goroutine only
	ran    int64        // instructions run so far; used by its own goroutine only
	// at is the instruction of the last eval-breaker check or builtin
	// call, for Instr; written by its own goroutine, read by a controlled
	// run's reports while every goroutine is paused.
	at *instr
	// touched is the first touch of an object without the GIL that the
	// debug checks caught since the running builtin was called, kept in
	// case a recover hid its panic; used by its own goroutine only.
	touched string

	done   chan struct{} // closed when a Start finishes
	result any           // written before done is closed
	err    error         // written before done is closed
}

// Name returns the thread's name; a nil thread is "nobody".
func (t *Thread) Name() string {
	if t == nil {
		return "nobody"
	}
	return t.name
}

// Interpreter returns the interpreter the thread belongs to.
func (t *Thread) Interpreter() *Interpreter { return t.interp }

// Instructions returns how many instructions the thread has run. Read it
// from the thread's goroutine or after Join.
func (t *Thread) Instructions() int64 { return t.ran }

// Instr returns the instruction the thread is at, as traces show it
// ("CALL_BUILTIN acquire 1"): the builtin call it is in, or the
// instruction at which it last checked the eval breaker (where a thread
// that dropped the GIL there waits to take it back). It is "" before the
// thread's first check or builtin call. A controlled run's reports read it
// while every goroutine is paused; otherwise read it from the thread's
// goroutine.
func (t *Thread) Instr() string {
	if t == nil || t.at == nil {
		return ""
	}
	return t.at.text
}

// HoldsGIL reports whether the thread holds the interpreter lock, as far as
// the VM knows: between its acquiring the lock and its releasing it.
func (t *Thread) HoldsGIL() bool { return t.holds }

// Call runs the function fn of p on the calling goroutine and returns its
// result as a Go value (nil, bool, int, string or *Device). It takes the
// interpreter lock first and releases it when fn returns.
//
// args are Go values of those types, or objects of this interpreter; an
// object of another interpreter is refused with an error.
func (t *Thread) Call(p *Program, fn string, args ...any) (any, error) {
	f := p.Func(fn)
	if f == nil {
		var names []string
		for _, f := range p.funcs {
			names = append(names, f.name)
		}
		return nil, fmt.Errorf("vm: program %s has no function %s (it has %s)", p.name, fn, strings.Join(names, ", "))
	}
	if len(args) != len(f.params) {
		return nil, fmt.Errorf("vm: %s(%s) takes %s, got %d", f.name, strings.Join(f.params, ", "), plural(len(f.params), "argument"), len(args))
	}
	for i, a := range args {
		if err := checkValue(a); err != nil {
			return nil, fmt.Errorf("vm: argument %d of %s: %w", i+1, f.name, err)
		}
		if o, ok := a.(*Object); ok && o.interp != t.interp {
			return nil, fmt.Errorf("vm: argument %d of %s, object %s, belongs to interpreter %s; thread %s runs in interpreter %s, "+
				"and objects cannot cross interpreters: pass a plain value (an int or a string) instead", i+1, f.name, o.describe(), o.interp.name, t.name, t.interp.name)
		}
	}
	b, err := t.interp.bind(p, f)
	if err != nil {
		return nil, err
	}
	if t.checks&CheckGIL != 0 {
		// So that Object's methods and Global can tell which thread calls
		// them, and check that it holds the GIL.
		defer t.interp.runsOn(t)()
		t.touched = "" // from a call that died of its panic
	}
	defer func(start int64) { t.interp.ran.Add(t.ran - start) }(t.ran)
	t.at = nil
	t.AcquireGIL()
	returned := false
	defer func() {
		switch {
		case !t.holds:
		case returned:
			t.ReleaseGIL()
		default:
			// The thread is dying of a panic. Let the lock go so that
			// the other threads can go on, but quietly: a second panic
			// from a lock that refuses would hide the first. A thread
			// that a controlled run is stopping leaves both alone: the
			// run's state is thrown away, and every thread of it unwinds
			// at once.
			t.holds = false
			if !t.interp.nogil && !schedhook.Stopped() {
				if t.interp.holder == t {
					t.interp.holder = nil
				}
				_ = t.interp.lock.Release(t)
			}
		}
	}()
	locals := make([]*Object, len(f.locals), len(f.locals)+f.maxStack)
	for i, a := range args {
		if o, ok := a.(*Object); ok {
			t.incref(o, &callInstr)
			locals[i] = o
		} else {
			locals[i] = t.object(a)
		}
	}
	res, err := t.eval(b, locals)
	if err != nil {
		returned = true
		return nil, err
	}
	v := res.value()
	t.decref(res, &returnInstr)
	returned = true
	return v, nil
}

// callInstr and returnInstr stand for the VM itself in traces, for the
// references it takes to a call's arguments and drops from its result.
var (
	callInstr   = instr{text: "CALL"}
	returnInstr = instr{text: "RETURN"}
)

// Start runs Call on a new goroutine; Join waits for it.
func (t *Thread) Start(p *Program, fn string, args ...any) {
	t.done = make(chan struct{})
	go func() {
		defer close(t.done)
		t.result, t.err = t.Call(p, fn, args...)
	}()
}

// Join waits for the call started by Start and returns its result.
func (t *Thread) Join() (any, error) {
	if t.done == nil {
		return nil, errors.New("vm: Join of thread " + t.name + ", which was not started")
	}
	<-t.done
	return t.result, t.err
}

// AcquireGIL takes the interpreter lock, blocking until it is free: the
// second half of CPython's Py_BEGIN_ALLOW_THREADS / Py_END_ALLOW_THREADS.
// It panics if the thread already holds it.
func (t *Thread) AcquireGIL() {
	if t.holds {
		panic(fmt.Sprintf("vm: thread %s acquires the GIL it already holds", t.name))
	}
	t.holds = true
	if t.interp.nogil { // PEP 703: the thread only attaches
		return
	}
	t.interp.lock.Acquire(t)
	t.interp.holder = t
}

// ReleaseGIL lets go of the interpreter lock so that other threads can run
// while this one waits: Py_BEGIN_ALLOW_THREADS. Until AcquireGIL, the thread
// must not touch any object (with CheckGIL, doing so panics). It panics if
// the thread does not hold the lock, or if the lock refuses the release.
func (t *Thread) ReleaseGIL() {
	if !t.holds {
		panic(fmt.Sprintf("vm: thread %s releases the GIL, which it does not hold", t.name))
	}
	t.holds = false
	if t.interp.nogil { // PEP 703: the thread only detaches
		return
	}
	if t.interp.holder == t {
		t.interp.holder = nil
	}
	if err := t.interp.lock.Release(t); err != nil {
		panic(fmt.Sprintf("vm: thread %s could not release the GIL: %v", t.name, err))
	}
}

// evalBreaker is the check a thread makes every CheckInterval instructions:
// if the lock asks for it (or does not say), drop the lock and take it
// again, so that a waiting thread can get it in between.
func (t *Thread) evalBreaker(in *instr) {
	t.at = in
	if t.interp.nogil { // no GIL to drop
		return
	}
	if d := t.interp.dropper; d != nil && !d.DropRequested(t) {
		return
	}
	t.ReleaseGIL()
	interleave.PointAs(in.text, "drops the GIL")
	t.AcquireGIL()
}

// Value returns o's value as a Go value (nil, bool, int, string or
// *Device). Builtins use it to read their arguments; with CheckGIL it
// panics if t does not hold the lock.
func (t *Thread) Value(o *Object) any {
	t.touch(o)
	return o.value()
}

// Int returns o's value if it is an int, else an error naming its type.
func (t *Thread) Int(o *Object) (int, error) {
	t.touch(o)
	if o.kind != IntKind {
		return 0, fmt.Errorf("want an int, got %s %s", o.kind, o.repr())
	}
	return o.i, nil
}

// Device returns o's device if it is one, else an error naming its type.
func (t *Thread) Device(o *Object) (*Device, error) {
	t.touch(o)
	if o.kind != DeviceKind {
		return nil, fmt.Errorf("want a device, got %s %s", o.kind, o.repr())
	}
	return o.dev, nil
}

// NewObject returns a new object of t's interpreter holding v (an int,
// string, bool, nil or *Device) with one reference, for a builtin to
// return. With CheckGIL it panics if t does not hold the lock.
func (t *Thread) NewObject(v any) *Object {
	if t.checks&CheckGIL != 0 && t.interp.holder != t {
		panic(fmt.Sprintf("vm: thread %s creates an object without holding the GIL", t.name))
	}
	return t.object(v)
}
