package interleavetest_test

import (
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/interleave"
	"github.com/racekit/racekit/pkg/interleave/interleavetest"
)

// counter is a hit counter whose increment is a read-modify-write of an
// interleave.Int, so the scheduler sees both halves.
type counter struct {
	mu   sync.Mutex // guards hits
	hits *interleave.Int
}

func (c *counter) inc() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.hits.Set(c.hits.Get() + 1)
}

// A spec checks that the code keeps its count where the scheduler can see
// it: here A and then B read hits and write it back.
func ExampleShowUpdatesOf() {
	res, err := interleave.Replay("A*3 B*3", interleave.Scenario{
		Name: "two goroutines count one hit each",
		Setup: func(r *interleave.Run) {
			c := &counter{hits: interleave.NewInt("hits", 0)}
			r.Go("A", c.inc)
			r.Go("B", c.inc)
		},
	})
	if err != nil {
		panic(err)
	}
	g := gomega.NewGomega(func(message string, _ ...int) { fmt.Println(message) })
	g.Expect(res.Trace).To(interleavetest.ShowUpdatesOf("hits", 1, 2))
	g.Expect(res.Trace).To(interleavetest.ShowUpdatesOf("hits"))
	// Other values fail, and the message shows the trace.
	g.Expect(res.Trace).To(interleavetest.ShowUpdatesOf("hits", 1, 1))
	// Output:
	// Expected the scheduler to see hits read and then written [1 1], but the trace is:
	//   1. A  inc  reads hits -> 0, writes 1
	//   2. B  inc  reads hits -> 1, writes 2
}

// A call that may hang on broken code goes through Returns; a call that
// returns is all a correct run ever sees.
func ExampleReturns() {
	var mu sync.Mutex
	hits := 0
	if !interleavetest.Returns(func() {
		mu.Lock()
		defer mu.Unlock()
		hits++
	}) {
		fmt.Printf("the call did not return within %v: a lock left locked?\n", interleavetest.HangBound)
		return
	}
	fmt.Println("returned; hits is", hits)
	// Output:
	// returned; hits is 1
}

// A spec ends with a hammer: the loop runs on several goroutines at once,
// for real, so that go test -race sees the code under test overlap.
func ExampleHammer() {
	c := &counter{hits: interleave.NewInt("hits", 0)}
	err := interleavetest.Hammer{Goroutines: 4, Iterations: 100}.Run(func(g, i int) { c.inc() })
	fmt.Println("error:", err)
	fmt.Println("hits:", c.hits.Get())

	// A goroutine that leaves by runtime.Goexit has not finished its loop.
	err = interleavetest.Hammer{Goroutines: 1, Iterations: 3}.Run(func(g, i int) {
		if i == 1 {
			runtime.Goexit()
		}
	})
	var he *interleavetest.HammerError
	if errors.As(err, &he) {
		fmt.Printf("goroutine %d stopped in iteration %d; panicked: %v\n", he.G, he.I, he.Panicked)
	}
	// Output:
	// error: <nil>
	// hits: 400
	// goroutine 0 stopped in iteration 1; panicked: false
}
