package cpubound

import "github.com/racekit/racekit/pkg/vm"

// Batch runs a batch of CPU-bound jobs at once and gathers their results.
//
// Run(i) runs job i on the calling goroutine; call it once for every job,
// each on a goroutine of its own, so that the jobs run at the same time.
// Results waits for every job and returns what they computed; call it once,
// on one more goroutine, while the jobs run, as the main process of a Python
// program gathers its workers' results while they run.
//
// This Batch runs the jobs the way a Python program runs them with
// multiprocessing: every job gets an interpreter of its own, with its own
// lock and its own objects, so no job ever waits for another's GIL. A job
// gets its input as a plain value, which its interpreter turns into an
// object of its own, and hands its result back as a plain value, by message.
//
// Threads of one shared interpreter would take turns instead:
//
//	A: takes main's GIL, runs 20 instructions    B: asks for main's GIL, waits
//	A: drops the GIL, asks for it again, waits   B: takes it, runs 20 instructions
//
// however many processors there are.
//
// Create a Batch with NewBatch. A Batch must not be copied after first use.
type Batch struct {
	jobs           []Job                             // read-only
	newInterpreter func(name string) *vm.Interpreter // makes one interpreter per job
	results        chan Result                       // each Run sends one; room for all of them
}

// NewBatch returns a Batch that will run jobs. It makes every interpreter it
// needs with newInterpreter, passing a name for it; a program passes a
// function that calls vm.New, and the specs pass one that counts the
// interpreters and turns on their debug checks.
func NewBatch(jobs []Job, newInterpreter func(name string) *vm.Interpreter) *Batch {
	return &Batch{jobs: jobs, newInterpreter: newInterpreter, results: make(chan Result, len(jobs))}
}

// Run runs job i to its end, on the calling goroutine, in an interpreter of
// its own, and sends its result to Results.
func (b *Batch) Run(i int) {
	job := b.jobs[i]
	th := b.newInterpreter(job.Name).NewThread(job.Name)
	total, err := th.Call(Countdown, "countdown", job.N)
	r := Result{Job: job.Name, Err: err}
	if err == nil {
		r.Total = total.(int)
	}
	// The channel has room for every job's result, so the send never waits,
	// and it hands r over to the goroutine that receives it: nothing else
	// touches r afterwards.
	b.results <- r
}

// Results waits until every job has finished and returns their results, one
// per job, in the order they arrived.
func (b *Batch) Results() []Result {
	out := make([]Result, 0, len(b.jobs))
	for range b.jobs {
		out = append(out, <-b.results)
	}
	return out
}
