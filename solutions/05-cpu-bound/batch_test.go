package cpubound

import (
	"embed"
	"errors"
	"fmt"
	"io"
	"maps"
	"regexp"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gcustom"
	"github.com/onsi/gomega/gmeasure"
	"github.com/onsi/gomega/types"

	"github.com/racekit/racekit/pkg/interleave"
	"github.com/racekit/racekit/pkg/interleave/interleavetest"
	"github.com/racekit/racekit/pkg/vm"
)

// lessonCode is this package's files as they were compiled into the test
// binary, for the first spec: under go test, the learner's own; under
// racekit check and grade, which overlay the learner's files on the kit's
// specs, those too.
//
//go:embed *.go
var lessonCode embed.FS

// The specs are Ordered: once a controlled spec has failed, the free-running
// hammer and the experiment are skipped, because code that runs every job on
// one interpreter, or gathers results unsafely, would only fail there again
// with a less helpful message.
var _ = Describe("A batch of CPU-bound jobs", Ordered, func() {
	It("uses the kit's sync, which the scheduler sees", func() {
		Expect(lessonCode).To(interleavetest.UseTheKitsSync(), "the specs judge a Batch by when each job hands "+
			"over its result and when Results stops waiting (a WaitGroup's Done and Wait, a mutex's Lock and Unlock), "+
			"and they see those only in the kit's sync, where each is a step of the schedule: with the standard "+
			"library's, a job that calls Done before it hands its result over would pass or fail by luck. Next: "+
			"HINTS.md, hint 2.")
	})

	It("keeps Countdown as the course wrote it", func() {
		Expect(vm.Dis(Countdown)).To(Equal(vm.Dis(courseCountdown)),
			"Countdown is the course's program, the CPU-bound work every job does: leave countdown.go as it is. "+
				"The specs measure each job against their own copy of it, so a shorter program, one with no middle for "+
				"the scheduler to preempt, would only hide whether the jobs can run at once. "+
				"`git checkout lessons/05-cpu-bound/countdown.go` brings it back.")
	})

	When("one job runs alone", func() {
		It("returns countdown's total, computed by a thread of an interpreter from newInterpreter", func() {
			var o *outcome
			res, err := interleave.Replay("A", batchScenario(
				"A counts down from 4 while main gathers its result", []Job{{"A", 4}}, &o))
			Expect(err).NotTo(HaveOccurred())
			Expect(res).To(interleavetest.Pass(), func() string { return explain(res.Failure, o) })
			Expect(o.got).To(ConsistOf(HaveTotal("A", 6)),
				"countdown(4) adds up 3 + 2 + 1 + 0: Results must return A's total, 6, as a plain int. Next: HINTS.md, hint 2.")
		})
	})

	When("A and B count down at once while main gathers their results", func() {
		It("runs each job in an interpreter of its own, so that neither waits for the other's GIL", func() {
			var o *outcome
			res, err := interleave.Replay(turnsSchedule, batchScenario(turnsName, pair(), &o))
			Expect(err).NotTo(HaveOccurred())
			Expect(res).To(interleavetest.Pass(), func() string { return explain(res.Failure, o) })
			for _, note := range res.Notes {
				fmt.Fprintf(GinkgoWriter, "the turns on one GIL can no longer happen: %s\n", note)
			}
		})

		It("lets B run while A is in the middle of its countdown", func() {
			// A runs alone up to its first eval-breaker drop, in the middle of
			// its countdown (midCountdown finds how many steps that takes
			// with this Batch); then B goes. With an interpreter per job and
			// nothing else between the jobs, B runs its first 20
			// instructions there too, before A takes another step.
			var o *outcome
			sc := batchScenario("A and B count down from 2 at once while main gathers their results", pair(), &o)
			steps := midCountdown(sc, "A")
			res, err := interleave.Replay(fmt.Sprintf("A*%d B", steps), sc)
			Expect(err).NotTo(HaveOccurred())
			Expect(res).To(interleavetest.Pass(), func() string { return explain(res.Failure, o) })
			if f := waitedForA(res, steps); f != nil {
				Fail("the jobs take turns: B could not start its countdown while A was in the middle of its own, " +
					"although each job has an interpreter of its own. Something in Run makes one job wait for another, " +
					"such as a lock held around the whole job. Hold a lock only while handing over a result, never " +
					"around Call. Next: HINTS.md, hint 2.\n" + f.Error())
			}
			fmt.Fprintln(GinkgoWriter, res.String())
		})
	})

	When("main gathers the results of A and B in every possible order", func() {
		It("gets each job's result exactly once, in any schedule with at most 1 preemption", func() {
			var o *outcome
			sc := batchScenario("A counts down from 2 and B from 3 at once while main gathers their results",
				[]Job{{"A", 2}, {"B", 3}}, &o)
			rep := interleave.Explore(sc, interleave.Options{MaxPreemptions: 1, RandomSchedules: 100})
			interleavetest.ReportExploration(rep)
			Expect(rep).To(interleavetest.Pass(), func() string { return explain(rep.Failure, outcomeOf(sc, rep.Failure, &o)) })
		})
	})

	When("eight jobs run freely, each on a goroutine of its own", func() {
		It("gathers every result, without a data race", func() {
			const jobs = 8
			var batch []Job
			for i := range jobs {
				batch = append(batch, Job{Name: fmt.Sprintf("J%d", i), N: 200 + 10*i})
			}
			interps := &interpreters{config: vm.Config{Checks: vm.Debug, Stdout: io.Discard}}
			b := NewBatch(batch, interps.New)
			var got []Result
			// Results runs on one more goroutine while the jobs run, as main
			// gathers in a Python program.
			err := interleavetest.Hammer{Goroutines: jobs + 1, Iterations: 1}.Run(func(g, _ int) {
				if g == jobs {
					got = b.Results()
					return
				}
				b.Run(g)
			})
			Expect(err).NotTo(HaveOccurred(), func() string {
				var he *interleavetest.HammerError
				switch {
				case !errors.As(err, &he):
					return ""
				case he.Hung:
					return "the jobs and Results did not finish: Results probably waits for a result that never comes, or a job " +
						"waits to hand over its result and nobody takes it. Next: HINTS.md, hint 3."
				case he.G == jobs:
					return "Results must return every job's result to its caller. Next: HINTS.md, hint 3."
				}
				return fmt.Sprintf("every job must run to its end: Run must return to its caller (job %s did not). Next: HINTS.md, hint 3.", batch[he.G].Name)
			})
			Expect(failed(got)).To(Succeed(), "every job must finish without an error. Next: HINTS.md, hint 2.")
			Expect(interps.oneEach(batch)).To(Succeed(), "cpu-bound: with goroutines really running at once, the jobs must still "+
				"each run in an interpreter of their own. Next: HINTS.md, hint 1.")
			Expect(interps.ranCountdowns(batch)).To(Succeed(), noBytecode)
			Expect(gathered(batch, got)).To(Succeed(), func() string { return lostFreely() })
		})
	})

	When("two jobs count down with the course notebook's three set-ups", func() {
		It("reports how long each takes (an experiment: it prints, it never asserts)", func() {
			// The course's notebook on CPython's GIL ran countdown(COUNT) with COUNT =
			// 5,000,000 in one thread, and in two halves as two threads and as
			// two processes. This is the same experiment, with COUNT sized so
			// that one thread takes about 10 ms here (much less work under
			// -race, which slows the VM down about fifteen times). It needs
			// two processors or more to show a speed-up:
			// go test -v ./lessons/05-cpu-bound -ginkgo.focus experiment
			count := calibrate(10 * time.Millisecond)
			halves := []Job{{"A", count / 2}, {"B", count / 2}}
			exp := gmeasure.NewExperiment(fmt.Sprintf("experiment: countdown(%d) in two halves, GOMAXPROCS=%d", count, runtime.GOMAXPROCS(0)))
			exp.Sample(func(int) {
				exp.MeasureDuration(oneThread, func() { runOneThread(halves) })
				exp.MeasureDuration(oneInterpreter, func() { runThreadsOfOneInterpreter(halves) })
				exp.MeasureDuration(yourBatch, func() { runBatch(halves) })
			}, gmeasure.SamplingConfig{N: 3, Duration: 300 * time.Millisecond})
			AddReportEntry(exp.Name, exp)
			AddReportEntry("speed-up", speedups(exp))
		})
	})
})

