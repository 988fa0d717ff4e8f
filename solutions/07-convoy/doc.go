// Package convoy is lesson 07 of racekit: the old GIL starves I/O-bound
// threads, and CPython 3.2's new GIL fixes it with a switch interval, a
// drop request and forced switching.
//
// GIL, in gil.go, is the interpreter lock of racekit's small VM (package
// vm). As it stands it is CPython 2's lock: the VM drops it and takes it
// straight back at every eval-breaker check, and a thread that computes
// wins it back every time, so a thread that comes back from I/O waits until
// the computing thread has finished. Make it the lock of
// Python/ceval_gil.c: a waiter waits one switch interval, then asks the
// holder to drop the lock; the holder drops it at its next check and
// cannot take it back before another thread has had it. It is built from
// the kit's sync (github.com/racekit/racekit/pkg/sync), whose
// Cond.WaitTimeout is the timed wait the lock needs. README.md shows the
// convoy, in fake time, and what the new GIL still costs.
package convoy
