// Package lostupdate is the solution of racekit's lesson 01: an object's
// reference count that many goroutines can update at once without losing an
// update.
//
// An Object stands in for a CPython object. CPython frees an object when its
// reference count drops to 0, so a lost decrement leaks the object and a lost
// increment frees it while it is still in use. Here each Object guards its
// count with a sync.Mutex of its own; CPython instead guards every object
// with one lock for the whole interpreter, the GIL (lesson 04).
package lostupdate
