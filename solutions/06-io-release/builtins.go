package iorelease

import (
	"fmt"
	"time"

	"github.com/racekit/racekit/pkg/vm"
)

// Read is the builtin read(device), like a C function of CPython that reads
// from a file or a socket: it waits until the device has a value and
// returns that value as a new int object. Reading a closed device is an
// error that names it.
//
// Read runs on the calling thread, which holds the interpreter lock (the
// GIL) when the call starts and must hold it again when the call returns.
// args are borrowed references, valid only while the thread holds the GIL.
//
// It lets go of the GIL while it waits, so that other threads run in the
// meantime, and touches no object until it holds the GIL again: it reads
// its argument before the release, keeps only plain Go values (the device,
// the value read) across the wait, and makes its result after the
// re-acquire. Waiting while holding the GIL instead stops every thread:
//
//	R: read(disk) takes the GIL, waits for the disk
//	W: needs the GIL to run, waits for R
//	F: would feed the disk once W is done, waits for W
//
// and nobody will ever go on.
func Read(t *vm.Thread, args []*vm.Object) (*vm.Object, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("read takes one argument, a device; got %d", len(args))
	}
	dev, err := t.Device(args[0]) // the last use of args: we hold the GIL
	if err != nil {
		return nil, err
	}
	t.ReleaseGIL() // Py_BEGIN_ALLOW_THREADS
	v, ok := dev.Read()
	t.AcquireGIL() // Py_END_ALLOW_THREADS, on every path
	if !ok {
		return nil, fmt.Errorf("device %s was closed", dev.Name())
	}
	return t.NewObject(v), nil
}

// Sleep is the builtin sleep(ms), like Python's time.sleep: it waits ms
// milliseconds and returns None. A negative length is an error.
//
// Like Read, it starts and must end holding the GIL, and lets go of it
// while it waits: four threads that each sleep 100 ms then take 100 ms in
// all, not 400.
func Sleep(t *vm.Thread, args []*vm.Object) (*vm.Object, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("sleep takes one argument, a number of milliseconds; got %d", len(args))
	}
	ms, err := t.Int(args[0]) // a plain int from here on
	if err != nil {
		return nil, err
	}
	if ms < 0 {
		return nil, fmt.Errorf("sleep length must be 0 or more, got %d", ms)
	}
	t.ReleaseGIL()
	time.Sleep(time.Duration(ms) * time.Millisecond)
	t.AcquireGIL()
	return nil, nil
}
