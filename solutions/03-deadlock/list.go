package deadlock

import (
	"github.com/racekit/racekit/pkg/interleave"
	"github.com/racekit/racekit/pkg/sync"
)

// List stands in for a Python list shared between threads. Like every object
// in an interpreter without a global lock, it carries a lock of its own, and
// its item count is read and written only while that lock is held. The lock
// is the kit's sync.Mutex, so the specs' scheduler sees every Lock and Unlock.
//
// Create lists with NewList. A List must not be copied after first use.
type List struct {
	name  string          // set by NewList, read-only afterwards; orders the locks
	mu    sync.Mutex      // guards items
	items *interleave.Int // how many items the list holds; never negative
}

// NewList returns a list called name that holds items items. Its count lives
// in a cell named "<name>.items", so the scheduler sees every read and write.
// Give every list a different name: Move orders the locks by name.
func NewList(name string, items int) *List {
	return &List{name: name, items: interleave.NewInt(name+".items", items)}
}

// Name returns the name the list was created with.
func (l *List) Name() string { return l.name }

// Len returns how many items l holds.
func (l *List) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.items.Get()
}

// Move takes one item off the end of src and appends it to dst. It holds both
// lists' locks while it does, so no other goroutine ever sees the item in
// both lists or in neither. It reports false, and changes nothing, when src
// is empty.
//
// Move(l, l) takes an item off l and puts it straight back: l is unchanged,
// and Move reports whether l had an item to move.
//
// Every Move takes the two locks in the same global order, by list name,
// whichever list is src. Taking src's lock first instead deadlocks as soon as
// two goroutines move in opposite directions:
//
//	A: Move(foo, bar) locks foo    B: Move(bar, foo) locks bar
//	A: reads foo.items, locks bar  B: reads bar.items, locks foo
//	A waits for B's lock, B waits for A's: neither will ever go on.
//
// With one order both goroutines ask for bar's lock first; one gets it, the
// other waits holding nothing, and nobody can wait in a cycle.
//
// Holding one lock at a time (lock src, take the item, unlock; lock dst, add
// it, unlock) cannot deadlock either, but it splits the move in two: between
// the two critical sections the item is in neither list, and a Len of each
// list can see it there. Move holds both locks until the item is in dst.
func Move(src, dst *List) bool {
	if src == dst {
		// One list, one lock: locking it twice would wait for ourselves.
		src.mu.Lock()
		defer src.mu.Unlock()
		return src.items.Get() > 0
	}

	first, second := src, dst
	if dst.name < src.name {
		first, second = dst, src
	}
	first.mu.Lock()
	defer first.mu.Unlock()
	second.mu.Lock()
	defer second.mu.Unlock()

	n := src.items.Get()
	if n == 0 {
		return false
	}
	src.items.Set(n - 1)
	dst.items.Set(dst.items.Get() + 1)
	return true
}
