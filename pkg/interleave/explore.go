package interleave

import (
	"fmt"
	"slices"
)

// Report is the outcome of an exploration.
type Report struct {
	Scenario  string // the scenario's Name
	Schedules int    // how many schedules were run
	// Covered is the highest preemption bound whose schedules were all run
	// (-1 when not even the schedules without preemption were all run).
	Covered int
	// Exhaustive reports that every schedule of the scenario was run.
	Exhaustive bool
	// Failure is the first failing run, nil when every run passed. Bounds
	// are tried in increasing order, so it has as few preemptions as any
	// failing schedule.
	Failure *Failure
	// Preemptions is the number of preemptions in the failing schedule.
	Preemptions int
	// Diverged counts the runs that could not follow their planned first
	// steps, because something the scheduler does not control decided
	// between goroutines inside a step: a mutex handed over inside one
	// goroutine's step, a select with several ready cases, a timer. Such a
	// run is still a real interleaving and is checked like any other, but
	// the exploration may have missed schedules, so it is not Exhaustive.
	Diverged int
}

// Passed reports whether every schedule run passed.
func (r *Report) Passed() bool { return r.Failure == nil }

// String says what was explored and, on failure, prints the failing run.
func (r *Report) String() string {
	if r.Failure != nil {
		return fmt.Sprintf("%s\n  (found after %d %s; this schedule has %d %s)",
			r.Failure.Error(), r.Schedules, plural(r.Schedules, "schedule"), r.Preemptions, plural(r.Preemptions, "preemption"))
	}
	return r.Coverage()
}

// Coverage says in one sentence how much of the scenario was explored.
func (r *Report) Coverage() string {
	n := fmt.Sprintf("explored %d %s", r.Schedules, plural(r.Schedules, "schedule"))
	if r.Diverged > 0 {
		n += fmt.Sprintf(" (%d could not follow their planned steps: something outside the scheduler, such as a mutex handed over inside a step, chose between goroutines)", r.Diverged)
	}
	switch {
	case r.Exhaustive:
		return n + ": every schedule of the scenario (exhaustive)"
	case r.Covered < 0:
		return n + ": stopped at the schedule cap before covering even the schedules without preemptions; exploring is not a proof"
	default:
		return fmt.Sprintf("%s: every schedule with at most %d %s, not the ones with more; exploring is not a proof",
			n, r.Covered, plural(r.Covered, "preemption"))
	}
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// Explore runs the scenario under every schedule with at most
// Options.MaxPreemptions preemptions, fewest preemptions first and
// depth-first within a bound, and stops at the first failure or after
// Options.MaxSchedules schedules. Each schedule is run exactly once.
//
// The scenario should be deterministic for a given schedule: Setup builds
// fresh state, and the goroutines share state only through cells, points
// and synchronisation. A run that cannot follow its planned steps is counted
// in Report.Diverged, goes on without preemptions, and is checked like any
// other run.
func Explore(sc Scenario, opts ...Options) *Report {
	o := Options{}
	if len(opts) > 0 {
		o = opts[0]
	}
	o = o.withDefaults()
	type prefix struct {
		choices     Schedule
		preemptions int
	}
	queues := make([][]prefix, o.MaxPreemptions+1)
	queues[0] = []prefix{{}}
	rep := &Report{Scenario: sc.Name, Covered: -1}
	pruned := false
	for bound := 0; bound <= o.MaxPreemptions; bound++ {
		stack := queues[bound]
		queues[bound] = nil
		for len(stack) > 0 {
			if rep.Schedules >= o.MaxSchedules {
				return rep
			}
			p := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			diverged := false
			res := execute(sc, o, followPrefix(p.choices, &diverged))
			rep.Schedules++
			if diverged {
				rep.Diverged++
			}
			if res.Failure != nil {
				rep.Failure, rep.Preemptions = res.Failure, p.preemptions
				return rep
			}
			for i := len(p.choices); i < len(res.Schedule); i++ {
				prevCanGo := i > 0 && slices.Contains(res.enabled[i], res.Schedule[i-1])
				for _, alt := range res.enabled[i] {
					if alt == res.Schedule[i] {
						continue
					}
					n := p.preemptions
					if prevCanGo && alt != res.Schedule[i-1] {
						n++
					}
					child := prefix{choices: append(slices.Clone(res.Schedule[:i]), alt), preemptions: n}
					switch {
					case n <= bound:
						stack = append(stack, child)
					case n <= o.MaxPreemptions:
						queues[n] = append(queues[n], child)
					default:
						pruned = true
					}
				}
			}
		}
		rep.Covered = bound
		if !pruned && !slices.ContainsFunc(queues[bound+1:], func(q []prefix) bool { return len(q) > 0 }) {
			rep.Exhaustive = rep.Diverged == 0
			return rep
		}
	}
	return rep
}

// followPrefix takes the given choices, then never preempts. When a choice
// cannot be taken it sets *diverged and goes on without preempting.
func followPrefix(choices Schedule, diverged *bool) chooser {
	return func(step int, prev *goroutine, en []*goroutine) *goroutine {
		if step < len(choices) && !*diverged {
			for _, g := range en {
				if g.name == choices[step] {
					return g
				}
			}
			*diverged = true
		}
		return defaultChoice(prev, en)
	}
}
