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
// Keep the two functions and what count does: n times, counter = counter +
// one(), with the builtin one() the specs define. Add what a Python
// programmer would add, a lock: lock() makes one, acquire(l) takes it and
// release(l) lets it go.
const Program = `
# def setup():
#     global counter
#     counter = 0
func setup()
    LOAD_CONST 0
    STORE_GLOBAL counter
    LOAD_CONST None
    RETURN_VALUE
end

# def count(n):
#     global counter
#     while n > 0:
#         counter = counter + one()
#         n = n - 1
func count(n)
loop:
    LOAD_FAST n
    LOAD_CONST 0
    COMPARE_OP >
    POP_JUMP_IF_FALSE done
    LOAD_GLOBAL counter
    CALL_BUILTIN one 0
    BINARY_OP +
    STORE_GLOBAL counter
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
// Like every builtin it runs on the calling thread, which holds the
// interpreter lock (the GIL) when the call starts and must hold it again
// when the call returns; args are borrowed references, valid only while
// the thread holds the GIL. t.UserLock(args[0]) reads the lock.
func Acquire(t *vm.Thread, args []*vm.Object) (*vm.Object, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("acquire takes one argument, a lock; got %d", len(args))
	}
	l, err := t.UserLock(args[0])
	if err != nil {
		return nil, err
	}
	l.Acquire(t) // waits until the lock is free, and takes it
	return nil, nil
}
