package gil_test

import (
	"fmt"
	"time"

	"github.com/racekit/racekit/pkg/gil"
	"github.com/racekit/racekit/pkg/interleave"
	"github.com/racekit/racekit/pkg/vm"
)

// An interpreter takes the new GIL for each call and drops it at the end;
// the lock's timeline says who held it when.
func Example() {
	prog := vm.MustAssemble("add.asm", `
func add(a, b)
    LOAD_FAST a
    LOAD_FAST b
    BINARY_OP +
    RETURN_VALUE
end
`)
	lock := &gil.New{}
	interp := vm.New(vm.Config{Lock: lock, Checks: vm.Debug})
	main := interp.NewThread("main")
	fmt.Println(main.Call(prog, "add", 2, 3))
	fmt.Println(main.Call(prog, "add", 4, 5))
	fmt.Println(lock.Timeline().Untimed())
	fmt.Println("switches:", lock.Switches())
	// Output:
	// 5 <nil>
	// 9 <nil>
	//   1. main  takes the GIL
	//   2. main  drops the GIL
	//   3. main  takes the GIL
	//   4. main  drops the GIL
	// switches: 0
}

// Under the controlled scheduler, with A holding the GIL and B asking for
// it, the old GIL wakes B at each of A's drops but A takes it back first;
// the new GIL makes A hand it over. The schedule "A B" lets A start, then
// B, and then never preempts a thread that can go on.
func Example_convoy() {
	prog := vm.MustAssemble("touch.asm", `
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
	for _, lock := range []interface {
		vm.Lock
		Timeline() gil.Timeline
	}{&gil.Old{}, &gil.New{}} {
		interleave.Replay("A B", interleave.Scenario{
			Name: "A and B each touch foo three times",
			Setup: func(r *interleave.Run) {
				interp := vm.New(vm.Config{Lock: lock, CheckInterval: 4, Checks: vm.Debug})
				interp.SetGlobal("foo", "spam")
				for _, name := range []string{"A", "B"} {
					t := interp.NewThread(name)
					r.Go(name, func() { t.Call(prog, "touch", 3) })
				}
			},
		})
		fmt.Printf("%T: turns %v\n", lock, lock.Timeline().Turns())
	}
	// Output:
	// *gil.Old: turns [A B]
	// *gil.New: turns [A B A]
}

// A chart of the new GIL's hand-off: B waits (.) while A holds the GIL
// (#), asks for it after 5 ms and gets it at A's next check, at 6 ms.
func ExampleTimeline_Chart() {
	at := func(ms int) time.Time {
		return time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(ms) * time.Millisecond)
	}
	tl := gil.Timeline{Events: []gil.Event{
		{Seq: 1, Time: at(0), Thread: "A", Kind: gil.Acquired},
		{Seq: 2, Time: at(0), Thread: "B", Kind: gil.Waiting, Other: "A"},
		{Seq: 3, Time: at(5), Thread: "B", Kind: gil.Requested, Other: "A"},
		{Seq: 4, Time: at(6), Thread: "A", Kind: gil.Released, OnRequest: true},
		{Seq: 5, Time: at(6), Thread: "A", Kind: gil.AwaitingSwitch},
		{Seq: 6, Time: at(6), Thread: "B", Kind: gil.Acquired, Other: "A"},
		{Seq: 7, Time: at(9), Thread: "B", Kind: gil.Released},
	}}
	fmt.Println(tl.Chart(time.Millisecond))
	fmt.Println(tl.SpanString())
	fmt.Println(tl.Check())
	// Output:
	// A |######   |
	// B |......###|
	//    0s    9ms
	// A [0s, 6ms]  B [6ms, 9ms]
	// <nil>
}
