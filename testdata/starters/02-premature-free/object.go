package prematurefree

import (
	"github.com/racekit/racekit/pkg/heap"
	"github.com/racekit/racekit/pkg/interleave"
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
// usable; create Objects with NewObject.
type Object struct {
	name     string          // set by NewObject, read-only afterwards
	refcount *interleave.Int // references held, the owner's included
	mem      *heap.Block     // the object's memory; freed when refcount reaches 0
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
	o.refcount.Set(o.refcount.Get() + 1)
}

// DecRef records that one reference to the object was dropped. When that was
// the last reference, it frees the object's memory.
func (o *Object) DecRef() {
	o.refcount.Set(o.refcount.Get() - 1)
	if o.refcount.Get() == 0 {
		o.mem.Free()
	}
}

// Use touches the object's memory. The caller must hold a reference.
func (o *Object) Use() {
	o.mem.Use()
}

// RefCount returns how many references to the object are held.
func (o *Object) RefCount() int {
	return o.refcount.Get()
}

// Freed reports whether the object's memory has been freed.
func (o *Object) Freed() bool {
	return o.mem.Freed()
}
