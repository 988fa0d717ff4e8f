package interleave

import (
	"bytes"
	"strings"
	"testing"
)

// The environment that racekit replay sets makes Explore and Replay name
// every scenario once and replay the schedule in those that match, without
// changing what they report.
func TestShowRequestedReplaysTheScheduleAndChangesNoVerdict(t *testing.T) {
	counter := func(name string) Scenario {
		var n *Int
		return Scenario{
			Name: name,
			Setup: func(r *Run) {
				n = NewInt("n", 0)
				for _, g := range []string{"A", "B"} {
					r.Go(g, func() { n.Set(n.Get() + 1) })
				}
				r.Finally(func() error {
					if n.Get() != 2 {
						return errLost
					}
					return nil
				})
			},
		}
	}
	var out bytes.Buffer
	old := replayOut
	replayOut = &out
	t.Cleanup(func() { replayOut, shown.scenarios = old, nil })
	shown.scenarios = nil
	t.Setenv(EnvReplaySchedule, "A B A B")
	t.Setenv(EnvReplayScenario, "COUNT")

	rep := Explore(counter("two goroutines count"))
	if rep.Passed() {
		t.Fatal("Explore of a lost update passed: the replay changed the exploration")
	}
	Explore(counter("two goroutines count")) // named and replayed once only
	Explore(counter("another scenario"))     // named, not replayed

	got := out.String()
	if n := strings.Count(got, ReplayBegin); n != 1 {
		t.Errorf("%d replays shown, want 1:\n%s", n, got)
	}
	for _, want := range []string{
		ScenarioLine + "two goroutines count\n",
		ScenarioLine + "another scenario\n",
		"1. A  -  reads n -> 0",
		"2. B  -  reads n -> 0, writes 1",
		"an update was lost\n  replay this schedule: A B A B*2 A\n" + ReplayEnd,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the output lacks %q:\n%s", want, got)
		}
	}
}

// errLost is the counter scenario's broken invariant.
var errLost = errorString("an update was lost")

type errorString string

func (e errorString) Error() string { return string(e) }
