// Package atomic is the standard library's sync/atomic, seen by racekit's
// scheduler: the typed atomics ([Int32], [Int64], [Uint32], [Uint64],
// [Uintptr], [Bool], [Pointer] and [Value]) with their methods.
//
// Outside a controlled run each type wraps its standard library counterpart,
// with the same memory-model promise: all the atomic operations executed in
// a program behave as though executed in some sequentially consistent
// order, and an operation that observes the effect of another is
// synchronized after it. Inside a run every operation is a scheduling point
// recorded in the trace ("adds 1 to foo.refcount: 2"), so a schedule can put
// another goroutine between two atomic operations, though never inside one.
//
// The package-level functions of sync/atomic (AddInt64 on a plain int64 and
// the rest) are not provided: use the types.
package atomic

import (
	"fmt"
	stdatomic "sync/atomic"

	"github.com/racekit/racekit/pkg/internal/schedhook"
)

// noCopy may be embedded into structs which must not be copied after first
// use; go vet's copylocks check reports copies.
type noCopy struct{}

func (*noCopy) Lock()   {}
func (*noCopy) Unlock() {}

// do runs one atomic operation: outside a run it just calls f; inside one
// it pauses before it and records what it did.
func do[T any](obj any, kind string, write bool, verb string, f func() (T, string)) T {
	g := schedhook.Goroutine()
	if g == nil {
		v, _ := f()
		return v
	}
	op := schedhook.Op{Obj: obj, Kind: kind, Write: write}
	g.Point(op)
	v, detail := f()
	g.Did(op, verb, detail)
	return v
}

func show(v any) string { return fmt.Sprintf(": %v", v) }

// An Int32 is an atomic int32. The zero value is zero. An Int32 must not be
// copied after first use.
type Int32 struct {
	_ noCopy
	v stdatomic.Int32
}

// Load atomically loads and returns the value stored in x.
func (x *Int32) Load() int32 {
	return do(x, "atomic.Int32", false, "loads", func() (int32, string) { v := x.v.Load(); return v, show(v) })
}

// Store atomically stores val into x.
func (x *Int32) Store(val int32) {
	do(x, "atomic.Int32", true, "stores in", func() (int32, string) { x.v.Store(val); return val, show(val) })
}

// Swap atomically stores new into x and returns the previous value.
func (x *Int32) Swap(new int32) (old int32) {
	return do(x, "atomic.Int32", true, "swaps", func() (int32, string) {
		old := x.v.Swap(new)
		return old, fmt.Sprintf(": %d for %d", old, new)
	})
}

// CompareAndSwap executes the compare-and-swap operation for x.
func (x *Int32) CompareAndSwap(old, new int32) (swapped bool) {
	return do(x, "atomic.Int32", true, "compares and swaps", func() (bool, string) { return cas(x.v.CompareAndSwap(old, new), old, new) })
}

// Add atomically adds delta to x and returns the new value.
func (x *Int32) Add(delta int32) (new int32) {
	return do(x, "atomic.Int32", true, fmt.Sprintf("adds %d to", delta), func() (int32, string) { v := x.v.Add(delta); return v, show(v) })
}

// And atomically performs a bitwise AND operation on x using the bitmask
// provided as mask and returns the old value.
func (x *Int32) And(mask int32) (old int32) {
	return do(x, "atomic.Int32", true, fmt.Sprintf("ANDs %#x into", mask), func() (int32, string) { v := x.v.And(mask); return v, fmt.Sprintf(": was %d", v) })
}

// Or atomically performs a bitwise OR operation on x using the bitmask
// provided as mask and returns the old value.
func (x *Int32) Or(mask int32) (old int32) {
	return do(x, "atomic.Int32", true, fmt.Sprintf("ORs %#x into", mask), func() (int32, string) { v := x.v.Or(mask); return v, fmt.Sprintf(": was %d", v) })
}

// An Int64 is an atomic int64. The zero value is zero. An Int64 must not be
// copied after first use.
type Int64 struct {
	_ noCopy
	v stdatomic.Int64
}

// Load atomically loads and returns the value stored in x.
func (x *Int64) Load() int64 {
	return do(x, "atomic.Int64", false, "loads", func() (int64, string) { v := x.v.Load(); return v, show(v) })
}