// The set-ups the experiment compares.
const (
	oneThread      = "one thread, one half after the other"
	oneInterpreter = "two threads of one interpreter"
	yourBatch      = "your Batch: an interpreter per half"
)

// calibrate returns a COUNT, a power of two times 10,000, for which
// runOneThread of its two halves takes at least d, or 5,120,000 at most.
// It only sizes the experiment; nothing is asserted about time.
func calibrate(d time.Duration) int {
	count := 10_000
	for count < 5_000_000 {
		start := time.Now()
		runOneThread([]Job{{"A", count / 2}, {"B", count / 2}})
		if time.Since(start) >= d {
			break
		}
		count *= 2
	}
	return count
}

// runOneThread runs the jobs one after the other on one thread: the
// notebook's countdown(COUNT).
func runOneThread(jobs []Job) {
	th := vm.New(vm.Config{Name: "main"}).NewThread("main")
	for _, j := range jobs {
		if _, err := th.Call(courseCountdown, "countdown", j.N); err != nil {
			Fail(err.Error())
		}
	}
}

// runThreadsOfOneInterpreter runs the jobs at once as threads of one
// interpreter: the notebook's two threading.Threads.
func runThreadsOfOneInterpreter(jobs []Job) {
	in := vm.New(vm.Config{Name: "main"})
	var ths []*vm.Thread
	for _, j := range jobs {
		th := in.NewThread(j.Name)
		th.Start(courseCountdown, "countdown", j.N)
		ths = append(ths, th)
	}
	for _, th := range ths {
		if _, err := th.Join(); err != nil {
			Fail(err.Error())
		}
	}
}

