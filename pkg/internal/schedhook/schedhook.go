// Package schedhook connects the kit's sync and atomic packages to the
// controlled scheduler without making either import the other, and keeps
// that connection out of a lesson's reach: only packages under pkg/ can
// import it.
//
// Package interleave installs the scheduler's side in its init function.
// In a binary that does not link interleave, Current always returns nil and
// the kit's sync is the standard library's.
package schedhook

// Op is an operation that a goroutine of a controlled run is about to carry
// out on a shared object.
type Op struct {
	// Obj is the object, a pointer: operations on the same object conflict,
	// and the trace names it.
	Obj any
	// Kind says what the object is ("mutex", "atomic.Int64"); the trace
	// names an object nobody named as its kind and a number ("mutex #1").
	Kind string
	// Write reports that the operation changes the object. Two operations
	// on one object conflict unless both only read it.
	Write bool
	// Blocked, if set, reports whether the operation would have to wait
	// (a Lock of a locked mutex): the scheduler lets the goroutine go only
	// while it reports false. It is called with every goroutine of the run
	// paused, so it may read the object's state without locking.
	Blocked func() bool
	// Waits says, for the trace and a deadlock report, what a blocked
	// goroutine waits for: a verb before the object's name and a detail
	// after it ("waits for", ", which A holds").
	Waits func() (verb, detail string)
	// Timed marks a wait with a timeout (a Cond's WaitTimeout): while
	// Blocked reports true the scheduler may still let the goroutine go,
	// which ends its wait as timed out, once another goroutine has taken a
	// step since it paused here, or when nothing else can go on. When its
	// timeout runs out is the schedule's choice, as it is the clock's in a
	// program; the goroutine tells a timeout from a wake-up by asking
	// Blocked again.
	Timed bool
}

// G is a goroutine of the controlled run in progress.
type G interface {
	// Name is the goroutine's name in the run ("A").
	Name() string
	// Point pauses the goroutine at a scheduling point, before op, until
	// the schedule lets it go on; while op is blocked, it does not.
	Point(op Op)
	// Did records in the trace what op did: verb, the object's name, then
	// detail ("locks" foo.mu "", "adds 1 to" n ": 2").
	Did(op Op, verb, detail string)
	// Mark records label in the trace as what op did, as an explicit
	// scheduling point's label ("frees foo").
	Mark(op Op, label string)
}

// Current and Stopping are installed once by package interleave before
// main runs. Current returns the calling goroutine when it belongs to the
// run in progress and is not being stopped, else nil; Stopping reports
// whether the calling goroutine belongs to a run that is stopping it (a
// run that failed unwinds its goroutines with runtime.Goexit). Nil
// functions mean no scheduler.
var (
	Current  func() G
	Stopping func() bool
)

// Goroutine returns the calling goroutine of the run in progress, or nil
// outside a run.
func Goroutine() G {
	if Current == nil {
		return nil
	}
	return Current()
}

// Stopped reports whether the calling goroutine is being stopped by the
// run it belongs to. The kit's sync then does nothing: the goroutine is
// unwinding through its deferred calls, the run's state is thrown away,
// and an Unlock of a mutex that the scheduler's stop left unlocked (in the
// middle of a Cond.Wait, say) must not end the process.
func Stopped() bool {
	return Stopping != nil && Stopping()
}