// Store atomically stores val into x.
func (x *Int64) Store(val int64) {
	do(x, "atomic.Int64", true, "stores in", func() (int64, string) { x.v.Store(val); return val, show(val) })
}

// Swap atomically stores new into x and returns the previous value.
func (x *Int64) Swap(new int64) (old int64) {
	return do(x, "atomic.Int64", true, "swaps", func() (int64, string) {
		old := x.v.Swap(new)
		return old, fmt.Sprintf(": %d for %d", old, new)
	})
}

// CompareAndSwap executes the compare-and-swap operation for x.
func (x *Int64) CompareAndSwap(old, new int64) (swapped bool) {
	return do(x, "atomic.Int64", true, "compares and swaps", func() (bool, string) { return cas(x.v.CompareAndSwap(old, new), old, new) })
}

// Add atomically adds delta to x and returns the new value.
func (x *Int64) Add(delta int64) (new int64) {
	return do(x, "atomic.Int64", true, fmt.Sprintf("adds %d to", delta), func() (int64, string) { v := x.v.Add(delta); return v, show(v) })
}

// And atomically performs a bitwise AND operation on x using the bitmask
// provided as mask and returns the old value.
func (x *Int64) And(mask int64) (old int64) {
	return do(x, "atomic.Int64", true, fmt.Sprintf("ANDs %#x into", mask), func() (int64, string) { v := x.v.And(mask); return v, fmt.Sprintf(": was %d", v) })
}

// Or atomically performs a bitwise OR operation on x using the bitmask
// provided as mask and returns the old value.
func (x *Int64) Or(mask int64) (old int64) {
	return do(x, "atomic.Int64", true, fmt.Sprintf("ORs %#x into", mask), func() (int64, string) { v := x.v.Or(mask); return v, fmt.Sprintf(": was %d", v) })
}

// A Uint32 is an atomic uint32. The zero value is zero. A Uint32 must not
// be copied after first use.
type Uint32 struct {
	_ noCopy
	v stdatomic.Uint32
}

// Load atomically loads and returns the value stored in x.
func (x *Uint32) Load() uint32 {
	return do(x, "atomic.Uint32", false, "loads", func() (uint32, string) { v := x.v.Load(); return v, show(v) })
}

// Store atomically stores val into x.
func (x *Uint32) Store(val uint32) {
	do(x, "atomic.Uint32", true, "stores in", func() (uint32, string) { x.v.Store(val); return val, show(val) })
}

// Swap atomically stores new into x and returns the previous value.
func (x *Uint32) Swap(new uint32) (old uint32) {
	return do(x, "atomic.Uint32", true, "swaps", func() (uint32, string) {
		old := x.v.Swap(new)
		return old, fmt.Sprintf(": %d for %d", old, new)
	})
}

// CompareAndSwap executes the compare-and-swap operation for x.
func (x *Uint32) CompareAndSwap(old, new uint32) (swapped bool) {
	return do(x, "atomic.Uint32", true, "compares and swaps", func() (bool, string) { return cas(x.v.CompareAndSwap(old, new), old, new) })
}

// Add atomically adds delta to x and returns the new value.
func (x *Uint32) Add(delta uint32) (new uint32) {
	return do(x, "atomic.Uint32", true, fmt.Sprintf("adds %d to", delta), func() (uint32, string) { v := x.v.Add(delta); return v, show(v) })
}

// And atomically performs a bitwise AND operation on x using the bitmask
// provided as mask and returns the old value.
func (x *Uint32) And(mask uint32) (old uint32) {
	return do(x, "atomic.Uint32", true, fmt.Sprintf("ANDs %#x into", mask), func() (uint32, string) { v := x.v.And(mask); return v, fmt.Sprintf(": was %d", v) })
}

// Or atomically performs a bitwise OR operation on x using the bitmask
// provided as mask and returns the old value.
func (x *Uint32) Or(mask uint32) (old uint32) {
	return do(x, "atomic.Uint32", true, fmt.Sprintf("ORs %#x into", mask), func() (uint32, string) { v := x.v.Or(mask); return v, fmt.Sprintf(": was %d", v) })
}

