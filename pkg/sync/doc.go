// Package sync is the standard library's sync, seen by racekit's scheduler.
//
// It has the API of the standard library's sync for what the lessons use:
// [Mutex] (with TryLock), [RWMutex], [WaitGroup] (with Go), [Cond], [Once]
// with [OnceFunc], [OnceValue] and [OnceValues], and the [Locker]
// interface. It adds one thing the standard library lacks, a timed wait
// ([Cond.WaitTimeout]), which CPython's GIL is built on. A lesson imports it instead of "sync" and otherwise writes the
// same code:
//
//	import "github.com/racekit/racekit/pkg/sync"
//
//	type Object struct {
//		mu       sync.Mutex // guards refcount
//		refcount *interleave.Int
//	}
//
// Outside a controlled run (package interleave's Replay and Explore) every
// type here is a thin wrapper around its standard library counterpart, with
// the same happens-before promises, so `go test -race` sees the same
// synchronisation it would see with "sync".
//
// Inside a run, every operation is a scheduling point: the goroutine pauses
// before it, the schedule decides who goes next, and the trace shows what
// it did ("3. A  DecRef  unlocks foo.mu"). A goroutine that must wait (for a
// mutex, a wait group, a condition, a Once another goroutine is running)
// tells the scheduler what it waits for, and is runnable again when another
// goroutine of the run releases it. This is how loom's and shuttle's
// drop-in sync types let their schedulers put another goroutine between an
// Unlock and the next Lock: with the standard library's types, an unlock
// followed by a lock runs as one step, and "two critical sections instead of
// one" would look like one.
//
// Within a run the types differ from the standard library's in what they
// report, never in what they allow: unlocking an unlocked Mutex panics with
// a message naming the mutex instead of ending the process, and a
// goroutine blocked on one is named in a deadlock report with who holds it.
// sync.Map and sync.Pool are not provided; the lessons do not need them.
package sync
