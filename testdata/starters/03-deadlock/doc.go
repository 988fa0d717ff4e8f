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
package deadlock
