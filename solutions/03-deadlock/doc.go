// Package deadlock is lesson 03 of racekit: many locks invite deadlock.
//
// Every List carries its own lock, as every object would in a CPython without
// a global interpreter lock, and Move holds the locks of both lists it moves
// an item between. Two Moves in opposite directions need the same two locks;
// if each takes them in its own order, each can end up holding one lock while
// it waits forever for the other: a deadlock. Make Move take its locks in one
// global order (or make every list share one lock), so that no combination of
// Moves can deadlock. README.md walks through the AB-BA trace that deadlocks
// the code as it stands.
//
// The lock is a sync.Mutex from the kit's sync package,
// github.com/racekit/racekit/pkg/sync, which has the standard library's API.
// Inside the specs' controlled runs every Lock and Unlock is a scheduling
// point that the trace shows ("locks foo.mu"), so the scheduler can stop a
// goroutine that holds one list's lock before it asks for the other's, and
// knows who waits for which lock. The standard library's sync hides both, and
// the specs turn it away.
package deadlock
