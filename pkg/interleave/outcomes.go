package interleave

import (
	"cmp"
	"fmt"
	"os"
	"slices"
	"strings"
)

// EnvOutcomes, set to anything but the empty string, makes Explore count
// the outcomes of a scenario's schedules (Report.Outcomes) and go on
// exploring after a failure to count them all, as racekit check -v asks
// it to. The failure Explore reports is the one it reports without it: the
// exploration takes the same schedules in the same order up to that
// failure, and then looks further only to count.
const EnvOutcomes = "RACEKIT_OUTCOMES"

// OutcomeBudget is how many schedules an exploration counting outcomes
// runs after its first failure, at most: enough to show what else can
// happen, and a bound on how much longer check -v takes than check.
const OutcomeBudget = 1000

// Outcome is one outcome of a scenario, and how many of the schedules an
// exploration ran ended with it.
type Outcome struct {
	What      string // "passed", or the first line of what broke
	Schedules int
}

// countOutcomes reports whether Explore should count outcomes.
func countOutcomes() bool { return os.Getenv(EnvOutcomes) != "" }

// outcomeOf is a run's outcome: "passed"; for a data race, the cell it
// was on ("data race on foo.refcount"), whoever the two goroutines were;
// otherwise the first line of the failure's message (for a broken check,
// the invariant that broke).
func outcomeOf(res *Result) string {
	switch {
	case res.Failure == nil:
		return "passed"
	case res.Failure.Kind == DataRace:
		if races := res.Trace.Races(); len(races) > 0 {
			return "data race on " + races[0].First.Cell
		}
	}
	return firstLine(res.Failure.Message)
}

// countedEnough reports whether an exploration counting outcomes has run
// OutcomeBudget schedules since its first failure, and marks the table cut.
func (r *Report) countedEnough() bool {
	if r.Failure == nil || r.Schedules-r.failedAt < OutcomeBudget {
		return false
	}
	r.outcomesCut = true
	return true
}

// count adds a run's outcome to the report's table.
func (r *Report) count(res *Result) {
	what := outcomeOf(res)
	for i := range r.Outcomes {
		if r.Outcomes[i].What == what {
			r.Outcomes[i].Schedules++
			return
		}
	}
	r.Outcomes = append(r.Outcomes, Outcome{What: what, Schedules: 1})
}

// OutcomeTable lists the outcomes an exploration counted (see EnvOutcomes),
// the most frequent first, a line each:
//
//	outcomes, by schedules run:
//	  passed: 10 schedules
//	  refcount is 2, but only foo's owner still holds it (want 1): foo leaks: 2 schedules
//
// It is empty when none were counted. With the reduction, a schedule run
// stands for every schedule that only reorders its independent steps. An
// exploration that started again without the reduction (see
// Report.Reduced) counts the second pass only, so the counts may add up to
// fewer than Report.Schedules.
func (r *Report) OutcomeTable() string {
	if len(r.Outcomes) == 0 {
		return ""
	}
	rows := slices.Clone(r.Outcomes)
	slices.SortStableFunc(rows, func(a, b Outcome) int {
		return cmp.Or(cmp.Compare(b.Schedules, a.Schedules), strings.Compare(a.What, b.What))
	})
	var b strings.Builder
	b.WriteString("outcomes, by schedules run:")
	if r.outcomesCut {
		fmt.Fprintf(&b, " (counting stopped %d schedules after the first failure)", OutcomeBudget)
	}
	for _, o := range rows {
		fmt.Fprintf(&b, "\n  %s: %d %s", o.What, o.Schedules, plural(o.Schedules, "schedule"))
	}
	return b.String()
}
