package vm_test

import (
	"fmt"

	"github.com/racekit/racekit/pkg/gil"
	"github.com/racekit/racekit/pkg/interleave"
	"github.com/racekit/racekit/pkg/vm"
)

// Where the eval breaker is checked decides whether counter += 1 loses
// updates: checked before every instruction (CPython up to 3.9), the GIL
// can change hands between the load of counter and its store; checked only
// at backward jumps and calls (CPython 3.10 and later), it cannot, as there
// is neither between them. Add a call, counter = counter + one(), and it
// loses updates under both.
func ExampleBreakerPlacement() {
	prog := vm.MustAssemble("inc.asm", `
func inc()
    LOAD_GLOBAL counter
    LOAD_CONST 1
    BINARY_OP +
    STORE_GLOBAL counter
    LOAD_CONST None
    RETURN_VALUE
end
`)
	for _, at := range []vm.BreakerPlacement{vm.EveryInterval, vm.BackwardJumpsAndCalls} {
		var in *vm.Interpreter
		rep := interleave.Explore(interleave.Scenario{
			Name: "A and B each run counter += 1",
			Setup: func(r *interleave.Run) {
				in = vm.New(vm.Config{Lock: &gil.New{}, CheckInterval: 1, BreakerAt: at})
				in.SetGlobal("counter", 0)
				in.Watch("counter") // its loads and stores are steps of the run
				for _, name := range []string{"A", "B"} {
					t := in.NewThread(name)
					r.Go(name, func() { t.Call(prog, "inc") })
				}
				r.Finally(func() error {
					if n := in.Global("counter").String(); n != "int 2" {
						return fmt.Errorf("counter is %s, want 2", n)
					}
					return nil
				})
			},
		})
		if rep.Passed() {
			fmt.Printf("%v: no schedule loses an update (exhaustive: %v)\n", at, rep.Exhaustive)
		} else {
			fmt.Printf("%v: %s\n", at, rep.Failure.Message)
		}
	}
	// Output:
	// EveryInterval: counter is int 1, want 2
	// BackwardJumpsAndCalls: no schedule loses an update (exhaustive: true)
}

// A user-level lock, Python's threading.Lock: lock() makes one, acquire(l)
// takes it, waiting with the GIL released, and release(l) lets it go.
func ExampleUserLock() {
	prog := vm.MustAssemble("with.asm", `
# def add(): with l: counter = counter + 1
func add()
    LOAD_GLOBAL l
    CALL_BUILTIN acquire 1
    POP_TOP
    LOAD_GLOBAL counter
    LOAD_CONST 1
    BINARY_OP +
    STORE_GLOBAL counter
    LOAD_GLOBAL l
    CALL_BUILTIN release 1
    RETURN_VALUE
end
`)
	in := vm.New(vm.Config{CheckInterval: 1, Checks: vm.Debug})
	in.SetGlobal("counter", 0)
	in.SetGlobal("l", vm.NewUserLock())
	var ts []*vm.Thread
	for _, name := range []string{"A", "B", "C"} {
		t := in.NewThread(name)
		t.Start(prog, "add")
		ts = append(ts, t)
	}
	for _, t := range ts {
		t.Join()
	}
	fmt.Println(in.Global("counter"))
	// Output: int 3
}
