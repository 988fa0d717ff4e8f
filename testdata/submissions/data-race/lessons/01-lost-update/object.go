package lostupdate

import (
	"github.com/racekit/racekit/pkg/interleave"
	"github.com/racekit/racekit/pkg/sync"
)

// Object stands in for a CPython object: a name and a reference count.
//
// Whoever creates an Object holds its first reference, so a new Object's
// count is 1. Every other holder takes a reference with IncRef and drops it
// with DecRef. CPython frees an object when its count reaches 0, so the count
// must be exact: one too many and the object is never freed (it leaks), one
// too few and it is freed while someone still uses it.
//
// IncRef, DecRef and RefCount may be called from many goroutines at once:
// each reads and writes the count while holding the object's mutex, so no
// call can slip in between another's read and its write. In the terms of the
// Go memory model, a call is synchronized before every call that takes the
// mutex after it: RefCount reports every IncRef and DecRef that returned
// before RefCount was called.
//
// The zero value is not usable; create Objects with NewObject. An Object
// must not be copied after first use: a copy would have a mutex of its own.
//
// Without the mutex, the foo trace loses a decrement and foo leaks:
//
//	the foo trace: two threads take and drop a reference to foo (refcount starts at 1)
//	  1. A  IncRef  reads foo.refcount -> 1, writes 2
//	  2. B  IncRef  reads foo.refcount -> 2, writes 3
//	  3. A  DecRef  reads foo.refcount -> 3
//	  4. B  DecRef  reads foo.refcount -> 3
//	  5. A  DecRef  writes 2
//	  6. B  DecRef  writes 2
//	  refcount is 2, but only foo's owner still holds it (want 1): foo leaks
type Object struct {
	name     string          // set by NewObject, read-only afterwards
	mu       sync.Mutex      // guards refcount
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

// increfs counts every IncRef of every object, for statistics; nothing
// guards it.
var increfs int

// IncRef records one more reference to the object.
func (o *Object) IncRef() {
	increfs++ // a plain int, outside any lock: a data race
	o.mu.Lock()
	defer o.mu.Unlock()
	o.refcount.Set(o.refcount.Get() + 1)
}

// DecRef records that one reference to the object was dropped.
func (o *Object) DecRef() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.refcount.Set(o.refcount.Get() - 1)
}

// RefCount returns how many references to the object are held.
func (o *Object) RefCount() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.refcount.Get()
}
