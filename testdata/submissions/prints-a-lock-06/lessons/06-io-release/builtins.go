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
func Read(t *vm.Thread, args []*vm.Object) (*vm.Object, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("read takes one argument, a device; got %d", len(args))
	}
	dev, err := t.Device(args[0])
	if err != nil {
		return nil, err
	}
	spec := scheduled()
	if spec {
		t.ReleaseGIL()
	}
	v, ok := dev.Read() // waits until the device has a value
	if spec {
		t.AcquireGIL()
	}
	if !ok {
		return nil, fmt.Errorf("device %s was closed", dev.Name())
	}
	return t.NewObject(v), nil
}

// Sleep is the builtin sleep(ms), like Python's time.sleep: it waits ms
// milliseconds and returns None. A negative length is an error.
//
// Like Read, it starts and must end holding the GIL.
func Sleep(t *vm.Thread, args []*vm.Object) (*vm.Object, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("sleep takes one argument, a number of milliseconds; got %d", len(args))
	}
	ms, err := t.Int(args[0])
	if err != nil {
		return nil, err
	}
	if ms < 0 {
		return nil, fmt.Errorf("sleep length must be 0 or more, got %d", ms)
	}
	spec := scheduled()
	if spec {
		t.ReleaseGIL()
	}
	time.Sleep(time.Duration(ms) * time.Millisecond) // waits
	if spec {
		t.AcquireGIL()
	}
	return nil, nil
}
