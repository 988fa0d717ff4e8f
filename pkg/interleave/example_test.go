package interleave_test

import (
	"fmt"
	"sync"

	"github.com/racekit/racekit/pkg/interleave"
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

// Explore finds the lost update by itself, and tries every schedule of the
// locked version.
func ExampleExplore() {
	fmt.Println(interleave.Explore(twoIncrements(false)).Failure.Schedule)
	fmt.Println(interleave.Explore(twoIncrements(true), interleave.Options{MaxPreemptions: 10}).Coverage())
	// Output:
	// B*2 A*3 B
	// explored 6 schedules: every schedule of the scenario (exhaustive)
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
