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
	name  string          // set by NewList, read-only afterwards
	mu    sync.Mutex      // guards items
	items *interleave.Int // how many items the list holds; never negative
}

// NewList returns a list called name that holds items items. Its count lives
// in a cell named "<name>.items", so the scheduler sees every read and write.
// Give every list a different name.
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
func Move(src, dst *List) bool {
	if src == dst {
		// One list, one lock: locking it twice would wait for ourselves.
		src.mu.Lock()
		defer src.mu.Unlock()
		return src.items.Get() > 0
	}

	src.mu.Lock()
	defer src.mu.Unlock()
	n := src.items.Get()
	if n == 0 {
		return false
	}
	dst.mu.Lock()
	defer dst.mu.Unlock()
	src.items.Set(n - 1)
	dst.items.Set(dst.items.Get() + 1)
	return true
}
