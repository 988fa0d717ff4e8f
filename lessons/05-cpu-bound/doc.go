// Package cpubound is lesson 05 of racekit: CPU-bound threads do not run
// any faster under a global interpreter lock.
//
// A Batch runs CPU-bound jobs (the course notebook's countdown) at once, one goroutine
// per job, and gathers their results. As written, every job is a thread of
// one interpreter, so the jobs take turns on its GIL and never run at the
// same time, however many processors there are; and every job appends its
// result to one slice, from its own goroutine, without a lock. Give each job
// an interpreter of its own, as Python's multiprocessing gives each job a
// process of its own; pass it its input as a plain value; and hand its result
// back without a data race. A lock or a WaitGroup comes from the kit's sync
// (github.com/racekit/racekit/pkg/sync: the standard library's API, with
// every operation a step the specs' scheduler sees). README.md walks
// through the trace of two jobs taking turns on one GIL.
package cpubound
