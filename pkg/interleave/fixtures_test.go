package interleave_test

import (
	"fmt"
	"sync"

	"github.com/racekit/racekit/pkg/interleave"
)

// object is the foo of the seed: a reference count, optionally guarded.
type object struct {
	mu       sync.Mutex // guards refcount when locked is set
	locked   bool
	refcount *interleave.Int
}

func (o *object) IncRef() {
	if o.locked {
		o.mu.Lock()
		defer o.mu.Unlock()
	}
	o.refcount.Set(o.refcount.Get() + 1)
}

func (o *object) DecRef() {
	if o.locked {
		o.mu.Lock()
		defer o.mu.Unlock()
	}
	o.refcount.Set(o.refcount.Get() - 1)
}

// fooTrace is two goroutines each taking and dropping a reference to foo.
func fooTrace(locked bool) interleave.Scenario {
	return interleave.Scenario{
		Name: "the foo trace: two threads take and drop a reference to foo (refcount starts at 1)",
		Setup: func(r *interleave.Run) {
			foo := &object{locked: locked, refcount: interleave.NewInt("foo.refcount", 1)}
			for _, name := range []string{"A", "B"} {
				r.Go(name, func() { foo.IncRef(); foo.DecRef() })
			}
			r.Finally(func() error {
				if n := foo.refcount.Get(); n != 1 {
					return fmt.Errorf("refcount is %d, but only foo's owner still holds it (want 1): foo leaks", n)
				}
				return nil
			})
		},
	}
}

// list has its own lock and an item count.
type list struct {
	mu    sync.Mutex // guards items
	items *interleave.Int
}

// move locks src, looks at it, then locks dst: two moves in opposite
// directions can each hold one lock and wait for the other.
func move(src, dst *list) {
	src.mu.Lock()
	defer src.mu.Unlock()
	n := src.items.Get()
	dst.mu.Lock()
	defer dst.mu.Unlock()
	src.items.Set(n - 1)
	dst.items.Set(dst.items.Get() + 1)
}

// abba is the AB-BA deadlock of two per-object locks.
func abba() interleave.Scenario {
	return interleave.Scenario{
		Name: "the AB-BA deadlock: A moves foo to bar while B moves bar to foo",
		Setup: func(r *interleave.Run) {
			foo := &list{items: interleave.NewInt("foo.items", 1)}
			bar := &list{items: interleave.NewInt("bar.items", 1)}
			r.Go("A", func() { move(foo, bar) })
			r.Go("B", func() { move(bar, foo) })
		},
	}
}

// fourPoints is two goroutines that each pause at four points (their start
// and three labelled points): 8!/(4!·4!) = 70 interleavings.
func fourPoints() interleave.Scenario {
	return interleave.Scenario{
		Name: "two goroutines with four points each",
		Setup: func(r *interleave.Run) {
			for _, name := range []string{"A", "B"} {
				r.Go(name, func() {
					for i := 1; i <= 3; i++ {
						interleave.Point(fmt.Sprintf("point %d", i))
					}
				})
			}
		},
	}
}
