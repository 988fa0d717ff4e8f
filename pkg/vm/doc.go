// Package vm is a tiny bytecode interpreter that stands in for CPython in
// the lessons: threads that share reference-counted objects, one interpreter
// lock, and builtins that compute, sleep or wait for a device.
//
// Programs are written in a short assembly text, one instruction a line,
// with the instruction names Python's dis module prints, and assembled by
// [Assemble]; [Dis] lists them back. An [Interpreter] holds the objects,
// globals and builtins its threads share, and the lock ([Lock], the GIL)
// that lets one of its threads run at a time. A [Thread] runs a function
// of a program on a goroutine.
//
// As in CPython, every object has a reference count and every instruction
// that pushes or drops a reference changes it: LOAD_GLOBAL foo adds one,
// POP_TOP drops one, and at zero the object is freed. The counts have no
// lock of their own; the interpreter lock is what keeps two threads from
// updating one at the same time. Take it away and the counts race:
// `go test -race` reports it, and under package interleave the objects
// made by [Interpreter.SetGlobal] show every read and write of their count
// as a step of the trace:
//
//	the foo trace, replayed on two threads of an interpreter without a lock
//	  1. A  LOAD_GLOBAL foo  reads foo.refcount -> 1, writes 2
//	  2. B  LOAD_GLOBAL foo  reads foo.refcount -> 2, writes 3
//
// Every [Config.CheckInterval] instructions a thread reaches the eval
// breaker: if its lock asks for it ([DropRequester]), or if the lock does
// not implement DropRequester at all (CPython 2's behaviour), the thread
// drops the lock and takes it again, which lets a waiting thread in. Builtins that
// wait release the lock around the wait with [Thread.ReleaseGIL] and
// [Thread.AcquireGIL], as C code does with Py_BEGIN_ALLOW_THREADS and
// Py_END_ALLOW_THREADS, and touch no object in between. Debug checks
// ([Checks]) turn the two classic mistakes, touching an object without the
// lock and using an object after it was freed, into panics that name the
// object and the threads.
//
// With [Config.NoGIL] an interpreter has no lock at all, as CPython's
// free-threaded build (3.13t, PEP 703) has none: its threads run bytecode
// at the same time, and its reference counts race unless a [RefCounter]
// ([Config.RefCounter]) made for that does every incref and decref in the
// VM's place. The VM still frees what the counter says to free, and
// records it ([Interpreter.Frees]).
//
// Where the checks fall is [Config.BreakerAt]: every CheckInterval
// instructions, or only at backward jumps and calls, as in CPython 3.10
// and later. Either way the lock changes hands between instructions, so a
// read-modify-write of a global that spans a check, such as counter =
// counter + one(), still loses updates: the GIL is not a lock for the
// program's own data. Programs take a user-level lock for that, Python's
// threading.Lock ([UserLock]: the builtins lock(), acquire(l) and
// release(l)); [Interpreter.Watch] shows a global's loads and stores in a
// controlled run's trace.
//
// Interpreters share nothing: an object belongs to the interpreter that
// made it and is refused by any other, so threads of different
// interpreters run in parallel, like Python processes.
//
// Like CPython 3.11 the interpreter quickens code: a few common pairs of
// instructions run as one (LOAD_FAST then LOAD_CONST; COMPARE_OP then a
// conditional jump), and x = x op c on an int that only x refers to
// updates it in place. The results, the reference counts and the
// instruction counts are those of the plain instructions. On the
// countdown(5,000,000) of the course's source notebook (lesson 05), the VM
// takes about two thirds of the time CPython 3.11 takes on the same machine
// (BenchmarkCountdownVsCPython). Ints are Go ints, not Python's unbounded
// ones.
package vm