// A Uint64 is an atomic uint64. The zero value is zero. A Uint64 must not
// be copied after first use.
type Uint64 struct {
	_ noCopy
	v stdatomic.Uint64
}

// Load atomically loads and returns the value stored in x.
func (x *Uint64) Load() uint64 {
	return do(x, "atomic.Uint64", false, "loads", func() (uint64, string) { v := x.v.Load(); return v, show(v) })
}

// Store atomically stores val into x.
func (x *Uint64) Store(val uint64) {
	do(x, "atomic.Uint64", true, "stores in", func() (uint64, string) { x.v.Store(val); return val, show(val) })
}

// Swap atomically stores new into x and returns the previous value.
func (x *Uint64) Swap(new uint64) (old uint64) {
	return do(x, "atomic.Uint64", true, "swaps", func() (uint64, string) {
		old := x.v.Swap(new)
		return old, fmt.Sprintf(": %d for %d", old, new)
	})
}

// CompareAndSwap executes the compare-and-swap operation for x.
func (x *Uint64) CompareAndSwap(old, new uint64) (swapped bool) {
	return do(x, "atomic.Uint64", true, "compares and swaps", func() (bool, string) { return cas(x.v.CompareAndSwap(old, new), old, new) })
}

// Add atomically adds delta to x and returns the new value.
func (x *Uint64) Add(delta uint64) (new uint64) {
	return do(x, "atomic.Uint64", true, fmt.Sprintf("adds %d to", delta), func() (uint64, string) { v := x.v.Add(delta); return v, show(v) })
}

// And atomically performs a bitwise AND operation on x using the bitmask
// provided as mask and returns the old value.
func (x *Uint64) And(mask uint64) (old uint64) {
	return do(x, "atomic.Uint64", true, fmt.Sprintf("ANDs %#x into", mask), func() (uint64, string) { v := x.v.And(mask); return v, fmt.Sprintf(": was %d", v) })
}

// Or atomically performs a bitwise OR operation on x using the bitmask
// provided as mask and returns the old value.
func (x *Uint64) Or(mask uint64) (old uint64) {
	return do(x, "atomic.Uint64", true, fmt.Sprintf("ORs %#x into", mask), func() (uint64, string) { v := x.v.Or(mask); return v, fmt.Sprintf(": was %d", v) })
}

// A Uintptr is an atomic uintptr. The zero value is zero. A Uintptr must
// not be copied after first use.
type Uintptr struct {
	_ noCopy
	v stdatomic.Uintptr
}

// Load atomically loads and returns the value stored in x.
func (x *Uintptr) Load() uintptr {
	return do(x, "atomic.Uintptr", false, "loads", func() (uintptr, string) { v := x.v.Load(); return v, show(v) })
}

// Store atomically stores val into x.
func (x *Uintptr) Store(val uintptr) {
	do(x, "atomic.Uintptr", true, "stores in", func() (uintptr, string) { x.v.Store(val); return val, show(val) })
}

// Swap atomically stores new into x and returns the previous value.
func (x *Uintptr) Swap(new uintptr) (old uintptr) {
	return do(x, "atomic.Uintptr", true, "swaps", func() (uintptr, string) {
		old := x.v.Swap(new)
		return old, fmt.Sprintf(": %d for %d", old, new)
	})
}

// CompareAndSwap executes the compare-and-swap operation for x.
func (x *Uintptr) CompareAndSwap(old, new uintptr) (swapped bool) {
	return do(x, "atomic.Uintptr", true, "compares and swaps", func() (bool, string) { return cas(x.v.CompareAndSwap(old, new), old, new) })
}

// Add atomically adds delta to x and returns the new value.
func (x *Uintptr) Add(delta uintptr) (new uintptr) {
	return do(x, "atomic.Uintptr", true, fmt.Sprintf("adds %d to", delta), func() (uintptr, string) { v := x.v.Add(delta); return v, show(v) })
}

// A Bool is an atomic boolean value. The zero value is false. A Bool must
// not be copied after first use.
type Bool struct {
	_ noCopy
	v stdatomic.Bool
}

