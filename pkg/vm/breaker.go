package vm

import "github.com/racekit/racekit/pkg/interleave"

// BreakerPlacement says where in the bytecode a thread checks the eval
// breaker, the place where it can drop the interpreter lock and let
// another thread in. Between two checks a thread keeps the lock, so no
// other thread of the interpreter runs; where the checks fall therefore
// decides which sequences of instructions another thread can come between.
//
// The zero value is EveryInterval.
type BreakerPlacement uint8

const (
	// EveryInterval checks every Config.CheckInterval instructions,
	// wherever that falls, as CPython did up to 3.9 (its checks came at
	// almost every instruction boundary): with CheckInterval 1, another
	// thread can come between any two instructions.
	EveryInterval BreakerPlacement = iota
	// BackwardJumpsAndCalls checks only at a jump to an earlier
	// instruction (after jumping) and at a CALL_BUILTIN (before calling),
	// as CPython 3.10 and later do. A run of instructions with neither in
	// it, such as the four of counter += 1, is never split by a switch;
	// one with a call in it, such as counter = counter + one(), still is.
	BackwardJumpsAndCalls
)

// String names the placement as the Go constant does.
func (p BreakerPlacement) String() string {
	if p == BackwardJumpsAndCalls {
		return "BackwardJumpsAndCalls"
	}
	return "EveryInterval"
}

// noIntervalChecks is the check interval under BackwardJumpsAndCalls: so
// long that counting instructions never reaches a check.
const noIntervalChecks = 1 << 62

// Watch makes every LOAD_GLOBAL and STORE_GLOBAL of the global name a step
// of a controlled run (package interleave), shown in its trace with the
// value loaded or stored:
//
//	A  LOAD_GLOBAL counter   reads counter -> 2
//	A  STORE_GLOBAL counter  writes 3 to counter
//
// so that a spec can see, and a schedule can choose, what other threads do
// between a thread's load of a global and its store. An int shows as its
// value; any other value as 0. Outside a run it changes nothing but a
// little speed.
//
// Call it before the interpreter's threads start, like SetGlobal.
func (in *Interpreter) Watch(name string) {
	in.mu.Lock()
	defer in.mu.Unlock()
	g := in.slotLocked(name)
	if g.watch == nil {
		g.watch = interleave.NewInt(name, 0)
	}
	if g.obj != nil {
		g.watch.Set(watchedValue(g.obj))
	}
}

// watchedValue is what a watched global's cell holds for o: its value if it
// is an int, else 0.
func watchedValue(o *Object) int {
	if o.kind == IntKind {
		return o.i
	}
	return 0
}
