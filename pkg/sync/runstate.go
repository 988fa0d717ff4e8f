package sync

import "sync/atomic"

// runState is what a lock or a Once knows only under a controlled run (who
// holds it, who waits), kept behind a pointer that every method makes on
// first use, in a run or not. fmt prints a pointer inside a struct as an
// address, so printing a lock (fmt.Sprintf("%#v", &mu)) looks the same in
// and out of runs: code under test cannot use it as interleave.InRun, to
// behave one way under the specs and another in a program.
//
// The zero value is ready to use; get may be called from many goroutines
// at once.
type runState[T any] struct {
	p atomic.Pointer[T] // made by the first get, never changed after
}

// get returns the state, making it on first use.
func (s *runState[T]) get() *T {
	if p := s.p.Load(); p != nil {
		return p
	}
	s.p.CompareAndSwap(nil, new(T))
	return s.p.Load()
}
