package vm

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/racekit/racekit/pkg/interleave"
)

// Checks are the debug checks an interpreter makes on every object a
// thread touches. Specs turn them on; benchmarks leave them off.
type Checks uint8

const (
	// CheckGIL panics when a thread touches an object without holding the
	// interpreter lock: "vm: object foo touched by thread B without holding
	// the GIL (thread A holds it)". Every way a builtin can touch one is
	// checked: through its thread (Value, Int, Device, NewObject), through
	// the object's own methods (String, which fmt calls to format it,
	// RefCount, Freed, Kind, Name) and through the interpreter's globals
	// (Global, SetGlobal: "vm: global foo touched by ..."). A panic that a
	// recover hid (fmt recovers String's) is raised again as the builtin
	// returns.
	CheckGIL Checks = 1 << iota
	// CheckFreed panics when a thread touches an object that was freed
	// ("vm: foo used after it was freed") or drops a reference the object
	// no longer has ("vm: foo freed twice"). Freed objects are not reused.
	CheckFreed

	// Debug is every check.
	Debug = CheckGIL | CheckFreed
)

// Config configures an interpreter. The zero value is a usable
// configuration: an interpreter named "main" with its own lock, an
// eval-breaker check every 100 instructions, no debug checks and print
// writing to standard output.
type Config struct {
	// Name names the interpreter in messages; "main" if empty.
	Name string
	// Lock is the interpreter lock. If nil, the interpreter uses a lock of
	// its own, which its holder drops and re-takes at an eval-breaker check
	// when another thread waits for it.
	Lock Lock
	// CheckInterval is how many instructions a thread runs between two
	// eval-breaker checks; 0 means 100. A superinstruction finishes before
	// the check, so in quickened code a check can come up to 3
	// instructions late. With BreakerAt set to BackwardJumpsAndCalls it is
	// not used.
	CheckInterval int
	// BreakerAt says where a thread checks the eval breaker: every
	// CheckInterval instructions (EveryInterval, the zero value, as CPython
	// up to 3.9 did), or only at backward jumps and builtin calls
	// (BackwardJumpsAndCalls, as CPython 3.10 and later do). Where the
	// checks fall decides between which instructions the lock can change
	// hands; see [BreakerPlacement].
	BreakerAt BreakerPlacement
	// Checks are the debug checks to make; see [Debug].
	Checks Checks
	// Stdout is where print writes; os.Stdout if nil.
	Stdout io.Writer
	// NoGIL runs the interpreter without an interpreter lock at all, as
	// CPython's free-threaded build (3.13t, PEP 703) does: its threads run
	// bytecode at the same time, AcquireGIL and ReleaseGIL only mark a
	// thread as attached or not, the eval breaker never drops anything,
	// and CheckGIL is off (CheckFreed still works). Nothing then keeps two
	// threads from updating one reference count at once but a RefCounter
	// made for it; nor from storing to one global, or printing, at once:
	// programs that do those race. Lock must be nil.
	NoGIL bool
	// RefCounter, if not nil, does the interpreter's reference counting:
	// every reference its threads take or drop goes through it, and the
	// ints from -5 to 256 are immortal. See [RefCounter].
	RefCounter RefCounter
	// MaxFrees is how many of the RefCounter's frees [Interpreter.Frees]
	// keeps, the first ones: 0 keeps every one, a negative number none.
	// A long run that frees millions of objects (a benchmark) sets it, so
	// that the list does not keep them all alive; [Object.Frees] and the
	// double-free check count every free all the same.
	MaxFrees int
}