// runBatch runs the jobs with the learner's Batch, each on a goroutine of
// its own, while this goroutine gathers the results.
func runBatch(jobs []Job) {
	b := NewBatch(jobs, func(name string) *vm.Interpreter { return vm.New(vm.Config{Name: name}) })
	var wg sync.WaitGroup
	for i := range jobs {
		wg.Go(func() { b.Run(i) })
	}
	b.Results()
	wg.Wait()
}

// speedups says how the three set-ups compare, by their median durations.
func speedups(exp *gmeasure.Experiment) string {
	median := func(name string) time.Duration {
		return exp.GetStats(name).DurationFor(gmeasure.StatMedian)
	}
	one := median(oneThread)
	line := func(name string) string {
		d := median(name)
		return fmt.Sprintf("%s: %v, %.2f times the time of one thread", name, d.Round(10*time.Microsecond), float64(d)/float64(one))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "medians: %s: %v\n%s\n%s\n", oneThread, one.Round(10*time.Microsecond), line(oneInterpreter), line(yourBatch))
	if runtime.GOMAXPROCS(0) == 1 {
		b.WriteString("(GOMAXPROCS=1: one processor, so nothing can run in parallel and no set-up can be faster than one thread)\n")
	}
	b.WriteString("(the course's notebook on the GIL, COUNT = 5,000,000: one thread 0.50 s, two threads 0.63 s, two processes 3.67 s " +
		"(the notebook does not say why); the course's blog post, three CPU-bound jobs: 23.1 s as threads, 9.98 s as processes)")
	return b.String()
}

// controlled is the configuration of the interpreters the controlled specs
// give the Batch: every debug check on, and an eval-breaker check every 20
// instructions, at which the thread drops its oldGIL and takes it again, so
// that a countdown(2) (34 instructions) drops its GIL once.
var controlled = vm.Config{CheckInterval: 20, Checks: vm.Debug, Stdout: io.Discard}

// turnsName, turnsSchedule: the scenario whose trace the README walks. A
// starts and reads its input's refcount, B starts (and, sharing A's
// interpreter, waits for the GIL), then A goes on; from there on every
// goroutine runs until it finishes or blocks.
const (
	turnsName     = "A and B count down from 2 at once, each on a thread of its own, while main gathers their results"
	turnsSchedule = "A A B"
)

