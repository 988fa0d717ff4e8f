// Package prematurefree is lesson 02 of racekit: an object whose reference
// count loses an increment is freed while a goroutine still holds it, and a
// DecRef that decides to free outside its critical section frees twice.
//
// The Object is lesson 01's, now with memory that really goes away: when the
// last reference is dropped, DecRef frees it, and any later Use of it panics
// ("heap: foo used after it was freed"). Make IncRef and DecRef safe to call
// from many goroutines at once, so that the object is freed exactly once,
// exactly when its last reference is dropped. README.md walks through the two
// traces that break the code as it stands.
package prematurefree
