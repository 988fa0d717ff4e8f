// Package interleave is a controlled scheduler for small concurrent scenarios.
//
// A scenario starts goroutines with [Run.Go]. Each of them pauses at
// scheduling points: when it starts, before every read and write of an
// instrumented cell ([Int]), before every operation of the kit's sync and
// sync/atomic packages (pkg/sync: the standard library's API), and at every
// explicit [Point]. Only one paused goroutine is let go at a time, and it
// runs until its next point; a schedule says which one. The same schedule
// therefore gives the same trace every time, and a failing interleaving can
// be printed as numbered steps and replayed from a short string such as
// "A*3 B*3 A B A B".
//
// [Replay] runs one schedule. [Explore] runs one schedule of every class of
// schedules that differ only in the order of independent steps (dynamic
// partial-order reduction: steps on different objects, or that both only
// read one, are independent), with at most Options.MaxPreemptions
// preemptions, and reports the simplest failure it finds. Exploring is not
// a proof: a passing exploration says how many schedules it tried and
// whether that covered every outcome.
//
// A goroutine whose Lock (or WaitGroup.Wait, Cond.Wait...) of the kit's sync
// would block is not let go until it can proceed, and the trace says for
// whom it waits ("B waits for foo.mu, which A holds"): the scheduler can put
// another goroutine between an Unlock and the next Lock, which is where
// "two critical sections instead of one" breaks. Code under test may also
// block on channels or the standard library's sync; the scheduler tells such
// a goroutine from a running one by reading the runtime's goroutine dump
// ("[chan receive]"), which it cannot do between two operations, so
// Explore then gives up the reduction and runs every schedule. When every
// live goroutine waits the run ends in a deadlock that names where each one
// waits. A goroutine in time.Sleep runs only when nothing else can, as if
// time passed only then (as in a testing/synctest bubble), so a fix that
// polls is explored quickly. A goroutine that does not come back to the
// scheduler within [Options.StepTimeout] is reported, not waited on forever.
//
// Runs execute with GOMAXPROCS set to 1 and garbage collection paused
// until a run has allocated 256 MiB (both restored afterwards). Something
// the scheduler does not control can still decide between goroutines
// inside a step, such as a goroutine woken through a channel or a timer;
// Explore counts the runs that could not follow their plan in
// Report.Diverged, and timed waits belong under testing/synctest. A sleep
// is seen in a goroutine dump taken as soon as the sleeper parks; on a
// heavily loaded machine a sleep of a millisecond or less can end before
// that, and the run then counts it as part of the sleeper's step. A fix
// that polls passes either way; the number of schedules explored may
// differ. A goroutine blocked in a channel receive or a select, which may
// have a timeout the dump cannot show, gets up to a second of real time to
// wake up before a run is called a deadlock.
//
// Outside a run, cells are plain memory with no synchronisation of their own,
// so free-running goroutines that use them without locks are reported by
// `go test -race`. Inside a run the scheduler's own hand-offs are
// synchronisation, so a controlled run never trips the race detector: test
// both ways, or let Options.DataRaces read the data races off each run's
// trace ([Trace.Races]), which does not depend on the order the accesses
// happened in.
//
// Runs must not overlap: at most one [Replay] or [Explore] runs at a time in a
// process.
package interleave
