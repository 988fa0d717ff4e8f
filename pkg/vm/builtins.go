package vm

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/racekit/racekit/pkg/internal/schedhook"
)

// Builtin is a function that bytecode calls with CALL_BUILTIN, like a C
// function of CPython. It runs on the calling thread, which holds the
// interpreter lock, and gets the arguments as borrowed references: it must
// not keep them. It returns a new object (nil for None), or an error that
// stops the thread.
//
// A builtin that waits (for time, for a device) should release the lock
// while it waits, with [Thread.ReleaseGIL] and [Thread.AcquireGIL], and touch
// no object in between.
type Builtin func(t *Thread, args []*Object) (*Object, error)

// defaultBuiltins are the builtins every interpreter starts with.
var defaultBuiltins = map[string]Builtin{
	"cpu":   Cpu,
	"sleep": Sleep,
	"read":  Read,
	"print": Print,
	// threading.Lock: lock(), acquire(l), release(l)
	"lock":    MakeLock,
	"acquire": AcquireLock,
	"release": ReleaseLock,
}

// Cpu is the builtin cpu(n): n units of CPU work done in Go, like a C
// extension that computes without releasing the GIL. It returns a checksum
// of the work so that the work cannot be skipped.
func Cpu(t *Thread, args []*Object) (*Object, error) {
	n, err := oneInt(t, "cpu", args)
	if err != nil {
		return nil, err
	}
	return t.NewObject(Work(n)), nil
}

// Work does n units of CPU work and returns a checksum of it. One unit is a
// few nanoseconds.
func Work(n int) int {
	x := uint32(2463534242)
	for range n {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
	}
	return int(x & 0xffff)
}

// Sleep is the builtin sleep(ms): it waits ms milliseconds with the
// interpreter lock released, as time.sleep does.
func Sleep(t *Thread, args []*Object) (*Object, error) {
	ms, err := oneInt(t, "sleep", args)
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

// Read is the builtin read(device): it waits, with the interpreter lock
// released, until the device has a value, and returns it.
func Read(t *Thread, args []*Object) (*Object, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("read takes one argument, a device; got %d", len(args))
	}
	dev, err := t.Device(args[0])
	if err != nil {
		return nil, err
	}
	t.ReleaseGIL()
	v, ok := dev.Read()
	t.AcquireGIL()
	if !ok {
		return nil, fmt.Errorf("device %s was closed", dev.Name())
	}
	return t.NewObject(v), nil
}

// Print is the builtin print(args...): it writes the values, separated by
// spaces, and a newline to the interpreter's Stdout.
func Print(t *Thread, args []*Object) (*Object, error) {
	parts := make([]string, len(args))
	for i, o := range args {
		t.touch(o)
		parts[i] = o.repr()
	}
	_, err := fmt.Fprintln(t.interp.stdout, strings.Join(parts, " "))
	return nil, err
}

func oneInt(t *Thread, name string, args []*Object) (int, error) {
	if len(args) != 1 {
		return 0, fmt.Errorf("%s takes one argument, an int; got %d", name, len(args))
	}
	return t.Int(args[0])
}

// Device is an input device that a spec controls: reads block until the
// spec feeds a value. It is safe for concurrent use. Create devices with
// NewDevice.
//
// Under a controlled run (package interleave), Feed, Close and Read are
// scheduling points, and a Read with nothing to read waits as the trace
// shows ("waits for disk #1 to be fed") until a Feed or a Close lets it go
// on: the scheduler sees the wait itself, not a goroutine blocked in a
// select, so exploring keeps its partial-order reduction and a deadlock is
// reported at once.
type Device struct {
	name   string   // read-only
	values chan int // fed values not yet read
	closed chan struct{}
}

// NewDevice returns a device named name with nothing to read yet. It can
// hold up to 64 fed values that were not read yet.
func NewDevice(name string) *Device {
	return &Device{name: name, values: make(chan int, 64), closed: make(chan struct{})}
}

// Name returns the device's name.
func (d *Device) Name() string { return d.name }

// Feed makes v available to one read. It panics if more than 64 values
// wait unread, or if the device was closed.
func (d *Device) Feed(v int) {
	g := schedhook.Goroutine()
	if g != nil {
		g.Point(d.op())
	}
	select {
	case <-d.closed:
		panic(errors.New("vm: Feed on closed device " + d.name))
	default:
	}
	select {
	case d.values <- v:
	default:
		panic(errors.New("vm: device " + d.name + " already holds 64 unread values"))
	}
	if g != nil {
		g.Mark(d.op(), fmt.Sprintf("feeds %s %d", d.name, v))
	}
}

// Close ends the device: reads waiting now or later return false once the
// values fed before are read.
func (d *Device) Close() {
	g := schedhook.Goroutine()
	if g != nil {
		g.Point(d.op())
	}
	close(d.closed)
	if g != nil {
		g.Mark(d.op(), "closes "+d.name)
	}
}

// op is an operation on d, for the scheduler of a controlled run: every
// one changes the device, so any two conflict. The trace calls the device
// by its name and a number ("disk #1"), unless the run named it with
// Run.Name.
func (d *Device) op() schedhook.Op { return schedhook.Op{Obj: d, Kind: d.name, Write: true} }

// readOp is op for a read, which waits while there is nothing to read.
func (d *Device) readOp() schedhook.Op {
	op := d.op()
	op.Blocked = func() bool { return len(d.values) == 0 && !d.isClosed() }
	op.Waits = func() (string, string) { return "waits for", " to be fed" }
	return op
}

func (d *Device) isClosed() bool {
	select {
	case <-d.closed:
		return true
	default:
		return false
	}
}

// Read blocks until a value was fed and returns it, or returns false once
// the device is closed and empty.
func (d *Device) Read() (int, bool) {
	if g := schedhook.Goroutine(); g != nil {
		g.Point(d.readOp()) // let go only once there is something to read, or the device is closed
	}
	select {
	case v := <-d.values:
		return v, true
	default:
	}
	select {
	case v := <-d.values:
		return v, true
	case <-d.closed:
		select {
		case v := <-d.values:
			return v, true
		default:
			return 0, false
		}
	}
}