// pair is the notebook's experiment in miniature: two equal halves.
func pair() []Job { return []Job{{"A", 2}, {"B", 2}} }

// outcome is what one run of a batch scenario left behind, for the checks
// and for explain.
type outcome struct {
	jobs    []Job
	interps *interpreters
	got     []Result // what main's Results returned
}

// batchScenario runs every job on a goroutine named after it, each calling
// Run, while a goroutine named main calls Results. It checks, at the end,
// that no job failed (an object that crossed interpreters makes a job
// fail), that each job ran in an interpreter of its own, and that main got
// each job's result exactly once. *last is set to the run's outcome.
func batchScenario(name string, jobs []Job, last **outcome) interleave.Scenario {
	return interleave.Scenario{
		Name: name,
		Setup: func(r *interleave.Run) {
			o := &outcome{jobs: jobs, interps: &interpreters{config: controlled, oldGIL: true}}
			*last = o
			b := NewBatch(jobs, o.interps.New)
			r.Name(b, "batch") // its WaitGroup or mutex, whatever the field's name: batch.wg, batch.mu
			for i, j := range jobs {
				r.Go(j.Name, func() { b.Run(i) })
			}
			r.Go("main", func() { o.got = b.Results() })
			r.Finally(func() error { return o.check() })
		},
	}
}

// outcomeOf returns the outcome of the run that failed with f, replaying
// its schedule: after Explore, *last holds the outcome of the last run,
// which need not be the failing one (Explore goes on to look for a simpler
// failure).
func outcomeOf(sc interleave.Scenario, f *interleave.Failure, last **outcome) *outcome {
	if f != nil {
		if _, err := interleave.Replay(f.Schedule.String(), sc); err != nil {
			return nil
		}
	}
	return *last
}

// check is the scenario's final check.
func (o *outcome) check() error {
	if err := failed(o.got); err != nil {
		return err
	}
	if err := o.interps.oneEach(o.jobs); err != nil {
		return err
	}
	if err := o.interps.ranCountdowns(o.jobs); err != nil {
		return err
	}
	return gathered(o.jobs, o.got)
}

// interpreters is the newInterpreter the specs give NewBatch: it makes
// interpreters configured for the spec and remembers them, so that the specs
// can count their threads. It is safe for concurrent use.
type interpreters struct {
	config vm.Config // Name is set from New's argument
	oldGIL bool      // give each interpreter an oldGIL of its own

	mu   sync.Mutex // guards made
	made []*vm.Interpreter
}

// New makes an interpreter called name, with an oldGIL of its own if f
// asks for one.
func (f *interpreters) New(name string) *vm.Interpreter {
	c := f.config
	c.Name = name
	if f.oldGIL {
		c.Lock = newOldGIL()
	}
	in := vm.New(c)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.made = append(f.made, in)
	return in
}

// all returns the interpreters made so far.
func (f *interpreters) all() []*vm.Interpreter {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.made)
}

// oneEach checks that the jobs ran as one thread each, every thread in an
// interpreter of its own. Its error is a *layoutError.
func (f *interpreters) oneEach(jobs []Job) error {
	e := &layoutError{jobs: len(jobs)}
	for _, in := range f.all() {
		n := in.Threads()
		e.threads += n
		if n > 1 {
			e.shared = append(e.shared, fmt.Sprintf("interpreter %s ran %d of them", in.Name(), n))
		}
	}
	if len(e.shared) > 0 || e.threads != e.jobs {
		return e
	}
	return nil
}

// layoutError says how the jobs' threads were spread over interpreters when
// that was not one thread in each of as many interpreters as jobs.
type layoutError struct {
	jobs, threads int      // how many jobs; how many threads newInterpreter's interpreters ran
	shared        []string // the interpreters that ran more than one thread
}

