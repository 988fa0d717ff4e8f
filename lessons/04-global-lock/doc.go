// Package globallock is lesson 04 of racekit: one lock for the whole
// interpreter, CPython's global interpreter lock (GIL).
//
// Lessons 01 to 03 put a lock on every object and met deadlock. CPython took
// one lock for the whole interpreter instead, with one rule: a thread must
// hold it to run bytecode. Here the interpreter is racekit's small VM
// (package vm), and its lock is yours to write: GIL, in gil.go, must let one
// thread at a time run, record which thread that is, refuse a release by any
// other thread, and let every thread have its turn. It is built from the
// kit's sync (github.com/racekit/racekit/pkg/sync), which has the standard
// library's API and lets the specs' scheduler see every Lock and Unlock.
// README.md walks through the trace in which two VM threads, with no lock
// between them, lose a drop of foo's reference count.
package globallock
