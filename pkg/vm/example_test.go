package vm_test

import (
	"errors"
	"fmt"
	"os"

	"github.com/racekit/racekit/pkg/interleave"
	"github.com/racekit/racekit/pkg/vm"
)

// The seeds' countdown, run on one thread of an interpreter.
func Example() {
	prog := vm.MustAssemble("countdown.asm", `
func countdown(n)
loop:
    LOAD_FAST n
    LOAD_CONST 0
    COMPARE_OP >
    POP_JUMP_IF_FALSE done
    LOAD_FAST n
    LOAD_CONST 1
    BINARY_OP -
    STORE_FAST n
    JUMP loop
done:
    LOAD_FAST n
    RETURN_VALUE
end
`)
	interp := vm.New(vm.Config{})
	t := interp.NewThread("main")
	left, err := t.Call(prog, "countdown", 1000)
	fmt.Println(left, err, t.Instructions())
	// Output: 0 <nil> 9006
}

func ExampleDis() {
	prog := vm.MustAssemble("count.asm", `
# count(n): add n to the global total, then return it
func count(n)
    LOAD_GLOBAL total
    LOAD_FAST n
    BINARY_OP +
    STORE_GLOBAL total
    LOAD_GLOBAL total
    RETURN_VALUE
end
`)
	fmt.Print(vm.Dis(prog))
	// Output:
	// func count(n):
	//   4       0 LOAD_GLOBAL             0 (total)
	//   5       1 LOAD_FAST               0 (n)
	//   6       2 BINARY_OP               0 (+)
	//   7       3 STORE_GLOBAL            0 (total)
	//   8       4 LOAD_GLOBAL             0 (total)
	//   9       5 RETURN_VALUE
}

func ExampleAssemble_errors() {
	_, err := vm.Assemble("broken.asm", `
func broken(n)
    LOAD_FAST n
    BINARY_OP ^
    JUMP nowhere
end
`)
	fmt.Println(err)
	// Output:
	// vm: broken.asm:4: BINARY_OP needs an operator, one of + - * // %; got "^"
	// vm: broken.asm:5: JUMP nowhere: no label nowhere in func broken
}

// noLock is not a lock at all: every thread gets it at once.
type noLock struct{}

func (noLock) Acquire(*vm.Thread)       {}
func (noLock) Release(*vm.Thread) error { return nil }

// Without an interpreter lock, two threads that each take and drop a
// reference to foo can lose an update of its reference count: the seeds'
// foo trace, replayed step by step.
func Example_fooTrace() {
	prog := vm.MustAssemble("use.asm", `
func use()
    LOAD_GLOBAL foo
    POP_TOP
    LOAD_CONST None
    RETURN_VALUE
end
`)
	var foo *vm.Object
	res, _ := interleave.Replay("A*3 B*3 A B A B", interleave.Scenario{
		Name: "the foo trace",
		Setup: func(r *interleave.Run) {
			interp := vm.New(vm.Config{Lock: noLock{}})
			foo = interp.SetGlobal("foo", "spam")
			for _, name := range []string{"A", "B"} {
				t := interp.NewThread(name)
				r.Go(name, func() { t.Call(prog, "use") })
			}
		},
	})
	fmt.Println(res.Trace)
	fmt.Println("foo.refcount is", foo.RefCount())
	// Output:
	//   1. A  LOAD_GLOBAL foo  reads foo.refcount -> 1, writes 2
	//   2. B  LOAD_GLOBAL foo  reads foo.refcount -> 2, writes 3
	//   3. A  POP_TOP          reads foo.refcount -> 3
	//   4. B  POP_TOP          reads foo.refcount -> 3
	//   5. A  POP_TOP          writes 2
	//   6. B  POP_TOP          writes 2
	// foo.refcount is 2
}

// A builtin that waits lets go of the interpreter lock while it waits, and
// touches no object until it has the lock back.
func ExampleThread_ReleaseGIL() {
	prog := vm.MustAssemble("poll.asm", `
func poll(dev)
    LOAD_FAST dev
    CALL_BUILTIN wait 1
    RETURN_VALUE
end
`)
	interp := vm.New(vm.Config{Checks: vm.Debug})
	interp.Define("wait", func(t *vm.Thread, args []*vm.Object) (*vm.Object, error) {
		dev, err := t.Device(args[0]) // read the argument while holding the lock
		if err != nil {
			return nil, err
		}
		t.ReleaseGIL() // Py_BEGIN_ALLOW_THREADS
		v, ok := dev.Read()
		t.AcquireGIL() // Py_END_ALLOW_THREADS
		if !ok {
			return nil, errors.New("device closed")
		}
		return t.NewObject(v * 2), nil
	})
	disk := vm.NewDevice("disk")
	t := interp.NewThread("reader")
	t.Start(prog, "poll", disk)
	disk.Feed(21)
	fmt.Println(t.Join())
	// Output: 42 <nil>
}

// print writes to the interpreter's Stdout.
func ExamplePrint() {
	prog := vm.MustAssemble("hello.asm", `
func hello(who)
    LOAD_CONST "hello,"
    LOAD_FAST who
    CALL_BUILTIN print 2
    RETURN_VALUE
end
`)
	interp := vm.New(vm.Config{Stdout: os.Stdout})
	interp.NewThread("main").Call(prog, "hello", "world")
	// Output: hello, world
}
