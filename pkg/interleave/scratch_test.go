package interleave_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/racekit/racekit/pkg/interleave"
)

type obj struct {
	mu   sync.Mutex
	lock bool
	refs *interleave.Int
}

func (o *obj) IncRef() {
	if o.lock {
		o.mu.Lock()
		defer o.mu.Unlock()
	}
	o.refs.Set(o.refs.Get() + 1)
}
func (o *obj) DecRef() {
	if o.lock {
		o.mu.Lock()
		defer o.mu.Unlock()
	}
	o.refs.Set(o.refs.Get() - 1)
}

func foo(lock bool) interleave.Scenario {
	return interleave.Scenario{Name: "the foo trace", Setup: func(r *interleave.Run) {
		o := &obj{lock: lock, refs: interleave.NewInt("foo.refcount", 1)}
		r.Go("A", func() { o.IncRef(); o.DecRef() })
		r.Go("B", func() { o.IncRef(); o.DecRef() })
		r.Finally(func() error {
			if n := o.refs.Get(); n != 1 {
				return fmt.Errorf("refcount is %d, want 1", n)
			}
			return nil
		})
	}}
}

func TestScratch(t *testing.T) {
	res, err := interleave.Replay("A*3 B*3 A B A B", foo(false))
	fmt.Println(res, err)
	res, err = interleave.Replay("A*3 B*3 A B A B", foo(true))
	fmt.Println(res, err)
	rep := interleave.Explore(foo(false))
	fmt.Println(rep)
	rep = interleave.Explore(foo(true), interleave.Options{MaxPreemptions: 20})
	fmt.Println(rep)
}
