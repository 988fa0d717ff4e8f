// Package heap is a toy allocator for the lessons. It notices the two
// mistakes a racing reference count leads to, a block used after it was
// freed and a block freed twice, and turns each into a panic that names the
// block ("heap: foo used after it was freed").
//
// Free and Use are scheduling points under package interleave, recorded in
// the trace as "frees foo" and "uses foo", so a controlled run shows exactly
// when an object's memory went away. To the scheduler's partial-order
// reduction, a Use reads the block and a Free writes it: two Uses of one
// block commute, a Use and a Free do not.
package heap

import (
	"fmt"

	"github.com/racekit/racekit/pkg/internal/schedhook"
)

// Block is the memory of one object.
//
// A Block has no synchronisation of its own, as real memory has none: its
// users must order every Use before the Free, and call Free once. Unordered
// use is a data race that `go test -race` reports. The zero value is not
// usable; get blocks from Alloc. A Block must not be copied.
type Block struct {
	name  string // set by Alloc, read-only afterwards
	frees int    // how many times Free was called; unguarded on purpose
}

// Alloc returns a live block for the object named name.
func Alloc(name string) *Block {
	return &Block{name: name}
}

// Name returns the name the block was allocated for.
func (b *Block) Name() string { return b.name }

// point pauses a goroutine of a controlled run before it uses (write:
// false) or frees the block, and records label.
func (b *Block) point(write bool, label string) {
	if g := schedhook.Goroutine(); g != nil {
		op := schedhook.Op{Obj: b, Kind: "block", Write: write}
		g.Point(op)
		g.Mark(op, label)
	}
}

// Use touches the block's memory. It panics if the block was already freed.
func (b *Block) Use() {
	b.point(false, "uses "+b.name)
	if b.frees > 0 {
		panic(fmt.Sprintf("heap: %s used after it was freed", b.name))
	}
}

// Free releases the block. It panics if the block was already freed.
func (b *Block) Free() {
	b.point(true, "frees "+b.name)
	b.frees++
	if b.frees > 1 {
		panic(fmt.Sprintf("heap: %s freed twice (double free)", b.name))
	}
}

// Freed reports whether Free has been called. Freed and Frees are not
// scheduling points: call them where the Free is ordered before them (under
// the lock that guards it, or once every goroutine has finished).
func (b *Block) Freed() bool { return b.frees > 0 }

// Frees returns how many times Free has been called.
func (b *Block) Frees() int { return b.frees }
