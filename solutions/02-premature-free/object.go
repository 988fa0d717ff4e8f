package prematurefree

import (
	"github.com/racekit/racekit/pkg/heap"
	"github.com/racekit/racekit/pkg/interleave"
	"github.com/racekit/racekit/pkg/sync"
)

// Object stands in for a CPython object: a name, a reference count and the
// memory the object lives in.
//
// Whoever creates an Object holds its first reference, so a new Object's
// count is 1. Every other holder takes a reference with IncRef and drops it
// with DecRef. As in CPython, the object's memory is freed when the count
// reaches 0, so the count must be exact: one too many and the memory is never
// freed (a leak), one too few and it is freed while someone still uses it.
//
// IncRef, DecRef, Use and RefCount may be called from many goroutines at
// once, by goroutines that each hold a reference. The zero value is not
// usable; create Objects with NewObject. An Object must not be copied.
//
// Every change to the count happens with mu held, and so does the decision
// to free: the DecRef whose decrement brings the count to 0 is the only one
// that sees 0, so the memory is freed exactly once, and only after every
// other DecRef, and every Use before it, has happened.
//
// Locking the decrement alone is not enough. This DecRef
//
//	o.mu.Lock()
//	o.refcount.Set(o.refcount.Get() - 1)
//	o.mu.Unlock()
//	if o.refcount.Get() == 0 { // too late: another DecRef may have run
//		o.mem.Free()
//	}
//
// frees twice when the last two holders drop foo together:
//
//	A  DecRef  reads foo.refcount -> 2, writes 1
//	B  DecRef  reads foo.refcount -> 1, writes 0
//	A  DecRef  reads foo.refcount -> 0
//	B  DecRef  reads foo.refcount -> 0
//	A  DecRef  frees foo
//	B  DecRef  frees foo   (double free)
type Object struct {
	name     string          // set by NewObject, read-only afterwards
	mu       sync.Mutex      // guards refcount and the decision to free mem
	refcount *interleave.Int // references held, the owner's included
	mem      *heap.Block     // the object's memory; freed once, when refcount reaches 0
}

// NewObject returns an object named name holding one reference, its
// creator's, with its memory allocated. The count lives in an interleave.Int
// named "<name>.refcount", so the tests' scheduler can pause a goroutine at
// each read and write of it.
func NewObject(name string) *Object {
	return &Object{
		name:     name,
		refcount: interleave.NewInt(name+".refcount", 1),
		mem:      heap.Alloc(name),
	}
}

// Name returns the name the object was created with.
func (o *Object) Name() string { return o.name }

// IncRef records one more reference to the object. The caller must already
// hold a reference, or have been handed one by someone who does.
func (o *Object) IncRef() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.refcount.Set(o.refcount.Get() + 1)
}

// DecRef records that one reference to the object was dropped. When that was
// the last reference, it frees the object's memory.
func (o *Object) DecRef() {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := o.refcount.Get() - 1
	o.refcount.Set(n)
	if n == 0 { // decided on our own decrement, with the lock still held
		o.mem.Free()
	}
}

// Use touches the object's memory. The caller must hold a reference.
func (o *Object) Use() {
	o.mem.Use()
}

// RefCount returns how many references to the object are held.
func (o *Object) RefCount() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.refcount.Get()
}

// Freed reports whether the object's memory has been freed.
func (o *Object) Freed() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.mem.Freed()
}
