// Package gilnotlock is lesson 08 of racekit: the GIL switches between
// bytecodes, so Python code still races.
//
// Program is a program for racekit's tiny interpreter (pkg/vm) in which
// two threads each run count(n): n times, counter = counter + one(). The
// interpreter lock makes every instruction safe, but it can change hands
// between LOAD_GLOBAL counter and STORE_GLOBAL counter, and then an update
// is lost. Give the program a lock of its own, Python's threading.Lock
// (the builtins lock(), acquire(l) and release(l)), and write the builtin
// Acquire so that it lets go of the GIL while it waits for that lock.
// README.md walks through the trace in which an update is lost.
package gilnotlock
