package interleave_test

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/interleave"
)

// checkTwice is a scenario whose failure needs only A and B: C, started
// first, counts on its own, A panics when x changes between its two reads,
// and B changes x.
func checkTwice() interleave.Scenario {
	return interleave.Scenario{
		Name: "C counts on its own while A reads x twice and B changes it",
		Setup: func(r *interleave.Run) {
			x, c := interleave.NewInt("x", 0), interleave.NewInt("c", 0)
			r.Go("C", func() {
				for range 5 {
					c.Set(c.Get() + 1)
				}
			})
			r.Go("A", func() {
				if v := x.Get(); x.Get() != v {
					panic("x changed under A")
				}
			})
			r.Go("B", func() { x.Set(1) })
		},
	}
}

// noisyFoo is the foo trace with a cell the check does not read: each
// goroutine also counts its calls in calls.
func noisyFoo() interleave.Scenario {
	return interleave.Scenario{
		Name: "the foo trace, counting calls on the side",
		Setup: func(r *interleave.Run) {
			foo := &object{refcount: interleave.NewInt("foo.refcount", 1)}
			calls := interleave.NewInt("calls", 0)
			for _, name := range []string{"A", "B"} {
				r.Go(name, func() {
					calls.Set(calls.Get() + 1)
					foo.IncRef()
					foo.DecRef()
				})
			}
			r.Finally(func() error {
				if n := foo.refcount.Get(); n != 1 {
					return fmt.Errorf("refcount is %d, want 1", n)
				}
				return nil
			})
		},
	}
}

var _ = Describe("Explore's failing schedule", func() {
	When("steps of another goroutine came before the failure", func() {
		It("is shrunk to the steps the failure needs", func() {
			rep := interleave.Explore(checkTwice())
			Expect(rep.Failure).NotTo(BeNil(), "B can change x between A's two reads")
			Expect(rep.Failure.Kind).To(Equal(interleave.Panicked))
			Expect(rep.Failure.Schedule).NotTo(ContainElement("C"),
				"the panic ends the run, so the shortest failing run is one where C has not moved yet: %s", rep.Failure.Schedule)
			Expect(rep.Failure.Schedule.String()).To(Equal("A*2 B*2 A"), "A reads x, B writes it, A reads it again and panics")
			Expect(rep.Preemptions).To(Equal(1), "the report counts the preemptions of the shrunk schedule")
			res, err := interleave.Replay(rep.Failure.Schedule.String(), checkTwice())
			Expect(err).NotTo(HaveOccurred())
			Expect(res.Failure).NotTo(BeNil(), "the shrunk schedule replays the failure")
			Expect(res.Failure.Message).To(ContainSubstring("x changed under A"))
		})
	})

	When("the check looks at one cell and the trace touches others", func() {
		It("prints the lines about that cell, numbered as in the full trace, and counts the rest", func() {
			rep := interleave.Explore(noisyFoo())
			Expect(rep.Failure).NotTo(BeNil())
			text := rep.Failure.Error()
			Expect(text).NotTo(ContainSubstring("calls"+" ->"), "lines about calls are left out:\n%s", text)
			Expect(text).To(MatchRegexp(`\(\d+ lines left out: reads and writes of cells the check did not look at \(only foo\.refcount\); replaying the schedule shows every line\)`))
			Expect(text).To(MatchRegexp(`\n +[3-9]\. `), "the lines kept keep their numbers in the full trace:\n%s", text)

			res, err := interleave.Replay(rep.Failure.Schedule.String(), noisyFoo())
			Expect(err).NotTo(HaveOccurred())
			Expect(res.Failure.Error()).To(ContainSubstring("reads calls -> 0"), "a replayed schedule shows every line")
			Expect(res.Failure.Error()).NotTo(ContainSubstring("left out"))
		})
	})
})
