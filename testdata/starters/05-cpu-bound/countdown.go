package cpubound

import "github.com/racekit/racekit/pkg/vm"

// Countdown is the job every Batch runs: the course notebook's countdown, which counts n
// down to 0, here also adding up the numbers it passes. In Python:
//
//	def countdown(n):
//	    total = 0
//	    while n > 0:
//	        n -= 1
//	        total += n
//	    return total
//
// countdown(n) returns 0 + 1 + ... + (n-1). It is pure bytecode: it never
// waits for anything, so a thread running it holds its interpreter's lock
// from start to end, except when the eval breaker makes it drop the lock for
// a moment.
var Countdown = vm.MustAssemble("countdown.asm", `
func countdown(n)
    LOAD_CONST 0
    STORE_FAST total
loop:
    LOAD_FAST n              # while n > 0:
    LOAD_CONST 0
    COMPARE_OP >
    POP_JUMP_IF_FALSE done
    LOAD_FAST n              #     n -= 1
    LOAD_CONST 1
    BINARY_OP -
    STORE_FAST n
    LOAD_FAST total          #     total += n
    LOAD_FAST n
    BINARY_OP +
    STORE_FAST total
    JUMP loop
done:
    LOAD_FAST total          # return total
    RETURN_VALUE
end
`)

// Job is one CPU-bound job: countdown(N).
type Job struct {
	Name string // names the job's thread and its Result; unique in a Batch
	N    int    // where the countdown starts, 0 or more
}

// Result is what one job computed, as plain Go values.
type Result struct {
	Job   string // the job's Name
	Total int    // what countdown(N) returned
	Err   error  // why the job failed, if it did; Total is then 0
}
