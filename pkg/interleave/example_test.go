package interleave_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/racekit/racekit/pkg/interleave"
	"github.com/racekit/racekit/pkg/sync"
)

// counter is a hit counter whose increment is a read-modify-write.
type counter struct {
	mu   sync.Mutex // guards hits when locked is set
	hits *interleave.Int
}

func (c *counter) inc(locked bool) {
	if locked {
		c.mu.Lock()
		defer c.mu.Unlock()
	}
	c.hits.Set(c.hits.Get() + 1)
}

func twoIncrements(locked bool) interleave.Scenario {
	return interleave.Scenario{
		Name: "two goroutines count one hit each",
		Setup: func(r *interleave.Run) {
			c := &counter{hits: interleave.NewInt("hits", 0)}
			r.Go("A", func() { c.inc(locked) })
			r.Go("B", func() { c.inc(locked) })
			r.Finally(func() error {
				if n := c.hits.Get(); n != 2 {
					return fmt.Errorf("hits is %d (want 2): an update was lost", n)
				}
				return nil
			})
		},
	}
}

// Replay pins one interleaving: both goroutines read 0 before either writes.
func ExampleReplay() {
	res, err := interleave.Replay("A*2 B*2 A B", twoIncrements(false))
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Failure)
	// Output:
	// two goroutines count one hit each
	//   1. A  inc  reads hits -> 0
	//   2. B  inc  reads hits -> 0
	//   3. A  inc  writes 1
	//   4. B  inc  writes 1
	//   hits is 1 (want 2): an update was lost
	//   replay this schedule: A*2 B*2 A B
}

// Explore finds the lost update by itself, and tries every outcome of the
// locked version: with the kit's sync, Lock and Unlock are scheduling
// points too, and schedules that only reorder independent steps (the
// goroutines' starts, say) run once.
func ExampleExplore() {
	fmt.Println(interleave.Explore(twoIncrements(false)).Failure.Schedule)
	fmt.Println(interleave.Explore(twoIncrements(true), interleave.Options{MaxPreemptions: 10}).Coverage())
	fmt.Println(interleave.Explore(twoIncrements(true), interleave.Options{MaxPreemptions: 10, NoReduction: true}).Coverage())
	// Output:
	// A*2 B*3 A
	// explored 4 schedules: every schedule of the scenario up to the order of independent steps, so every outcome (exhaustive)
	// explored 12 schedules: every schedule of the scenario (exhaustive)
}

// The kit's sync shows every Lock and Unlock in the trace, under the names
// Run.Name gives; a goroutine whose Lock finds the mutex taken waits, and
// the trace says for whom, until the holder unlocks.
func ExampleRun_Name() {
	res, err := interleave.Replay("A*3 B A*2 B", interleave.Scenario{
		Name: "two goroutines count one hit each, under a lock",
		Setup: func(r *interleave.Run) {
			c := &counter{hits: interleave.NewInt("hits", 0)}
			r.Name(c, "c")
			r.Go("A", func() { c.inc(true) })
			r.Go("B", func() { c.inc(true) })
		},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(res)
	// Output:
	// two goroutines count one hit each, under a lock
	//   1. A  inc  locks c.mu
	//   2. A  inc  reads hits -> 0
	//   3. B  inc  waits for c.mu, which A holds
	//   4. A  inc  writes 1
	//   5. A  inc  unlocks c.mu
	//   6. B  inc  locks c.mu
	//   7. B  inc  reads hits -> 1, writes 2
	//   8. B  inc  unlocks c.mu
	//   passed; schedule: A*3 B A*2 B*4
}

// A schedule's text form writes repeated steps as NAME*n.
func ExampleParseSchedule() {
	s, err := interleave.ParseSchedule("A*3 B A")
	fmt.Println(s, len(s), err)
	_, err = interleave.ParseSchedule("A*0")
	fmt.Println(err)
	// Output:
	// A*3 B A 5 <nil>
	// interleave: schedule token 1 "A*0": the count after '*' must be a whole number from 1 to 1000000
}

// Play lets a caller be the scheduler, one command a line: here two steps
// of A, which reads the count and is about to write it back, then quit.
// racekit play sends such commands from its terminal game.
func ExamplePlay() {
	cmds := strings.NewReader(`{"op":"run","schedule":["A","A"]}` + "\n" + `{"op":"quit"}` + "\n")
	var out bytes.Buffer
	interleave.Play(twoIncrements(false), interleave.Options{}, cmds, &out)
	for line := range strings.Lines(out.String()) {
		var m interleave.PlayMessage
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			panic(err)
		}
		fmt.Println(m.Type, m.Schedule, m.Shared)
		for _, l := range m.Lanes {
			fmt.Printf("  %s %s %s\n", l.Name, l.Status, l.At.ShortFunc())
		}
		for _, t := range m.Trace {
			fmt.Println(t)
		}
	}
	// Output:
	// hello [] []
	// state [A A] [hits = 0]
	//   A ready inc
	//   B new -
	//   1. A  inc  reads hits -> 0
}

// Where the bounded exploration leaves schedules out, RandomSchedules draws
// more at random (PCT), the same ones every time, and Coverage says how
// likely a bug of each depth was to slip past them.
func ExampleOptions_randomSchedules() {
	rep := interleave.Explore(twoIncrements(true), interleave.Options{MaxPreemptions: 1, NoReduction: true, RandomSchedules: 30})
	fmt.Println(rep.Coverage())
	// Output:
	// explored 10 schedules with at most 1 preemption, not the ones with more, then 30 drawn at random (PCT, 2 goroutines, switching among the first 10 steps); the chance that they all missed a bug that needs d orderings among those steps: depth 1: at most 0.10%, depth 2: at most 60%, depth 3: at most 96%; exploring is not a proof
}
