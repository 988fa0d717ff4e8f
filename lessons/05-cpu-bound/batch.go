package cpubound

import (
	"github.com/racekit/racekit/pkg/sync"
	"github.com/racekit/racekit/pkg/vm"
)

// Batch runs a batch of CPU-bound jobs at once and gathers their results.
//
// Run(i) runs job i on the calling goroutine; call it once for every job,
// each on a goroutine of its own, so that the jobs run at the same time.
// Results waits for every job and returns what they computed; call it once,
// on one more goroutine, while the jobs run, as the main process of a Python
// program gathers its workers' results while they run.
//
// This Batch runs the jobs the way a Python program runs them with
// threading.Thread: every job is a thread of one interpreter, main, and
// reads its input from main's memory.
//
// Create a Batch with NewBatch. A Batch must not be copied after first use.
type Batch struct {
	jobs   []Job           // read-only
	main   *vm.Interpreter // runs every job, each as a thread of its own
	inputs []*vm.Object    // inputs[i] is job i's N, a global of main; read-only
	wg     sync.WaitGroup  // counts the jobs that have not finished
	done   []Result        // the results of the jobs that have finished
}

// NewBatch returns a Batch that will run jobs. It makes every interpreter it
// needs with newInterpreter, passing a name for it; a program passes a
// function that calls vm.New, and the specs pass one that counts the
// interpreters and turns on their debug checks.
func NewBatch(jobs []Job, newInterpreter func(name string) *vm.Interpreter) *Batch {
	b := &Batch{jobs: jobs, main: newInterpreter("main")}
	// Like the globals of a Python script (the course notebook's COUNT), each job's
	// input is a global of main: A.n for job A, B.n for job B.
	for _, j := range jobs {
		b.inputs = append(b.inputs, b.main.SetGlobal(j.Name+".n", j.N))
	}
	b.wg.Add(len(jobs))
	return b
}

// Run runs job i to its end, on the calling goroutine, and records its
// result for Results.
func (b *Batch) Run(i int) {
	defer b.wg.Done()
	job := b.jobs[i]
	th := b.main.NewThread(job.Name)
	total, err := th.Call(Countdown, "countdown", b.inputs[i])
	r := Result{Job: job.Name, Err: err}
	if err == nil {
		r.Total = total.(int)
	}
	b.done = append(b.done, r)
}

// Results waits until every job has finished and returns their results, one
// per job, in any order.
func (b *Batch) Results() []Result {
	b.wg.Wait()
	return b.done
}
