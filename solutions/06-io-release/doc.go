// Package iorelease is lesson 06 of racekit: a builtin that blocks while
// holding the GIL stops every other thread of the interpreter.
//
// Read and Sleep are builtins of racekit's tiny interpreter (pkg/vm), the
// counterparts of C functions in CPython that read a file or call
// time.sleep. Each runs on a thread that holds the global interpreter lock,
// and each waits: for a device to have a value, or for time to pass. While
// they wait holding the lock, no other thread can run a single instruction.
// Make them release the lock around the wait, as CPython does with
// Py_BEGIN_ALLOW_THREADS and Py_END_ALLOW_THREADS, and touch no object while
// it is released. They need no lock of their own; a lesson that takes one
// takes it from the kit's sync (github.com/racekit/racekit/pkg/sync), whose
// every operation the specs' scheduler sees. README.md walks through the
// trace in which a reader blocked on a disk stops everyone, itself
// included.
package iorelease
