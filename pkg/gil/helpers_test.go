package gil_test

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/gil"
	"github.com/racekit/racekit/pkg/interleave"
	"github.com/racekit/racekit/pkg/vm"
)

// spinProgram is a CPU-bound thread for fake time: spin(n, ms) calls
// busy(ms) n times, and busy "computes" for ms milliseconds by sleeping
// while it holds the GIL (inside a testing/synctest bubble bytecode takes no
// time at all, so sleeping with the lock held is how a thread holds it for
// a while). An iteration is 9 instructions, none of which the VM fuses into
// a superinstruction, so eval-breaker checks fall exactly every
// CheckInterval instructions.
var spinProgram = vm.MustAssemble("spin.asm", `
func spin(n, ms)
loop:
    LOAD_FAST ms
    CALL_BUILTIN busy 1
    POP_TOP
    LOAD_CONST -1
    LOAD_FAST n
    BINARY_OP +
    STORE_FAST n
    LOAD_FAST n
    POP_JUMP_IF_TRUE loop
    LOAD_CONST None
    RETURN_VALUE
end
`)

// busy is the builtin busy(ms): it sleeps ms milliseconds without letting
// go of the GIL, like C code that computes and never releases the lock.
func busy(t *vm.Thread, args []*vm.Object) (*vm.Object, error) {
	ms, err := t.Int(args[0])
	if err != nil {
		return nil, err
	}
	time.Sleep(time.Duration(ms) * time.Millisecond)
	return nil, nil
}

// spinner is one thread of a fake-time scenario: it runs spin(rounds, ms).
type spinner struct{ rounds, ms int }

// runSpinners runs A and B on one interpreter under lock, with an
// eval-breaker check every checkInterval instructions and every debug
// check on, inside a testing/synctest bubble. A starts first and is
// computing, holding the GIL, when B starts and asks for it. It returns when
// both have finished, and expects both to finish cleanly.
func runSpinners(lock vm.Lock, checkInterval int, a, b spinner) {
	var outs []outcome
	inBubble(func() {
		interp := vm.New(vm.Config{Lock: lock, CheckInterval: checkInterval, Checks: vm.Debug})
		interp.Define("busy", busy)
		waitA := start(interp.NewThread("A"), spinProgram, "spin", a.rounds, a.ms)
		synctest.Wait() // A holds the GIL and computes
		waitB := start(interp.NewThread("B"), spinProgram, "spin", b.rounds, b.ms)
		outs = []outcome{waitA(), waitB()}
	})
	ExpectWithOffset(1, outs).To(FinishCleanly(), "both threads run their spin to the end")
}

// shareProgram takes and drops references to the named globals foo and bar,
// n times, and calls yield (which lets go of the GIL for a moment) every
// time.
var shareProgram = vm.MustAssemble("share.asm", `
func share(n)
loop:
    LOAD_GLOBAL foo
    LOAD_GLOBAL bar
    POP_TOP
    POP_TOP
    CALL_BUILTIN yield 0
    POP_TOP
    LOAD_CONST -1
    LOAD_FAST n
    BINARY_OP +
    STORE_FAST n
    LOAD_FAST n
    POP_JUMP_IF_TRUE loop
    LOAD_CONST None
    RETURN_VALUE
end
`)

// touchProgram takes and drops a reference to the named global foo, n
// times: under the controlled scheduler each change of foo's count is a
// step, so a thread can be paused while it holds the GIL.
var touchProgram = vm.MustAssemble("touch.asm", `
func touch(n)
again:
    LOAD_GLOBAL foo
    POP_TOP
    LOAD_CONST -1
    LOAD_FAST n
    BINARY_OP +
    STORE_FAST n
    LOAD_FAST n
    POP_JUMP_IF_TRUE again
    LOAD_CONST None
    RETURN_VALUE
end
`)

// touchers is a scenario for the controlled scheduler: A and B each run
// touch(3) under the lock made by lock, checking every 4 instructions. The
// lock it used is left in *used.
func touchers(lock func() timelined, used *timelined) interleave.Scenario {
	return interleave.Scenario{
		Name: "A and B each touch foo three times",
		Setup: func(r *interleave.Run) {
			l := lock()
			*used = l
			interp := vm.New(vm.Config{Lock: l, CheckInterval: 4, Checks: vm.Debug})
			interp.SetGlobal("foo", "spam")
			for _, name := range []string{"A", "B"} {
				th := interp.NewThread(name)
				r.Go(name, func() {
					if _, err := th.Call(touchProgram, "touch", 3); err != nil {
						panic(err)
					}
				})
			}
		},
	}
}

// yield is the builtin yield(): it lets go of the GIL, lets the Go
// scheduler run something else, and takes the GIL back, so that the
// threads of a free-running hammer really hand the GIL around.
func yield(t *vm.Thread, _ []*vm.Object) (*vm.Object, error) {
	t.ReleaseGIL()
	runtime.Gosched()
	t.AcquireGIL()
	return nil, nil
}

// useProgram takes and drops one reference to foo: the seeds' foo trace.
var useProgram = vm.MustAssemble("use.asm", `
func use()
    LOAD_GLOBAL foo
    POP_TOP
    LOAD_CONST None
    RETURN_VALUE
end
`)

// timelined is what both locks of the package offer a spec.
type timelined interface {
	vm.Lock
	Switches() int
	Timeline() gil.Timeline
	Holder() *vm.Thread
}

// inBubble runs f in a testing/synctest bubble and returns when every
// goroutine f started has finished. f must not make assertions: it records
// what happened, and the spec asserts afterwards, outside the bubble.
func inBubble(f func()) {
	synctest.Test(suiteT, func(*testing.T) { f() })
}

// outcome is what a thread run in a spec returned, or how it panicked.
type outcome struct {
	result any
	err    error
	panic  any
}

func (o outcome) String() string {
	if o.panic != nil {
		return fmt.Sprintf("panicked: %v", o.panic)
	}
	if o.err != nil {
		return "failed: " + o.err.Error()
	}
	return fmt.Sprintf("returned %v", o.result)
}

// start runs th.Call on a new goroutine and returns a function that waits
// for it and says how it went. A panic (a CheckGIL panic, say) is caught
// and reported, not left to crash the test binary.
func start(th *vm.Thread, p *vm.Program, fn string, args ...any) func() outcome {
	var (
		out outcome
		wg  sync.WaitGroup
	)
	wg.Go(func() {
		defer func() { out.panic = recover() }()
		out.result, out.err = th.Call(p, fn, args...)
	})
	return func() outcome {
		wg.Wait()
		return out
	}
}
