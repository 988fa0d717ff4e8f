package lostupdate

import "github.com/racekit/racekit/pkg/interleave"

// Object stands in for a CPython object: a name and a reference count.
//
// Whoever creates an Object holds its first reference, so a new Object's
// count is 1. Every other holder takes a reference with IncRef and drops it
// with DecRef. CPython frees an object when its count reaches 0, so the count
// must be exact: one too many and the object is never freed (it leaks), one
// too few and it is freed while someone still uses it.
//
// IncRef, DecRef and RefCount may be called from many goroutines at once.
// The zero value is not usable; create Objects with NewObject.
type Object struct {
	name     string          // set by NewObject, read-only afterwards
	refcount *interleave.Int // references held, the owner's included
}

// NewObject returns an object named name holding one reference, its
// creator's. The count lives in an interleave.Int named "<name>.refcount",
// so the tests' scheduler can pause a goroutine at each read and write of it.
func NewObject(name string) *Object {
	return &Object{name: name, refcount: interleave.NewInt(name+".refcount", 1)}
}

// Name returns the name the object was created with.
func (o *Object) Name() string { return o.name }

// IncRef records one more reference to the object.
func (o *Object) IncRef() {
	o.refcount.Set(o.refcount.Get() + 1)
}

// DecRef records that one reference to the object was dropped.
func (o *Object) DecRef() {
	o.refcount.Set(o.refcount.Get() - 1)
}

// RefCount returns how many references to the object are held.
func (o *Object) RefCount() int {
	return o.refcount.Get()
}