// Interpreter is one interpreter: its objects, its globals, its builtins
// and the lock its threads share. Threads of one interpreter run one at a
// time, each holding the lock; threads of different interpreters share
// nothing and run in parallel, like Python processes.
//
// Create interpreters with New; an Interpreter must not be copied.
// Configure one (SetGlobal, Define) before its threads start; after that,
// its objects and globals are guarded by its lock and only its threads
// touch them. Name, Lock, NewThread and Threads are safe for concurrent use.
type Interpreter struct {
	name     string        // read-only
	lock     Lock          // read-only
	dropper  DropRequester // lock's, if it implements it; read-only
	interval int           // read-only
	atJumps  bool          // the eval breaker is checked at backward jumps and calls only; read-only
	checks   Checks        // read-only
	stdout   io.Writer     // read-only; written to under the GIL
	none     *Object       // immortal; read-only
	true_    *Object       // immortal; read-only
	false_   *Object       // immortal; read-only

	nogil     bool       // Config.NoGIL; read-only
	rc        RefCounter // Config.RefCounter; read-only
	smallInts []*Object  // the immortal ints from -5 to 256, with a RefCounter only; read-only
	frees     []Free     // what the RefCounter freed, the first maxFrees; guarded by mu
	maxFrees  int        // Config.MaxFrees; read-only

	mu       sync.Mutex         // guards the maps below (not the objects they hold)
	globals  map[string]*global // name -> slot
	builtins map[string]Builtin
	bound    map[*Func]*bound
	threads  int // threads created so far
	// running maps a goroutine's id to the thread whose Call runs on it,
	// with CheckGIL only: Object's methods have no thread to check, and
	// look theirs up here.
	running map[uint64]*Thread

	holder   *Thread // the thread the VM last saw take the lock; guarded by the GIL
	freeInts *Object // freed int objects for reuse, linked by next; guarded by the GIL

	ran atomic.Int64 // instructions run by the interpreter's threads in calls that have ended
}

// global is one global variable's slot; obj is guarded by the GIL.
type global struct {
	name  string
	obj   *Object
	watch *interleave.Int // set by Watch before the threads start, else nil; its value is guarded by the GIL
}

// bound is a function bound to one interpreter: its constants as that
// interpreter's objects, and its globals and builtins resolved.
type bound struct {
	fn       *Func
	consts   []*Object
	globals  []*global
	builtins []Builtin
}

// New returns an interpreter configured by c, with the builtins cpu, sleep,
// read and print defined.
func New(c Config) *Interpreter {
	in := &Interpreter{
		name:     c.Name,
		lock:     c.Lock,
		interval: c.CheckInterval,
		checks:   c.Checks,
		stdout:   c.Stdout,
		globals:  map[string]*global{},
		builtins: map[string]Builtin{},
		bound:    map[*Func]*bound{},
		running:  map[uint64]*Thread{},
	}
	if in.name == "" {
		in.name = "main"
	}
	if c.NoGIL {
		if c.Lock != nil {
			panic("vm: Config.NoGIL with a Config.Lock: an interpreter without a GIL has no lock")
		}
		in.nogil, in.checks = true, in.checks&^CheckGIL
	} else if in.lock == nil {
		in.lock = newChanLock()
	}
	in.dropper, _ = in.lock.(DropRequester)
	in.rc = c.RefCounter
	in.maxFrees = c.MaxFrees
	if in.interval <= 0 {
		in.interval = 100
	}
	if c.BreakerAt == BackwardJumpsAndCalls {
		in.atJumps = true
		in.interval = noIntervalChecks
	}
	if in.stdout == nil {
		in.stdout = os.Stdout
	}
	in.none = &Object{kind: NoneKind, immortal: true, slow: true, interp: in}
	in.true_ = &Object{kind: BoolKind, immortal: true, slow: true, i: 1, interp: in}
	in.false_ = &Object{kind: BoolKind, immortal: true, slow: true, interp: in}
	if in.rc != nil {
		in.counted(in.none, nil)
		in.counted(in.true_, nil)
		in.counted(in.false_, nil)
		in.newSmallInts()
	}
	for name, b := range defaultBuiltins {
		in.builtins[name] = b
	}
	return in
}

// Name returns the interpreter's name.
func (in *Interpreter) Name() string { return in.name }