// Load atomically loads and returns the value stored in x.
func (x *Bool) Load() bool {
	return do(x, "atomic.Bool", false, "loads", func() (bool, string) { v := x.v.Load(); return v, show(v) })
}

// Store atomically stores val into x.
func (x *Bool) Store(val bool) {
	do(x, "atomic.Bool", true, "stores in", func() (bool, string) { x.v.Store(val); return val, show(val) })
}

// Swap atomically stores new into x and returns the previous value.
func (x *Bool) Swap(new bool) (old bool) {
	return do(x, "atomic.Bool", true, "swaps", func() (bool, string) {
		old := x.v.Swap(new)
		return old, fmt.Sprintf(": %v for %v", old, new)
	})
}

// CompareAndSwap executes the compare-and-swap operation for the boolean
// value x.
func (x *Bool) CompareAndSwap(old, new bool) (swapped bool) {
	return do(x, "atomic.Bool", true, "compares and swaps", func() (bool, string) { return cas(x.v.CompareAndSwap(old, new), old, new) })
}

// A Pointer is an atomic pointer of type *T. The zero value is a nil *T. A
// Pointer must not be copied after first use.
type Pointer[T any] struct {
	_ noCopy
	v stdatomic.Pointer[T]
}

// Load atomically loads and returns the value stored in x.
func (x *Pointer[T]) Load() *T {
	return do(x, "atomic.Pointer", false, "loads", func() (*T, string) { v := x.v.Load(); return v, showPtr(v) })
}

// Store atomically stores val into x.
func (x *Pointer[T]) Store(val *T) {
	do(x, "atomic.Pointer", true, "stores in", func() (*T, string) { x.v.Store(val); return val, showPtr(val) })
}

// Swap atomically stores new into x and returns the previous value.
func (x *Pointer[T]) Swap(new *T) (old *T) {
	return do(x, "atomic.Pointer", true, "swaps", func() (*T, string) { old := x.v.Swap(new); return old, "" })
}

// CompareAndSwap executes the compare-and-swap operation for x.
func (x *Pointer[T]) CompareAndSwap(old, new *T) (swapped bool) {
	return do(x, "atomic.Pointer", true, "compares and swaps", func() (bool, string) {
		if x.v.CompareAndSwap(old, new) {
			return true, ": swapped"
		}
		return false, ": not swapped"
	})
}

func showPtr[T any](p *T) string {
	if p == nil {
		return ": nil"
	}
	return ""
}

// A Value provides an atomic load and store of a consistently typed value,
// as sync/atomic's Value does. The zero value for a Value returns nil from
// Load. A Value must not be copied after first use.
type Value struct {
	_ noCopy
	v stdatomic.Value
}

// Load returns the value set by the most recent Store, or nil if there has
// been no call to Store for this Value.
func (v *Value) Load() (val any) {
	return do(v, "atomic.Value", false, "loads", func() (any, string) { x := v.v.Load(); return x, show(x) })
}

// Store sets the value of the Value v to val. All calls to Store for a
// given Value must use values of the same concrete type; Store of an
// inconsistent type panics, as does Store(nil).
func (v *Value) Store(val any) {
	do(v, "atomic.Value", true, "stores in", func() (any, string) { v.v.Store(val); return val, show(val) })
}

// Swap stores new into Value and returns the previous value. It returns nil
// if the Value is empty.
func (v *Value) Swap(new any) (old any) {
	return do(v, "atomic.Value", true, "swaps", func() (any, string) { old := v.v.Swap(new); return old, "" })
}

// CompareAndSwap executes the compare-and-swap operation for the Value.
func (v *Value) CompareAndSwap(old, new any) (swapped bool) {
	return do(v, "atomic.Value", true, "compares and swaps", func() (bool, string) {
		if v.v.CompareAndSwap(old, new) {
			return true, ": swapped"
		}
		return false, ": not swapped"
	})
}

// cas describes the outcome of a compare-and-swap for the trace.
func cas[T any](swapped bool, old, new T) (bool, string) {
	if swapped {
		return true, fmt.Sprintf(": %v -> %v", old, new)
	}
	return false, fmt.Sprintf(": not %v, unchanged", old)
}
