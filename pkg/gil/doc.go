// Package gil holds the reference interpreter locks of the kit: CPython 2's
// global interpreter lock ([Old]) and the "new GIL" of CPython 3.2 and
// later ([New]). Both implement [vm.Lock], so an interpreter of package vm
// can run its threads under either:
//
//	interp := vm.New(vm.Config{Lock: &gil.New{}, Checks: vm.Debug})
//
// # The old GIL
//
// CPython 2's eval loop dropped its lock every 100 "ticks" and took it
// again straight away, hoping that a waiting thread would get in between.
// The lock itself did nothing to make that happen: the thread that let go
// was still running, while the waiter first had to be woken up by the
// operating system, so on a multi-core machine the releasing thread
// usually took the lock back at once. A CPU-bound thread kept the lock for
// as long as it had work, and threads waiting for it starved: the convoy
// effect. [Old] is that lock. It does not implement [vm.DropRequester], so
// the VM drops and re-takes it at every eval-breaker check; a release wakes
// the waiters and hands the lock to nobody.
//
// # The new GIL
//
// CPython 3.2 rewrote the lock (Python/ceval_gil.c). [New] follows it:
//
//   - A thread that finds the lock held waits for it one switch interval at
//     a time (5 ms by default, sys.getswitchinterval()). When a round timed
//     out and no switch happened meanwhile, it sets the drop request
//     (gil_drop_request) and waits on.
//   - The holder sees the request at its next eval-breaker check
//     ([New.DropRequested], the VM's [vm.DropRequester]) and drops the lock.
//   - Forced switching (FORCE_SWITCHING): a thread that lets go while a
//     drop was requested of it waits, inside Release, until another thread
//     has taken the lock (last_holder changed), so it cannot take it back
//     first.
//   - Every change of hands is counted (switch_number, [New.Switches]),
//     and taking the lock clears the drop request.
//
// # Fake time and the controlled scheduler
//
// Both locks work inside a testing/synctest bubble: waiters wait on
// channels (made when a waiter first needs one, so inside the bubble that
// uses the lock) and on timers, never for long in a sync.Mutex, so a
// bubble's clock moves on while threads wait for the lock. [New]'s switch
// interval is then fake time, and a thread that "computes" by sleeping
// while it holds the lock shows the drop request after exactly 5 ms.
//
// Under package interleave (when [interleave.InRun] is true) a timed wait
// cannot be seen by the scheduler, so [New] lets one scheduling step stand
// for the switch interval: a waiter pauses at a point labelled "waits 5ms
// for the GIL", then counts its wait as timed out, asks for a drop and
// waits, with no timeout, until the lock is released: a wait the scheduler
// sees, so the schedule decides who takes the lock once it is free, and a
// deadlock report names the holder and the instruction each thread is at
// ("waits for the GIL, which B holds (A is at LOAD_GLOBAL counter)"). The
// trace shows every take and release ("take_gil  takes the GIL from A",
// "drop_gil  drops the GIL on request"); forced switching keeps the thread
// that dropped the lock on request from taking it back, in its next
// Acquire, until another thread took it. In [Old] a waiter woken by a
// release pauses at a point ("wakes up") before it tries the lock again:
// the schedule, like an operating system, decides whether the releasing
// thread or the woken waiter gets there first.
//
// # Timelines
//
// Both locks record a [Timeline] of who held them when: every acquisition,
// release, wait, drop request and forced-switching wait, with its time
// (fake time under synctest). [Timeline.Spans] turns it into holding spans,
// [Timeline.Turns] into the order of holders, [Timeline.Check] verifies
// that it describes a lock (no two holders at once, every release by the
// holder), and [Timeline.String] and [Timeline.Chart] render it as text for
// specs and pictures.
package gil