func (e *layoutError) Error() string {
	switch {
	case len(e.shared) > 0:
		return fmt.Sprintf("%d jobs ran as %d threads, but not in an interpreter each: %s, and only the thread "+
			"holding an interpreter's GIL runs its bytecode (want one interpreter per job)",
			e.jobs, e.threads, strings.Join(e.shared, ", "))
	case e.threads == 0:
		return "no interpreter made by newInterpreter ran a thread (want each job on a thread of an interpreter that " +
			"newInterpreter made)"
	}
	return fmt.Sprintf("the interpreters made by newInterpreter ran %d threads for %d jobs (want one thread per job)", e.threads, e.jobs)
}

// ranCountdowns checks that every interpreter newInterpreter made that ran
// a thread ran, as bytecode, exactly the instructions of one job's
// countdown, and that together they ran one countdown per job: the VM's own
// count (vm.Interpreter.Instructions), which the code under test cannot
// change, against the instructions each job's countdown runs on an
// interpreter of the spec's. Its error is a *bytecodeError.
func (f *interpreters) ranCountdowns(jobs []Job) error {
	e := &bytecodeError{}
	for _, in := range f.all() {
		if in.Threads() > 0 {
			e.ran = append(e.ran, in.Instructions())
		}
	}
	for _, j := range jobs {
		e.calls = append(e.calls, fmt.Sprintf("countdown(%d)", j.N))
		e.want = append(e.want, countdownInstructions(j.N))
	}
	if slices.Equal(slices.Sorted(slices.Values(e.ran)), slices.Sorted(slices.Values(e.want))) {
		return nil
	}
	return e
}

