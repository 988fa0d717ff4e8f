// Package lazy holds a value behind a pointer made on first use.
package lazy

import "sync/atomic"

// Pointer is a *T made on the first Get and never changed after. The kit's
// locks keep state behind one that they must not show: fmt prints a pointer
// inside a struct as an address, so printing a lock shows nothing of what
// the pointer leads to (who holds it under a run, a GIL's timeline and its
// clock), which code under test could otherwise use to tell a spec from a
// program.
//
// The zero value is ready to use; Get may be called from many goroutines at
// once, and they all get the same *T. A Pointer must not be copied after
// first use.
type Pointer[T any] struct {
	p atomic.Pointer[T] // made by the first Get
}

// Get returns the value, making a zero T on first use.
func (l *Pointer[T]) Get() *T {
	if p := l.p.Load(); p != nil {
		return p
	}
	l.p.CompareAndSwap(nil, new(T))
	return l.p.Load()
}
