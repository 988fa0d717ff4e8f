package gilnotlock

import (
	"embed"
	"errors"
	"fmt"
	"regexp"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/gil"
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

// perThread is how many times each of the two threads adds one.
const perThread = 2

// maxSteps bounds a schedule of the explorations: a right program takes
// fewer than 100 steps, and one that spins is a livelock after this many.
const maxSteps = 2000

// The specs are Ordered and stop at the first failure: the program on one
// thread first, then two threads under the controlled scheduler with the
// eval breaker where CPython 3.10 and later check it, then where CPython
// up to 3.9 checked it, and the free-running hammer last.
var _ = Describe("count(n) on two threads of one interpreter, under the new GIL", Ordered, func() {
	var prog *vm.Program

	It("uses the kit's sync, which the scheduler sees", func() {
		Expect(lessonCode).To(interleavetest.UseTheKitsSync(), "counter.go needs no Go lock of its own: the program's lock "+
			"is a vm.UserLock, made by the builtin lock(). If you add one anyway, take it from the kit's sync, whose every "+
			"Lock and Unlock the specs' scheduler sees; the standard library's would be invisible to it. Next: HINTS.md, hint 3.")
	})

	It("assembles Program, which has setup() and count(n)", func() {
		var err error
		prog, err = vm.Assemble("counter.asm", Program)
		Expect(err).NotTo(HaveOccurred(), "Program must be assembly text that vm.Assemble accepts; the error says the line")
		Expect(prog.Func("setup")).NotTo(BeNil(), "the specs call setup() once, before the threads start")
		Expect(prog.Func("count")).NotTo(BeNil(), "the specs run count(n) on each thread")
		Expect(prog.Func("count").Params()).To(HaveLen(1), "count takes one argument, n")
	})

	When("one thread runs count(3) alone", func() {
		It("adds one() to counter three times", func() {
			var o outcome
			res, err := interleave.Replay("A", counters(prog, vm.BackwardJumpsAndCalls, 3, []string{"A"}, &o))
			Expect(err).NotTo(HaveOccurred())
			Expect(res).To(interleavetest.Pass(), func() string { return explain(res.Failure, &o) })
		})
	})

	When("A and B each run count(2), and the eval breaker is checked at backward jumps and calls, as in CPython 3.10 and later", func() {
		It("ends with counter at 4, in every schedule with at most 2 preemptions", func() {
			var o outcome
			rep := interleave.Explore(counters(prog, vm.BackwardJumpsAndCalls, perThread, []string{"A", "B"}, &o),
				interleave.Options{MaxPreemptions: 2, MaxSteps: maxSteps, RandomSchedules: 40})
			interleavetest.ReportExploration(rep)
			Expect(rep).To(interleavetest.Pass(), func() string { return explain(rep.Failure, &o) })
		})
	})

	When("A and B each run count(2), and the eval breaker is checked before every instruction, as in CPython up to 3.9", func() {
		It("ends with counter at 4, in every schedule with at most 2 preemptions", func() {
			var o outcome
			rep := interleave.Explore(counters(prog, vm.EveryInterval, perThread, []string{"A", "B"}, &o),
				interleave.Options{MaxPreemptions: 2, MaxSteps: maxSteps, RandomSchedules: 40})
			interleavetest.ReportExploration(rep)
			Expect(rep).To(interleavetest.Pass(), func() string {
				return explain(rep.Failure, &o) + "\n\nThis check passed where CPython 3.10 and later check the eval breaker, " +
					"and failed where CPython 3.9 did: the code has the race, and the newer placement only hides it here."
			})
		})
	})

	When("four threads run count(200) freely", func() {
		It("counts every update (go test -race watches the memory)", func() {
			hammer(prog)
		})
	})
})

// The lesson's fact, shown with the specs' own programs: whether a
// read-modify-write of a global loses updates depends on where the eval
// breaker is checked, so a program that passes on one Python may fail on
// another.
var _ = Describe("Where the eval breaker is checked", func() {
	It("decides which unlocked programs lose updates: counter += 1 only on the older placement, counter = counter + one() on both", func() {
		table, lost := breakerTable()
		fmt.Fprintln(GinkgoWriter, table)
		AddReportEntry("which programs lose updates", table)
		Expect(lost).To(Equal(map[string]bool{
			"counter = counter + one() / every instruction": true,
			"counter = counter + one() / jumps and calls":   true,
			"counter += 1 / every instruction":              true,
			"counter += 1 / jumps and calls":                false,
		}), "the VM's placements should behave as CPython's do:\n"+table)
	})
})

// outcome is what the threads of a run did, as the specs saw it.
type outcome struct {
	n     int            // each thread's count(n)
	calls map[string]int // per thread: the calls of the specs' one() it made, counted by the VM's builtin
	// acquires counts, per thread, the calls of acquire(l) that returned
	// with the lock taken, after setup().
	acquires map[string]int
	// made are the locks lock() made while setup() ran; inSetup says
	// whether it runs.
	made    map[*vm.UserLock]bool
	inSetup bool
}

func newOutcome(n int) outcome {
	return outcome{n: n, calls: map[string]int{}, acquires: map[string]int{}, made: map[*vm.UserLock]bool{}}
}

// probe is the specs' own bytecode: it reads the globals the lesson's
// program sets, so that the specs check what the interpreter holds.
var probe = vm.MustAssemble("probe.asm", `
func getcounter()
    LOAD_GLOBAL counter
    RETURN_VALUE
end

func getl()
    LOAD_GLOBAL l
    RETURN_VALUE
end
`)

// newInterp returns an interpreter under the new GIL with every debug
// check on, the eval breaker checked at, and the lesson's Acquire as the
// builtin acquire; lock() and release(l) are the VM's. one() is the specs'
// own and counts its calls per thread into o. lock() records in o the locks
// setup() makes, and acquire(l) checks what Acquire did: that it took the
// lock setup() made, and only that. gl may be nil, for the VM's own lock.
func newInterp(gl vm.Lock, at vm.BreakerPlacement, o *outcome) *vm.Interpreter {
	in := vm.New(vm.Config{Lock: gl, CheckInterval: 1, BreakerAt: at, Checks: vm.Debug, Stdout: GinkgoWriter})
	in.Define("one", func(t *vm.Thread, args []*vm.Object) (*vm.Object, error) {
		if len(args) != 0 {
			return nil, fmt.Errorf("one takes no arguments; got %d", len(args))
		}
		o.calls[t.Name()]++ // under the GIL, as the debug checks make sure
		return t.NewObject(1), nil
	})
	in.Define("lock", func(t *vm.Thread, args []*vm.Object) (*vm.Object, error) {
		r, err := vm.MakeLock(t, args)
		if err == nil && o.inSetup {
			l, _ := t.UserLock(r)
			o.made[l] = true
		}
		return r, err
	})
	in.Define("acquire", func(t *vm.Thread, args []*vm.Object) (*vm.Object, error) {
		return checkedAcquire(in, t, args, o)
	})
	return in
}

// checkedAcquire is the builtin acquire(l): the lesson's Acquire, with the
// specs' checks of what it did, which hold for any correct Acquire. l must
// be a lock setup() made, and Acquire must return None with l taken by t,
// leaving counter as the program stored it: a builtin that did the update
// itself, in Go and under the GIL, would be the lock this lesson says the
// GIL is not.
func checkedAcquire(in *vm.Interpreter, t *vm.Thread, args []*vm.Object, o *outcome) (*vm.Object, error) {
	if len(args) != 1 {
		return Acquire(t, args)
	}
	l, err := t.UserLock(args[0])
	if err != nil {
		return nil, fmt.Errorf("%w; acquire(l) takes the lock that setup() made with lock()", err)
	}
	if !o.inSetup && !o.made[l] {
		return nil, errors.New("acquire(l) got a lock that setup() did not make: " + makeItInSetup)
	}
	r, err := Acquire(t, args)
	if err != nil || !t.HoldsGIL() {
		return r, err // the VM reports a builtin that returns without the GIL
	}
	switch {
	case boundInGo(in):
		return nil, errors.New("Acquire changed counter: " + acquireOnlyTakes)
	case r != nil && r.Kind() != vm.NoneKind:
		return nil, fmt.Errorf("Acquire returned %v, not None: %s", r, acquireOnlyTakes)
	case l.Holder() != t:
		return nil, fmt.Errorf("acquire(l) returned to %s, but %s does not hold l (%s holds it): %s", t.Name(), t.Name(), l.Holder().Name(), acquireOnlyTakes)
	}
	if !o.inSetup {
		o.acquires[t.Name()]++
	}
	return nil, nil
}

// boundInGo reports whether counter holds an object that Go code bound to
// it (Interpreter.SetGlobal names the objects it binds) rather than one the
// program stored with STORE_GLOBAL counter. Call it with the GIL held, or
// with no thread running.
func boundInGo(in *vm.Interpreter) bool {
	c := in.Global("counter")
	return c != nil && c.Name() != ""
}

// makeItInSetup and acquireOnlyTakes are what the specs say to a lock made
// in the wrong place and to an Acquire that does something else than take
// the lock.
const (
	makeItInSetup = "make the lock once, in setup(), before the threads start, as a Python module does (l = threading.Lock()). " +
		"A lock made in count is another lock for each thread, or, made on first use (if l is None: l = lock()), " +
		"may be made twice: two threads can both find l None before either stores its lock. Next: HINTS.md, hint 1."
	acquireOnlyTakes = "acquire(l) takes l, waiting for it with the GIL released, and returns None; the update itself is the " +
		"program's, under the lock. Next: HINTS.md, hint 3."
)

// globalNames finds the globals that prog's instructions name.
var globalNames = regexp.MustCompile(`(?:LOAD|STORE)_GLOBAL\s+\d+ \((\w+)\)`)

// watchGlobals makes every global of prog that does not hold a lock a step
// of the trace, as counter is: a program that guards its update with a
// global of its own (a flag, a lock made on first use) then shows the
// scheduler where the GIL can change hands around it.
func watchGlobals(in *vm.Interpreter, prog *vm.Program) {
	seen := map[string]bool{"counter": true}
	for _, m := range globalNames.FindAllStringSubmatch(vm.Dis(prog), -1) {
		if name := m[1]; !seen[name] {
			seen[name] = true
			if g := in.Global(name); g == nil || g.Kind() != vm.LockKind {
				in.Watch(name)
			}
		}
	}
}

// counters is a scenario: the first thread runs setup(), then each named
// thread runs count(n) of prog on a goroutine of its own, under the new
// GIL with the eval breaker checked at at. counter is watched, so its
// loads and stores are steps of the trace, and a lock bound to the global
// l is called l. At the end counter must be n for every thread, and each
// thread must have called one() n times.
func counters(prog *vm.Program, at vm.BreakerPlacement, n int, names []string, o *outcome) interleave.Scenario {
	return countersOf(prog, at, n, names, true, o)
}

// counterGoal is the goal of racekit play in a counters scenario: none
// with one thread, which has nobody to lose an update to.
func counterGoal(names []string) string {
	if len(names) < 2 {
		return ""
	}
	return "lose an update though every instruction runs under the GIL: let the GIL change hands between a thread's load of counter and its store"
}

// countersOf is counters, checking the calls of one() only when calls is
// set: the table's counter += 1 makes none.
func countersOf(prog *vm.Program, at vm.BreakerPlacement, n int, names []string, calls bool, o *outcome) interleave.Scenario {
	return interleave.Scenario{
		Name: fmt.Sprintf("%s count(%d) after setup(); the eval breaker is checked %s", runs(names), n, placement(at)),
		Goal: counterGoal(names),
		Setup: func(r *interleave.Run) {
			*o = newOutcome(n)
			lock := &gil.New{}
			r.Name(lock, "the GIL")
			in := newInterp(lock, at, o)
			var ths []*vm.Thread
			for _, name := range names {
				ths = append(ths, in.NewThread(name))
			}
			o.inSetup = true
			_, setupErr := ths[0].Call(prog, "setup")
			o.inSetup = false
			if l, err := ths[0].Call(probe, "getl"); err == nil {
				if ul, ok := l.(*vm.UserLock); ok {
					r.Name(ul, "l")
				}
			}
			in.Watch("counter")
			watchGlobals(in, prog)
			errs := make([]error, len(ths))
			for i, th := range ths {
				r.Go(th.Name(), func() { errs[i] = run(th, prog, n) })
			}
			r.Finally(func() error {
				if setupErr != nil {
					return fmt.Errorf("setup() raised an error: %w", setupErr)
				}
				if err := errors.Join(errs...); err != nil {
					return err
				}
				var wrong []string
				for _, th := range ths {
					if c := o.calls[th.Name()]; c != n {
						wrong = append(wrong, fmt.Sprintf("%s called one() %d times", th.Name(), c))
					}
				}
				if calls && len(wrong) > 0 {
					return fmt.Errorf("%s: each count(%d) must call one() %d times. %s", strings.Join(wrong, ", "), n, n, keepTheShape)
				}
				if boundInGo(in) {
					return errors.New("counter was bound by Go code (Interpreter.SetGlobal), not stored by the program: " + acquireOnlyTakes)
				}
				got, err := ths[0].Call(probe, "getcounter")
				if want := n * len(ths); err != nil || got != want {
					return fmt.Errorf("counter is %v, want %d: an update was lost", got, want)
				}
				return nil
			})
		},
	}
}

// runs says who runs: "A runs" or "A and B each run".
func runs(names []string) string {
	if len(names) == 1 {
		return names[0] + " runs"
	}
	return strings.Join(names, " and ") + " each run"
}

// run is a thread's goroutine: count(n) of prog on th.
func run(th *vm.Thread, prog *vm.Program, n int) error {
	if _, err := th.Call(prog, "count", n); err != nil {
		return fmt.Errorf("%s's count(%d) raised an error: %w", th.Name(), n, err)
	}
	return nil
}

// placement says where the eval breaker is checked, in words.
func placement(at vm.BreakerPlacement) string {
	if at == vm.BackwardJumpsAndCalls {
		return "at backward jumps and calls (CPython 3.10 and later)"
	}
	return "before every instruction (CPython up to 3.9)"
}

// keepTheShape is what the specs say to a program that no longer does the
// lesson's update.
const keepTheShape = "Keep count's loop as it is, counter = counter + one() n times, and add the lock around it: " +
	"rewriting the update (without one(), or as counter += 1) can hide the race on one Python and not on another, " +
	"as the last spec's table shows. Next: HINTS.md, hint 1."

// hammer runs four threads of one interpreter, under the VM's own GIL,
// each running count(200) of prog on a goroutine of its own, for real, so
// that `go test -race` sees them run at once. A goroutine that does not
// return (a panic, runtime.Goexit, a hang) fails the spec.
func hammer(prog *vm.Program) {
	const threads, n = 4, 200
	o := newOutcome(n)
	in := newInterp(nil, vm.EveryInterval, &o)
	var ths []*vm.Thread
	for i := range threads {
		ths = append(ths, in.NewThread(fmt.Sprint("T", i+1)))
	}
	o.inSetup = true
	_, err := ths[0].Call(prog, "setup")
	o.inSetup = false
	Expect(err).NotTo(HaveOccurred(), "setup() must run without an error")
	errs := make([]error, threads)
	herr := interleavetest.Hammer{Goroutines: threads, Iterations: 1}.Run(func(g, _ int) { errs[g] = run(ths[g], prog, n) })
	Expect(herr).NotTo(HaveOccurred(), "every thread's count(200) must return: a thread that waits for the lock while it "+
		"holds the GIL can hang the others for good. Next: HINTS.md, hint 2.")
	Expect(errors.Join(errs...)).NotTo(HaveOccurred(), "no thread's count may raise an error. Next: HINTS.md, hint 3.")
	Expect(boundInGo(in)).To(BeFalse(), "counter was bound by Go code (Interpreter.SetGlobal), not stored by the program: "+acquireOnlyTakes)
	Expect(ths[0].Call(probe, "getcounter")).To(Equal(threads*n), "lost update: four threads each added 200. Next: HINTS.md, hint 1.")
	for _, th := range ths {
		Expect(o.acquires[th.Name()]).To(BeNumerically(">", 0), th.Name()+" never took the lock, and counter came out right "+
			"all the same: each count(n) must acquire(l), the lock setup() made, for its updates. Next: HINTS.md, hint 1.")
	}
}

// The specs' own programs for the table: the course's update, and the
// same with a constant, which has no call between its load and its store.
var unlocked = vm.MustAssemble("unlocked.asm", `
func setup()
    LOAD_CONST 0
    STORE_GLOBAL counter
    LOAD_CONST None
    RETURN_VALUE
end

# counter = counter + one(), n times
func count(n)
loop:
    LOAD_FAST n
    LOAD_CONST 0
    COMPARE_OP >
    POP_JUMP_IF_FALSE done
    LOAD_GLOBAL counter
    CALL_BUILTIN one 0
    BINARY_OP +
    STORE_GLOBAL counter
    LOAD_FAST n
    LOAD_CONST 1
    BINARY_OP -
    STORE_FAST n
    JUMP loop
done:
    LOAD_CONST None
    RETURN_VALUE
end
`)

var inplace = vm.MustAssemble("inplace.asm", `
func setup()
    LOAD_CONST 0
    STORE_GLOBAL counter
    LOAD_CONST None
    RETURN_VALUE
end

# counter += 1, n times: no call between the load and the store
func count(n)
loop:
    LOAD_FAST n
    LOAD_CONST 0
    COMPARE_OP >
    POP_JUMP_IF_FALSE done
    LOAD_GLOBAL counter
    LOAD_CONST 1
    BINARY_OP +
    STORE_GLOBAL counter
    LOAD_FAST n
    LOAD_CONST 1
    BINARY_OP -
    STORE_FAST n
    JUMP loop
done:
    LOAD_CONST None
    RETURN_VALUE
end
`)

// breakerTable explores the specs' two unlocked programs, A and B each
// running count(1), under both placements of the eval breaker, with no
// bound on preemptions, and returns the table of what it found and, per
// program and placement, whether an update was lost.
func breakerTable() (string, map[string]bool) {
	lost := map[string]bool{}
	rows := []struct {
		name string
		prog *vm.Program
	}{{"counter = counter + one()", unlocked}, {"counter += 1", inplace}}
	var b strings.Builder
	fmt.Fprintf(&b, "%-27s %-35s %s\n", "A and B each run once:", "checked before every instruction", "checked at backward jumps and calls")
	fmt.Fprintf(&b, "%-27s %-35s %s\n", "", "(CPython up to 3.9)", "(CPython 3.10 and later)")
	for _, row := range rows {
		cells := []string{}
		for _, at := range []vm.BreakerPlacement{vm.EveryInterval, vm.BackwardJumpsAndCalls} {
			var o outcome
			rep := interleave.Explore(countersOf(row.prog, at, 1, []string{"A", "B"}, false, &o), interleave.Options{MaxPreemptions: 50})
			key := row.name + map[vm.BreakerPlacement]string{vm.EveryInterval: " / every instruction", vm.BackwardJumpsAndCalls: " / jumps and calls"}[at]
			lost[key] = !rep.Passed()
			switch {
			case !rep.Passed():
				cells = append(cells, "loses an update ("+rep.Failure.Schedule.String()+")")
			case rep.Exhaustive:
				cells = append(cells, fmt.Sprintf("no schedule loses one (all %d)", rep.Schedules))
			default:
				cells = append(cells, fmt.Sprintf("none lost in %d schedules", rep.Schedules))
			}
		}
		fmt.Fprintf(&b, "%-27s %-35s %s\n", row.name, cells[0], cells[1])
	}
	return strings.TrimRight(b.String(), "\n"), lost
}
