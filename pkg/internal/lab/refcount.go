package lab

import (
	"sync/atomic"

	"github.com/racekit/racekit/pkg/vm"
)

// The lab's two reference counters for an interpreter without a GIL
// (vm.Config{NoGIL: true, RefCounter: ...}), the two steps of lesson 09,
// written for speed: the lab times them, so they use the standard
// library's sync/atomic, which costs what the hardware's atomic
// instructions cost, and not the kit's instrumented pkg/sync/atomic or
// interleave.Int, which check for a controlled run on every operation.
// Both leave immortal objects (None, True, False, the small ints)
// uncounted, as the vm.RefCounter contract asks. Their methods are safe
// for concurrent use, for the same object too.

// atomicCounts counts every object's references in one shared count,
// changed by an atomic add on every IncRef and DecRef, whichever thread
// calls it: correct without a GIL, and every reference pays for an
// atomic read-modify-write. The zero value is ready to use.
type atomicCounts struct{}

// NewCount returns o's count: one reference, its maker's.
func (atomicCounts) NewCount(*vm.Object) any {
	refs := new(atomic.Int64)
	refs.Store(1)
	return refs
}

// IncRef adds one to o's count.
func (atomicCounts) IncRef(_ *vm.Thread, o *vm.Object) {
	if !o.Immortal() {
		o.Count().(*atomic.Int64).Add(1)
	}
}

// DecRef takes one from o's count and reports whether that left none.
func (atomicCounts) DecRef(_ *vm.Thread, o *vm.Object) bool {
	if o.Immortal() {
		return false
	}
	return o.Count().(*atomic.Int64).Add(-1) == 0
}

// biasedCounts is PEP 703's biased reference counting (Choi, Shull and
// Torrellas, 2018). Most objects are only ever used by the thread that
// made them, their owner ([vm.Object.Owner]), so the owner counts its own
// references with plain reads and writes, in a count no other thread
// touches; the other threads count theirs atomically, in a shared word.
// When the owner drops its last reference it lets go of the object: if
// the shared word is zero no other thread holds one and the object dies
// at once; otherwise the owner marks the shared word in the same atomic
// step that reads it, and from then on the shared count alone decides,
// the object dying when it reaches zero.
//
// Left out, as in lesson 09: PEP 703 queues an object to its owner when
// another thread's decrement takes the shared count below zero, so that
// an object whose owner's references were all dropped by other threads
// is still merged and freed. Here such an object is never freed (a leak,
// never an early or double free); the lab's programs drop the references
// they take on the thread that took them. The zero value is ready to use.
type biasedCounts struct{}

// The shared word of a biased count: the other threads' references, each
// worth sharedRef, and in the low bit ownerLetGo once the owner has
// dropped its last reference (PEP 703 keeps its merge state in the low
// bits of ob_ref_shared the same way).
const (
	ownerLetGo = 1
	sharedRef  = 2
)

// biasedCount is one object's counts under biasedCounts.
type biasedCount struct {
	// own is how many references the owner holds (PEP 703's
	// ob_ref_local); only the owner reads or writes it, and only until
	// letGo is set.
	own int
	// letGo is set by the owner when own reaches zero; only the owner
	// reads or writes it. After that the owner counts as any other thread.
	letGo bool
	// shared is the other threads' references times sharedRef, plus
	// ownerLetGo once the owner let go (ob_ref_shared). It changes only
	// atomically. It may be below zero while the owner holds on: a thread
	// may drop a reference that another one took.
	shared atomic.Int64
}

// NewCount returns o's counts: one reference, its maker's, which is its
// owner's (for an object no thread made, the nil thread's: the
// interpreter's own, dropped outside any thread).
func (biasedCounts) NewCount(*vm.Object) any { return &biasedCount{own: 1} }

// IncRef records t's new reference to o: plainly if t owns o and has not
// let go of it, atomically otherwise.
func (biasedCounts) IncRef(t *vm.Thread, o *vm.Object) {
	if o.Immortal() {
		return
	}
	c := o.Count().(*biasedCount)
	if t == o.Owner() && !c.letGo { // only the owner reads letGo
		c.own++
		return
	}
	c.shared.Add(sharedRef)
}

// DecRef records that t dropped a reference to o and reports whether o
// is now unreferenced: the owner's count and the shared one are both at
// zero. Exactly one DecRef says so, the one that makes the last change:
// the owner's letting go if the others' references were gone by then,
// else the other thread's decrement that finds the shared count at zero
// with the owner gone.
func (biasedCounts) DecRef(t *vm.Thread, o *vm.Object) bool {
	if o.Immortal() {
		return false
	}
	c := o.Count().(*biasedCount)
	if t != o.Owner() || c.letGo { // only the owner reads letGo
		return c.shared.Add(-sharedRef) == ownerLetGo
	}
	c.own--
	if c.own > 0 {
		return false
	}
	c.letGo = true
	// The count is own plus the shared count, and own is now zero: with
	// the shared word at zero nobody else holds a reference, so nobody can
	// take one, and o dies without an atomic write (PEP 703's fast path).
	if c.shared.Load() == 0 {
		return true
	}
	return c.shared.Add(ownerLetGo) == ownerLetGo
}
