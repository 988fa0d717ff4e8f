// Package freethreading is lesson 09 of racekit: an interpreter without a
// GIL, as CPython's free-threaded build (3.13t, PEP 703) is, and the
// reference counting that keeps it safe.
//
// Counter does every incref and decref of racekit's tiny interpreter
// (pkg/vm) in its place. As the lesson starts it counts as CPython did
// under the GIL: one plain count per object, read, changed and written
// back. With the GIL gone, two threads that run LOAD_GLOBAL foo at the
// same time lose an update, as in lesson 01. Make the counts atomic, with
// the kit's sync/atomic (github.com/racekit/racekit/pkg/sync/atomic), whose
// every operation the specs' scheduler sees; then make them cheap, with
// PEP 703's biased reference counting and immortal objects. README.md
// walks through the trace and both steps.
package freethreading
