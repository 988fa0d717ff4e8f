package interleave

import (
	"fmt"
	"strings"
	"testing"
)

// lossy is a scenario of three goroutines each adding 1 to a shared count
// with a read and a write, steps times over: almost every schedule loses an
// update, and there are far more schedules than OutcomeBudget.
func lossy(steps int) Scenario {
	var n *Int
	return Scenario{
		Name: "three goroutines count without a lock",
		Setup: func(r *Run) {
			n = NewInt("n", 0)
			for _, g := range []string{"A", "B", "C"} {
				r.Go(g, func() {
					for range steps {
						n.Set(n.Get() + 1)
					}
				})
			}
			r.Finally(func() error {
				if got := n.Get(); got != 3*steps {
					return fmt.Errorf("n is %d, want %d", got, 3*steps)
				}
				return nil
			})
		},
	}
}

// Counting outcomes changes neither the failure reported nor, beyond
// OutcomeBudget schedules after it, how long the exploration runs.
func TestOutcomesKeepTheVerdictAndStopAfterTheBudget(t *testing.T) {
	for _, o := range []Options{{MaxPreemptions: 6}, {MaxPreemptions: 6, NoReduction: true}} {
		plain := Explore(lossy(3), o)
		t.Setenv(EnvOutcomes, "1")
		counted := Explore(lossy(3), o)
		t.Setenv(EnvOutcomes, "")

		if plain.Passed() || counted.Passed() {
			t.Fatalf("%+v: a lost update passed (plain %v, counted %v)", o, plain.Passed(), counted.Passed())
		}
		if plain.Failure.Schedule.String() != counted.Failure.Schedule.String() || plain.Preemptions != counted.Preemptions {
			t.Errorf("%+v: counting outcomes changed the failure: %s (%d preemptions) became %s (%d)", o,
				plain.Failure.Schedule, plain.Preemptions, counted.Failure.Schedule, counted.Preemptions)
		}
		total := 0
		for _, oc := range counted.Outcomes {
			total += oc.Schedules
		}
		if total > counted.failedAt+OutcomeBudget {
			t.Errorf("%+v: %d schedules counted, but the first failure came at %d and the budget is %d", o, total, counted.failedAt, OutcomeBudget)
		}
		table := counted.OutcomeTable()
		if !strings.Contains(table, fmt.Sprintf("(counting stopped %d schedules after the first failure)", OutcomeBudget)) {
			t.Errorf("%+v: the table does not say counting stopped:\n%s", o, table)
		}
		if len(plain.Outcomes) != 0 {
			t.Errorf("%+v: outcomes were counted without %s", o, EnvOutcomes)
		}
	}
}
