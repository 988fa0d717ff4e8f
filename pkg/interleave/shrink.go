package interleave

import "slices"

// ShrinkBudget is how many runs Explore spends, at most, cutting down a
// failing schedule it found (see shrink).
const ShrinkBudget = 300

// shrink looks for a shorter failing schedule like the given one: a run of
// fewer steps, or of as many steps and fewer preemptions, that fails the
// same way (the same outcome, as the outcome table words it), with no more
// preemptions than the exploration's bound allows (or than the failure
// had, when it was above it). It tries, one
// at a time, the schedule without one of its steps and the schedule cut
// short (the run goes on without preemptions from the cut), keeps the first
// that is better, and starts again from it, until nothing is better or
// ShrinkBudget runs are spent. Runs that could not follow their schedule
// are not taken. It returns the best run, or nil when it found nothing
// better, or when the failure cannot be shrunk (a goroutine stuck or
// spinning: each run would take the step timeout).
func shrink(sc Scenario, o Options, schedule Schedule) *Result {
	o.outcomes = false
	runs := 0
	try := func(prefix Schedule) *Result {
		runs++
		diverged := false
		res := execute(sc, o, followPrefix(prefix, &diverged, nil))
		if diverged {
			return nil
		}
		return res
	}
	best := try(schedule)
	if best == nil || best.Failure == nil || best.Failure.Kind == Stuck || best.Failure.Kind == Livelock {
		return nil
	}
	want := outcomeOf(best)
	// A failure found by a random schedule may have more preemptions than
	// the bound: its own count is then the bound.
	bound := max(o.MaxPreemptions, best.preemptions())
	better := func(res *Result) bool {
		if res == nil || res.Failure == nil || outcomeOf(res) != want || res.preemptions() > bound {
			return false
		}
		if len(res.Schedule) != len(best.Schedule) {
			return len(res.Schedule) < len(best.Schedule)
		}
		return res.preemptions() < best.preemptions()
	}
	shrunk := false
	for improved := true; improved; {
		improved = false
		s := best.Schedule
		var candidates []Schedule
		for i := len(s) - 1; i >= 0; i-- {
			candidates = append(candidates, slices.Delete(slices.Clone(s), i, i+1))
		}
		for i := range s {
			candidates = append(candidates, slices.Clone(s[:i]))
		}
		for _, c := range candidates {
			if runs >= ShrinkBudget {
				break
			}
			if res := try(c); better(res) {
				best, improved, shrunk = res, true, true
				break
			}
		}
	}
	if !shrunk {
		return nil
	}
	return best
}

// preemptions counts the run's switches away from a goroutine that could
// have taken the next step.
func (r *Result) preemptions() int {
	n := 0
	for i := 1; i < len(r.Schedule); i++ {
		if r.Schedule[i] != r.Schedule[i-1] && slices.Contains(r.enabled[i], r.Schedule[i-1]) {
			n++
		}
	}
	return n
}