// Lock returns the interpreter lock; nil with Config.NoGIL.
func (in *Interpreter) Lock() Lock { return in.lock }

// Threads returns how many threads have been created in the interpreter.
func (in *Interpreter) Threads() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.threads
}

// Instructions returns how many bytecode instructions the interpreter's
// threads have run, in all, in calls ([Thread.Call], [Thread.Start]) that
// have ended, by returning or with an error or a panic. Each call adds what
// it ran, counted as [Thread.Instructions] counts it, when it ends: a call
// still running is not counted yet.
//
// It is the VM's own count, which no program or builtin can change, so a
// spec reads it to check that work really ran as bytecode in this
// interpreter, rather than trusting what the code under test reports.
// Instructions is safe for concurrent use; every call that ended before it
// was called is counted.
func (in *Interpreter) Instructions() int64 { return in.ran.Load() }

// NewThread returns a new thread of the interpreter, named name in
// messages and traces. It does not run anything yet: see [Thread.Call] and
// [Thread.Start].
func (in *Interpreter) NewThread(name string) *Thread {
	in.mu.Lock()
	in.threads++
	in.mu.Unlock()
	return &Thread{name: name, interp: in, checks: in.checks, rc: in.rc}
}

// Define makes fn the builtin called name, replacing any builtin of that
// name. Call it before the interpreter's threads start.
func (in *Interpreter) Define(name string, fn Builtin) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.builtins[name] = fn
}

// SetGlobal binds the global name to a new object named name holding v
// (an int, string, bool, nil, *Device or *UserLock), and returns the object. The
// binding holds its one reference. Its reference count is an
// [interleave.Int] named "<name>.refcount", so under the controlled
// scheduler every change of it is a step in the trace.
//
// A name bound before drops its reference to the old object, which is
// freed if that was its last one.
//
// Call it before the interpreter's threads start, or while none runs. It
// panics on a value of another type.
func (in *Interpreter) SetGlobal(name string, v any) *Object {
	in.guardGlobal(name)
	return in.setGlobal(name, v, nil)
}

