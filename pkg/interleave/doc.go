// Package interleave is a controlled scheduler for small concurrent scenarios.
//
// A scenario starts goroutines with [Run.Go]. Each of them pauses at
// scheduling points: when it starts, before every read and write of an
// instrumented cell ([Int]) and at every explicit [Point]. Only one paused
// goroutine is let go at a time, and it runs until its next point; a schedule
// says which one. The same schedule therefore gives the same trace every time,
// and a failing interleaving can be printed as numbered steps and replayed
// from a short string such as "A*3 B*3 A B A B".
//
// [Replay] runs one schedule. [Explore] enumerates schedules depth-first with
// a preemption bound raised 0, 1, 2, ... so that the first failure it reports
// is one of the simplest. Exploring is not a proof: a passing exploration says
// how many schedules it tried and whether that was all of them.
//
// Code under test may block inside the standard library's sync.Mutex,
// sync.RWMutex, sync.Cond, sync.WaitGroup or on channels. The scheduler tells
// a blocked goroutine from a running one by reading the runtime's goroutine
// dump, which names each goroutine's wait state ("[sync.Mutex.Lock]",
// "[chan receive]"). When every live goroutine is blocked the run ends in a
// deadlock that names where each one waits. A goroutine that does not come
// back to the scheduler within [Options.StepTimeout] is reported, not waited
// on forever.
//
// Two things inside one step are decided by the Go runtime, not by the
// schedule, and can make the same schedule give different traces: a mutex
// that one goroutine unlocks and locks again while another waits for it
// (after a waiter has waited a millisecond, sync.Mutex hands the lock over
// directly), and a wait with a timeout (a select on time.After, a ticker),
// which a goroutine dump shows as blocked although its timer will wake it.
// Runs execute with GOMAXPROCS set to 1 (restored afterwards), which makes
// the first rare; timed waits belong under testing/synctest. Explore counts
// the runs that could not follow their plan in Report.Diverged.
//
// Outside a run, cells are plain memory with no synchronisation of their own,
// so free-running goroutines that use them without locks are reported by
// `go test -race`. Inside a run the scheduler's own hand-offs are
// synchronisation, so a controlled run never trips the race detector: test
// both ways.
//
// Runs must not overlap: at most one [Replay] or [Explore] runs at a time in a
// process.
package interleave
