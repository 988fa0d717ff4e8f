package lostupdate

import (
	"fmt"
	"testing"
	"time"

	"github.com/racekit/racekit/pkg/interleave"
)

func scen(progs map[string][]string) interleave.Scenario {
	return interleave.Scenario{Name: "x", Setup: func(r *interleave.Run) {
		o := NewObject("foo")
		want := 1
		for _, name := range []string{"A", "B", "C"} {
			p, ok := progs[name]
			if !ok {
				continue
			}
			r.Go(name, func() {
				for _, op := range p {
					if op == "i" {
						o.IncRef()
					} else {
						o.DecRef()
					}
				}
			})
			_ = want
		}
		r.Finally(func() error {
			if n := o.refcount.Get(); n != 1 {
				return fmt.Errorf("refcount %d", n)
			}
			return nil
		})
	}}
}

func TestExp(t *testing.T) {
	for _, c := range []map[string][]string{
		{"A": {"i", "d"}, "B": {"i", "d"}, "C": {"i", "d"}},
		{"A": {"i", "i", "d", "d"}, "B": {"i", "i", "d", "d"}},
		{"A": {"i", "i", "d", "d"}, "B": {"i", "d"}},
	} {
		for _, mp := range []int{1, 2, 20} {
			t0 := time.Now()
			rep := interleave.Explore(scen(c), interleave.Options{MaxPreemptions: mp})
			fmt.Println(len(c), mp, rep.Coverage(), rep.Passed(), time.Since(t0))
			if rep.Exhaustive || time.Since(t0) > time.Second {
				break
			}
		}
	}
}