// courseCountdown is the course's countdown, assembled from the specs' own
// copy of its text: the specs measure the jobs against it, never against
// the lesson's Countdown, which the lesson's code could change.
var courseCountdown = vm.MustAssemble("countdown.asm", `
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

// countdownInstructions is how many instructions countdown(n) runs, as the
// VM counts them: it runs it once, alone, on an interpreter of its own.
func countdownInstructions(n int) int64 {
	in := vm.New(vm.Config{Name: "reference", Stdout: io.Discard})
	if _, err := in.NewThread("reference").Call(courseCountdown, "countdown", n); err != nil {
		return -1 // cannot happen: courseCountdown is the specs' own
	}
	return in.Instructions()
}

// bytecodeError says how many instructions the jobs' interpreters ran when
// that was not one countdown each.
type bytecodeError struct {
	ran   []int64  // per interpreter that ran a thread: the instructions it ran
	calls []string // per job: its countdown, "countdown(2)"
	want  []int64  // per job: the instructions its countdown runs
}

func (e *bytecodeError) Error() string {
	return fmt.Sprintf("the jobs' interpreters ran %s instructions of bytecode, as the VM counts them, but %s %s %s "+
		"(want each job's countdown run once, as bytecode, on its own interpreter)",
		andList(e.ran), strings.Join(e.calls, " and "), map[bool]string{true: "runs", false: "run"}[len(e.calls) == 1], andList(e.want))
}

// andList is "34", "34 and 47", "0, 0 and 12".
func andList(ns []int64) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = fmt.Sprint(n)
	}
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}

// failed reports the jobs whose Result carries an error.
func failed(got []Result) error {
	var errs []error
	for _, r := range got {
		if r.Err != nil {
			errs = append(errs, fmt.Errorf("job %s failed: %w", r.Job, r.Err))
		}
	}
	return errors.Join(errs...)
}

// gathered checks that got holds each job's result exactly once, with
// countdown's total.
func gathered(jobs []Job, got []Result) error {
	var errs []error
	seen := map[string]int{}
	for _, r := range got {
		seen[r.Job]++
	}
	var names []string
	for _, r := range got {
		names = append(names, r.Job)
	}
	list := "nothing"
	if len(names) > 0 {
		list = strings.Join(names, ", ")
	}
	for _, j := range jobs {
		switch n := seen[j.Name]; {
		case n == 0:
			errs = append(errs, fmt.Errorf("main's Results returned the results of %s, but not %s's: %s's result is lost (want one result per job)",
				list, j.Name, j.Name))
		case n > 1:
			errs = append(errs, fmt.Errorf("main's Results returned %s's result %d times (want one result per job)", j.Name, n))
		}
		delete(seen, j.Name)
	}
	for _, name := range slices.Sorted(maps.Keys(seen)) {
		errs = append(errs, fmt.Errorf("main's Results returned a result for %q, which is not one of the jobs", name))
	}
	for _, r := range got {
		for _, j := range jobs {
			if r.Job == j.Name && r.Err == nil && r.Total != total(j.N) {
				errs = append(errs, fmt.Errorf("%s's total is %d, but countdown(%d) returns %d", j.Name, r.Total, j.N, total(j.N)))
			}
		}
	}
	return errors.Join(errs...)
}

// total is what countdown(n) returns: 0 + 1 + ... + (n-1).
func total(n int) int { return n * (n - 1) / 2 }

// midCountdown returns how many steps g takes, running alone from the
// start of a run of sc, to its first eval-breaker drop, in the middle of
// its countdown; 1 if it never drops its GIL. The number depends on the
// learner's Batch (a Lock before Call is a step of its own), so it is read
// from a run rather than written down.
func midCountdown(sc interleave.Scenario, g string) int {
	GinkgoHelper()
	res, err := interleave.Replay(g, sc)
	Expect(err).NotTo(HaveOccurred())
	for _, e := range res.Trace {
		if e.G == g && e.Kind == interleave.Label && e.Label == "drops the GIL" {
			return e.Step
		}
	}
	return 1
}

// waitedForA returns a failure when, in a run of "A*steps B" (A stopped in
// the middle of its countdown, then B let go), B blocked before it reached
// the middle of its own countdown, while A was still stopped.
func waitedForA(res *interleave.Result, steps int) *interleave.Failure {
	for i, e := range res.Trace {
		switch {
		case e.Step <= steps || e.G == "main":
		case e.G == "A":
			return nil // B let A go on without having waited for it
		case e.Kind == interleave.Label && e.Label == "drops the GIL":
			return nil // B is in the middle of its countdown too
		case e.Kind == interleave.Block:
			wait := e.Label // "waits for batch.mu, which A holds"
			if e.Cell == "" {
				wait = "blocks in " + e.Label // a channel or the standard library's sync
			}
			return &interleave.Failure{
				Kind:     interleave.Broken,
				Scenario: res.Scenario,
				Message: fmt.Sprintf("B %s, at %s (line %d), while A was in the middle of its countdown "+
					"(want the two jobs to run at once)", wait, e.At, lineOf(res.Trace, i)),
				Trace:    res.Trace,
				Schedule: res.Schedule,
			}
		}
	}
	return nil
}

// lineOf is the number of the line that shows event i when t is printed
// (a read and the write that follows it share a line).
func lineOf(t interleave.Trace, i int) int { return len(t[:i+1].Lines()) }

// explain says, in a learner's words, what went wrong in a failed run and
// what to do about it.
func explain(f *interleave.Failure, o *outcome) string {
	if f == nil {
		return ""
	}
	switch f.Kind {
	case interleave.Deadlock:
		return "deadlock: every goroutine waits and none can go on. Does a job wait to hand over its result while " +
			"nobody takes it (main's Results must take one result per job), or does Results wait for more results " +
			"than there are jobs? Next: HINTS.md, hint 3."
	case interleave.Panicked:
		return "a goroutine panicked while running a job or gathering the results; the trace below ends where. Next: HINTS.md, hint 3."
	case interleave.Broken:
	default:
		return "the run did not finish normally; the message below says why. Next: HINTS.md, hint 3."
	}
	if o == nil {
		return "the run broke a promise of Batch (below). Next: HINTS.md, hint 1."
	}
	if err := failed(o.got); err != nil {
		if strings.Contains(err.Error(), "cannot cross interpreters") {
			return "a job's argument crossed interpreters: every object belongs to the interpreter that made it, and the VM " +
				"refuses to hand one to a thread of another interpreter, as one Python process cannot use another's objects. " +
				"Pass the job's input as a plain Go value (job.N, an int): the job's own interpreter makes its own object " +
				"of it, as multiprocessing copies a process's arguments into it. Next: HINTS.md, hint 2."
		}
		return "a job failed; its error is below. Next: HINTS.md, hint 3."
	}
	var layout *layoutError
	if errors.As(o.interps.oneEach(o.jobs), &layout) {
		switch {
		case len(layout.shared) > 0:
			return cpuBound(f, o)
		case layout.threads == 0:
			return "no job ran on an interpreter that newInterpreter made. Make every interpreter with the " +
				"newInterpreter function NewBatch was given, not with vm.New: the specs count the interpreters it " +
				"makes, and turn on their debug checks. Next: HINTS.md, hint 1."
		}
		return "each job must run as exactly one thread, of an interpreter of its own: make one interpreter and one " +
			"thread per Run, and call countdown once on it. Next: HINTS.md, hint 3."
	}
	var bytecode *bytecodeError
	if errors.As(o.interps.ranCountdowns(o.jobs), &bytecode) {
		return noBytecode
	}
	return lostResult(f, o)
}

// noBytecode explains a run whose interpreters did not run one countdown
// each as bytecode.
const noBytecode = "cpu-bound: the totals must be what each job's countdown returned when its interpreter ran it as " +
	"bytecode, and the VM counts every instruction an interpreter runs: the jobs' interpreters did not run one countdown " +
	"each (below). Computing the total in Go, or running less or more bytecode than the job's countdown, is not running " +
	"the job: in Run, call th.Call(Countdown, \"countdown\", job.N) once, on a thread of the job's own interpreter, and " +
	"hand back what it returns. Next: HINTS.md, hint 2."

// lostResult explains a run in which main's Results did not return every
// job's result exactly once, from what the trace shows of the jobs'
// WaitGroup: a job whose Done came before main's Wait returned, although
// its result was not in yet, called Done before handing the result over;
// a job whose Add came after it was not counted when main waited.
func lostResult(f *interleave.Failure, o *outcome) string {
	const lost = "lost result: main's Results must wait until every job has handed over its result, and return each exactly once. "
	waited := slices.IndexFunc(f.Trace, func(e interleave.Event) bool {
		return e.G == "main" && e.Kind == interleave.Sync && strings.HasPrefix(e.Label, "has waited for ")
	})
	if waited < 0 {
		return lost + "A Results that takes only what has arrived so far returns too early when a job is still counting. " +
			"Next: HINTS.md, hint 2."
	}
	wg := f.Trace[waited].Cell
	for _, j := range o.jobs {
		if slices.ContainsFunc(o.got, func(r Result) bool { return r.Job == j.Name }) {
			continue
		}
		for i, e := range f.Trace {
			if e.G != j.Name || e.Kind != interleave.Sync || e.Cell != wg {
				continue
			}
			switch {
			case i < waited && strings.HasPrefix(e.Label, "is done with "):
				msg := fmt.Sprintf("Done before the result is handed over: %s called Done on %s at line %d with its result "+
					"still in its hands, so main's Wait returned at line %d and Results read what had arrived without it",
					j.Name, wg, lineOf(f.Trace, i), lineOf(f.Trace, waited))
				if after := handedOver(f.Trace, j.Name, waited); after >= 0 {
					msg += fmt.Sprintf("; %s %s only at line %d", j.Name, f.Trace[after].Label, lineOf(f.Trace, after))
				}
				return msg + ". Wait promises only that every Done has happened, so Done must be the last thing a job " +
					"does: defer it at the top of Run, or call it after the append. Next: HINTS.md, hint 2."
			case i > waited && strings.HasPrefix(e.Label, "adds "):
				return fmt.Sprintf("lost result: %s added itself to %s at line %d, after main's Wait had returned at line %d "+
					"with nothing to wait for. Add must count every job before Results can wait: call Add(len(jobs)) in "+
					"NewBatch, not Add(1) inside Run. Next: HINTS.md, hint 3.", j.Name, wg, lineOf(f.Trace, i), lineOf(f.Trace, waited))
			}
		}
	}
	return lost + "Next: HINTS.md, hint 2."
}

// handedOver returns the index of the first synchronisation g did after
// event from (taking a lock to append its result, say), or -1.
func handedOver(t interleave.Trace, g string, from int) int {
	for i := from + 1; i < len(t); i++ {
		if t[i].G == g && t[i].Kind == interleave.Sync {
			return i
		}
	}
	return -1
}

// cpuBound explains a run in which jobs shared an interpreter.
func cpuBound(f *interleave.Failure, o *outcome) string {
	var names []string
	for _, j := range o.jobs {
		names = append(names, j.Name)
	}
	var waits []string
	for i, e := range f.Trace {
		if e.Kind == interleave.Block && slices.Contains(names, e.G) {
			waits = append(waits, fmt.Sprintf("%s at line %d", e.G, lineOf(f.Trace, i)))
		}
	}
	msg := "cpu-bound: " + strings.Join(names, " and ") + " ran as threads of one interpreter" + sharedName(o) + ", so they took turns on its GIL"
	if len(waits) > 0 {
		msg += " (each waited for it while the other ran: " + strings.Join(waits, ", ") + ")"
	}
	return msg + ". Only the thread that holds an interpreter's GIL runs bytecode, so CPU-bound jobs that share an " +
		"interpreter never run at the same time, however many processors there are, and handing the GIL back and forth " +
		"costs extra. Give each job an interpreter of its own, made with newInterpreter, as Python's multiprocessing " +
		"gives each job a process. Next: HINTS.md, hint 1."
}

// sharedName is ", main" for the interpreter that ran more than one
// thread, or "" if there is none.
func sharedName(o *outcome) string {
	for _, in := range o.interps.all() {
		if in.Threads() > 1 {
			return ", " + in.Name()
		}
	}
	return ""
}

// lostFreely explains a result lost while the jobs ran freely. Whether Run
// hands results over under a lock is read from a controlled run of A and B
// (the trace's Sync events), and whether `go test -race` watched from the
// build: "without a lock" and "the data race above" are said only when true.
func lostFreely() string {
	msg := "lost result: with goroutines really running at once, Results must return every job's result exactly once. "
	var o *outcome
	res, err := interleave.Replay("A", batchScenario("A and B count down from 2 at once while main gathers their results", pair(), &o))
	if err == nil {
		for _, e := range res.Trace {
			if (e.G == "A" || e.G == "B") && e.Kind == interleave.Sync && lockVerb.MatchString(e.Label) {
				return msg + fmt.Sprintf("Run does take a lock (a controlled run of A and B shows: %s %s), so look at "+
					"when Results stops waiting: it may return only once every job has handed its result over (with a "+
					"WaitGroup, Done after the append). Next: HINTS.md, hint 2.", e.G, e.Label)
			}
		}
	}
	msg += "Run takes no lock of the kit's sync (a controlled run of A and B shows none), and several goroutines " +
		"appending to one slice without one lose results: lesson 01's lost update, on the slice's length. "
	if raceDetector() {
		return msg + "`go test -race` reports the data race above. Next: HINTS.md, hint 2."
	}
	return msg + "Run `go test -race` to see the data race. Next: HINTS.md, hint 2."
}

// lockVerb matches what the trace says a goroutine did when it took a lock
// of the kit's sync: "locks batch.mu", "write-locks batch.mu", "read-locks
// batch.mu".
var lockVerb = regexp.MustCompile(`^(locks|write-locks|read-locks) `)

// raceDetector reports whether the test binary was built with -race.
func raceDetector() bool {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range info.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// HaveTotal succeeds for a Result of the job named job, without an error,
// whose Total is want.
func HaveTotal(job string, want int) types.GomegaMatcher {
	return gcustom.MakeMatcher(func(r Result) (bool, error) {
		return r.Job == job && r.Err == nil && r.Total == want, nil
	}).WithTemplate("Expected {{.Actual.Job}}'s result (total {{.Actual.Total}}, error {{.Actual.Err}}) {{.To}} be job {{.Data.Job}}'s, with total {{.Data.Want}} and no error",
		struct {
			Job  string
			Want int
		}{job, want})
}
