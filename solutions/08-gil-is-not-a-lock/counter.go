package gilnotlock

import (
	"fmt"

	"github.com/racekit/racekit/pkg/vm"
)

// Program is the bytecode the specs run, in the assembly text of pkg/vm
// (see vm.Assemble; Python in the comments). The specs call setup() once,
// then count(n) on two threads at once, and read counter when both are
// done.
//
// The GIL keeps each instruction whole, but it can change hands at the
// eval-breaker check of any of the four instructions of counter = counter
// + one(): at the call of one() in CPython 3.10 and later, almost anywhere
// up to 3.9. So the update takes a lock of the program's own, made once in
// setup() and held from the load of counter until after its store:
//
//	with l:
//	    counter = counter + one()
const Program = `
# def setup():
#     global counter, l
#     counter = 0
#     l = threading.Lock()
func setup()
    LOAD_CONST 0
    STORE_GLOBAL counter
    CALL_BUILTIN lock 0
    STORE_GLOBAL l
    LOAD_CONST None
    RETURN_VALUE
end

# def count(n):
#     global counter
#     while n > 0:
#         with l:
#             counter = counter + one()
#         n = n - 1
func count(n)
loop:
    LOAD_FAST n
    LOAD_CONST 0
    COMPARE_OP >
    POP_JUMP_IF_FALSE done
    LOAD_GLOBAL l
    CALL_BUILTIN acquire 1
    POP_TOP
    LOAD_GLOBAL counter
    CALL_BUILTIN one 0
    BINARY_OP +
    STORE_GLOBAL counter
    LOAD_GLOBAL l
    CALL_BUILTIN release 1
    POP_TOP
    LOAD_FAST n
    LOAD_CONST 1
    BINARY_OP -
    STORE_FAST n
    JUMP loop
done:
    LOAD_CONST None
    RETURN_VALUE
end
`

// Acquire is the builtin acquire(l), Python's l.acquire(): it waits until
// the lock l (made by the builtin lock()) is free, takes it and returns
// None.
//
// It waits with the GIL released, as CPython's lock.acquire() does: the
// thread that holds l may need the GIL to get to its release(l), so a
// waiter that kept the GIL would wait for it for ever while it waited for
// the waiter (A holds l and waits for the GIL; B holds the GIL and waits
// for l). The argument is read before the release, and nothing but the
// *vm.UserLock, a Go value safe without the GIL, is used until the GIL is
// back.
func Acquire(t *vm.Thread, args []*vm.Object) (*vm.Object, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("acquire takes one argument, a lock; got %d", len(args))
	}
	l, err := t.UserLock(args[0]) // the last use of args
	if err != nil {
		return nil, err
	}
	t.ReleaseGIL() // Py_BEGIN_ALLOW_THREADS
	l.Acquire(t)
	t.AcquireGIL() // Py_END_ALLOW_THREADS
	return nil, nil
}
