package atomic_test

import (
	"fmt"
	"testing"

	"github.com/racekit/racekit/pkg/interleave"
	"github.com/racekit/racekit/pkg/sync/atomic"
)

// counter's inc is an atomic load followed by an atomic store: each is
// atomic, the increment is not.
type counter struct{ n atomic.Int64 }

func (c *counter) incSplit() { c.n.Store(c.n.Load() + 1) }
func (c *counter) incAdd()   { c.n.Add(1) }
func (c *counter) incCAS() {
	for {
		old := c.n.Load()
		if c.n.CompareAndSwap(old, old+1) {
			return
		}
	}
}

func twoIncrements(inc func(*counter)) interleave.Scenario {
	return interleave.Scenario{Name: "two goroutines increment n", Setup: func(r *interleave.Run) {
		c := &counter{}
		r.Name(c, "c")
		r.Go("A", func() { inc(c) })
		r.Go("B", func() { inc(c) })
		r.Finally(func() error {
			if n := c.n.Load(); n != 2 {
				return fmt.Errorf("n is %d, want 2: an increment was lost", n)
			}
			return nil
		})
	}}
}

func TestAtomicsUnderTheScheduler(t *testing.T) {
	rep := interleave.Explore(twoIncrements((*counter).incSplit))
	if rep.Failure == nil {
		t.Fatalf("a Load then a Store is two steps, and another goroutine's can come between them; but %s", rep.Coverage())
	}
	t.Logf("split increment:\n%s", rep.Failure)
	for name, inc := range map[string]func(*counter){"Add": (*counter).incAdd, "CompareAndSwap loop": (*counter).incCAS} {
		rep := interleave.Explore(twoIncrements(inc), interleave.Options{MaxPreemptions: 20})
		if !rep.Passed() || !rep.Exhaustive {
			t.Errorf("%s: want every schedule to pass, exhaustively; got %s", name, rep)
		}
	}
}

func ExampleInt64() {
	res, err := interleave.Replay("A*2 B*3 A", twoIncrements((*counter).incSplit))
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Failure)
	// Output:
	// two goroutines increment n
	//   1. A  incSplit  loads c.n: 0
	//   2. B  incSplit  loads c.n: 0
	//   3. B  incSplit  stores in c.n: 1
	//   4. A  incSplit  stores in c.n: 1
	//   n is 1, want 2: an increment was lost
	//   replay this schedule: A*2 B*3 A
}

func TestOutsideARun(t *testing.T) {
	var b atomic.Bool
	if b.Swap(true) || !b.Load() || b.CompareAndSwap(false, true) {
		t.Error("Bool does not behave as sync/atomic's")
	}
	var u atomic.Uint32
	u.Store(6)
	if u.And(3) != 6 || u.Or(8) != 2 || u.Load() != 10 {
		t.Error("Uint32's And and Or do not return the old value as sync/atomic's do")
	}
	var p atomic.Pointer[int]
	x := 7
	if p.Load() != nil || !p.CompareAndSwap(nil, &x) || *p.Load() != 7 {
		t.Error("Pointer does not behave as sync/atomic's")
	}
	var v atomic.Value
	v.Store("a")
	if v.Swap("b") != "a" || v.Load() != "b" {
		t.Error("Value does not behave as sync/atomic's")
	}
}
