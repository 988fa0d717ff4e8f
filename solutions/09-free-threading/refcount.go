package freethreading

import (
	"github.com/racekit/racekit/pkg/interleave"
	"github.com/racekit/racekit/pkg/sync/atomic"
	"github.com/racekit/racekit/pkg/vm"
)

// Counter does the reference counting of an interpreter that runs without
// a GIL (vm.Config{NoGIL: true, RefCounter: Counter{}}): the interpreter
// calls NewCount for every object it makes, IncRef for every reference a
// thread takes and DecRef for every reference a thread drops, and frees an
// object when DecRef says so. Its methods are called from many threads at
// once, for the same object too.
//
// It is PEP 703's biased reference counting. An object's owner, the
// thread that made it, counts its own references in a local count, with
// plain reads and writes: no other thread ever touches that count. Every
// other thread counts in a shared count, with atomic operations. When the
// owner's local count reaches zero, the owner gives the object up and
// merges the two: from then on the shared count alone says when the
// object dies. Immortal objects (None, True, False, the small ints) are
// never counted.
type Counter struct{}

// merged is the low bit of an object's shared word: set, in one atomic
// Add, when the owner has dropped its last reference. The other threads'
// references are counted above it, two at a time.
const merged = 1

// count is one object's count state: what NewCount makes, and what
// o.Count() returns for that object.
type count struct {
	// local is the owner's references (PEP 703's ob_ref_local). Only the
	// owner reads or writes it, so it needs no atomics.
	local *interleave.Int
	// gaveUp is set by the owner when it merged; only the owner reads it.
	gaveUp bool
	// shared is twice the other threads' references, plus merged once the
	// owner gave the object up (PEP 703's ob_ref_shared, whose low bits
	// are its state). It may go below zero while the owner holds on.
	shared atomic.Int64
}

// NewCount returns the count state of a new object o, with its maker's
// reference in the local count.
func (Counter) NewCount(o *vm.Object) any {
	return &count{local: interleave.NewInt(o.Name()+".local", 1)}
}

// IncRef records that thread t took a reference to o: in the local count
// if t owns o, else atomically in the shared one.
func (Counter) IncRef(t *vm.Thread, o *vm.Object) {
	if o.Immortal() {
		return
	}
	c := o.Count().(*count)
	if o.Owner() == t && !c.gaveUp {
		c.local.Set(c.local.Get() + 1)
		return
	}
	c.shared.Add(2)
}

// DecRef records that thread t dropped a reference to o, and reports
// whether o must be freed: when the owner's local count and the shared
// count are both at zero. Whichever of the owner's merge and the other
// threads' decrements comes last, in the shared word's one order of
// atomic operations, sees exactly merged and frees o.
func (Counter) DecRef(t *vm.Thread, o *vm.Object) bool {
	if o.Immortal() {
		return false
	}
	c := o.Count().(*count)
	if o.Owner() == t && !c.gaveUp {
		n := c.local.Get() - 1
		c.local.Set(n)
		if n > 0 {
			return false
		}
		c.gaveUp = true
		return c.shared.Add(merged) == merged // the merge
	}
	return c.shared.Add(-2) == merged
}
