// Package lostupdate is lesson 01 of racekit: two goroutines update one
// object's reference count at the same time and one of the updates is lost.
//
// An Object stands in for a CPython object. CPython frees an object when its
// reference count drops to 0, so a count that misses a decrement keeps a dead
// object alive forever (a leak), and a count that misses an increment frees
// an object someone still uses. Make IncRef and DecRef safe to call from many
// goroutines at once; README.md explains the trace that breaks them.
package lostupdate