// setGlobal is SetGlobal for an object made by owner (nil: by no thread).
// With a RefCounter, the old object's reference is dropped through it,
// on owner, once mu is unlocked.
func (in *Interpreter) setGlobal(name string, v any, owner *Thread) *Object {
	o := in.object(v)
	if o.immortal {
		o = &Object{kind: o.kind, i: o.i, interp: in}
	}
	o.name, o.slow = name, true
	var dropped *Object
	if in.rc != nil {
		in.counted(o, owner)
		defer func() { in.dropGlobal(dropped, owner) }() // runs after the Unlock below
	} else {
		o.cell = interleave.NewInt(name+".refcount", 1)
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	g := in.slotLocked(name)
	if in.rc != nil {
		dropped = g.obj
	} else if old := g.obj; old != nil && !old.immortal {
		if old.cell != nil {
			old.cell.Set(old.cell.Get() - 1)
		} else {
			old.refs--
		}
		old.freed = old.refCount() == 0
	}
	g.obj = o
	if g.watch != nil {
		g.watch.Set(watchedValue(o))
	}
	return o
}

// Global returns the object the global name is bound to, or nil. Like
// SetGlobal, call it while no thread of the interpreter runs, or from a
// thread that holds the GIL (with CheckGIL, a thread that does not panics).
func (in *Interpreter) Global(name string) *Object {
	in.guardGlobal(name)
	in.mu.Lock()
	defer in.mu.Unlock()
	if g := in.globals[name]; g != nil {
		return g.obj
	}
	return nil
}

// guardGlobal is the CheckGIL check of Global and SetGlobal: a thread whose
// Call runs on the calling goroutine must hold the GIL.
func (in *Interpreter) guardGlobal(name string) {
	if in.checks&CheckGIL == 0 {
		return
	}
	if t := in.threadOnThisGoroutine(); t != nil && !t.holds {
		t.notHolding("global " + name)
	}
}

// runsOn records, with CheckGIL, that t's Call runs on the calling
// goroutine, and returns the function that forgets it when the call ends.
func (in *Interpreter) runsOn(t *Thread) (done func()) {
	g := goid()
	in.mu.Lock()
	outer := in.running[g] // a Call inside a builtin, on a thread of its own
	in.running[g] = t
	in.mu.Unlock()
	return func() {
		in.mu.Lock()
		defer in.mu.Unlock()
		if outer != nil {
			in.running[g] = outer
		} else {
			delete(in.running, g)
		}
	}
}

// threadOnThisGoroutine returns the thread whose Call runs on the calling
// goroutine, or nil; with CheckGIL only.
func (in *Interpreter) threadOnThisGoroutine() *Thread {
	in.mu.Lock()
	none := len(in.running) == 0
	in.mu.Unlock()
	if none { // no thread runs: spare the stack read
		return nil
	}
	g := goid()
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.running[g]
}

// goid returns the calling goroutine's id, read from the first line of its
// stack ("goroutine 7 [running]:"): the only way for Object's methods to
// know which thread calls them. It is slow, so only debug checks use it.
func goid() uint64 {
	var buf [64]byte
	line := buf[:runtime.Stack(buf[:], false)]
	line = bytes.TrimPrefix(line, []byte("goroutine "))
	if i := bytes.IndexByte(line, ' '); i > 0 {
		if id, err := strconv.ParseUint(string(line[:i]), 10, 64); err == nil {
			return id
		}
	}
	panic("vm: cannot read the goroutine id from " + strconv.Quote(string(buf[:])))
}

// checkValue returns an error for a Go value that cannot be an object.
func checkValue(v any) error {
	switch v.(type) {
	case nil, bool, int, string, *Device, *UserLock, *Object:
		return nil
	}
	return fmt.Errorf("a %T cannot be an object of the interpreter; use an int, string, bool, nil or *vm.Device", v)
}

// object makes an object of the interpreter from a Go value, with one
// reference. It panics on a value of another type.
func (in *Interpreter) object(v any) *Object {
	switch v := v.(type) {
	case nil:
		return in.none
	case bool:
		if v {
			return in.true_
		}
		return in.false_
	case int:
		return &Object{kind: IntKind, i: v, refs: 1, interp: in}
	case string:
		return &Object{kind: StrKind, s: v, refs: 1, interp: in}
	case *Device:
		return &Object{kind: DeviceKind, dev: v, refs: 1, interp: in}
	case *UserLock:
		return &Object{kind: LockKind, lock: v, refs: 1, interp: in}
	}
	panic(fmt.Sprintf("vm: a %T cannot be an object of the interpreter; use an int, string, bool, nil or *vm.Device", v))
}

// bind returns f bound to the interpreter, binding it on first use.
func (in *Interpreter) bind(p *Program, f *Func) (*bound, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if b := in.bound[f]; b != nil {
		return b, nil
	}
	b := &bound{fn: f}
	for _, c := range f.consts {
		o := in.objectBy(c, nil)
		if !o.immortal {
			o.refs = 1 // held by the code
		}
		b.consts = append(b.consts, o)
	}
	for _, name := range f.globals {
		b.globals = append(b.globals, in.slotLocked(name))
	}
	for _, name := range f.builtins {
		fn := in.builtins[name]
		if fn == nil {
			return nil, fmt.Errorf("vm: %s calls the builtin %s, which interpreter %s does not define", f.name, name, in.name)
		}
		b.builtins = append(b.builtins, fn)
	}
	in.bound[f] = b
	return b, nil
}

// slotLocked returns the slot of the global name, made empty if the
// interpreter has none yet. in.mu must be held.
func (in *Interpreter) slotLocked(name string) *global {
	g := in.globals[name]
	if g == nil {
		g = &global{name: name}
		in.globals[name] = g
	}
	return g
}
