package interleave_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/interleave"
)

// deepRead is a bug of depth 3 (three orderings between steps: A's first
// write, B's first read, A's second write, B's second read) that needs two
// preemptions: B must read a between A's two writes, and again after them.
func deepRead() interleave.Scenario {
	return interleave.Scenario{
		Name: "B reads a twice while A writes 1 and 2",
		Setup: func(r *interleave.Run) {
			a := interleave.NewInt("a", 0)
			r.Go("A", func() { a.Set(1); a.Set(2) })
			r.Go("B", func() {
				if first, second := a.Get(), a.Get(); first == 1 && second == 2 {
					panic("B saw a at 1 and then at 2")
				}
			})
		},
	}
}

// calm is two goroutines that cannot go wrong.
func calm() interleave.Scenario {
	return interleave.Scenario{
		Name: "A and B each write a cell of their own",
		Setup: func(r *interleave.Run) {
			a, b := interleave.NewInt("a", 0), interleave.NewInt("b", 0)
			r.Go("A", func() { a.Set(1); a.Set(2); a.Set(3) })
			r.Go("B", func() { b.Set(1); b.Set(2); b.Set(3) })
		},
	}
}

var _ = Describe("Explore with random schedules", func() {
	When("the bug needs more preemptions than the bound", func() {
		It("is out of the bounded exploration's reach", func() {
			rep := interleave.Explore(deepRead(), interleave.Options{MaxPreemptions: 1, NoReduction: true})
			Expect(rep.Passed()).To(BeTrue(), "no schedule with one preemption puts both of B's reads between A's writes")
			Expect(rep.Exhaustive).To(BeFalse())
		})

		It("is found by the random schedules drawn after it, the same way every time", func() {
			opts := interleave.Options{MaxPreemptions: 1, NoReduction: true, RandomSchedules: 3000}
			rep := interleave.Explore(deepRead(), opts)
			Expect(rep.Failure).NotTo(BeNil(), "PCT finds a bug of depth 3 in 6 steps with probability at least 1/72 a run: %s", rep.Coverage())
			Expect(rep.Failure.Message).To(ContainSubstring("B saw a at 1 and then at 2"))
			bounded := interleave.Explore(deepRead(), interleave.Options{MaxPreemptions: 1, NoReduction: true})
			Expect(rep.Schedules).To(BeNumerically(">", bounded.Schedules), "the failure came from a random schedule, after every bounded one")
			Expect(rep.Preemptions).To(BeNumerically(">", 1), "beyond the bound of 1")
			again := interleave.Explore(deepRead(), opts)
			Expect(again.Failure.Schedule).To(Equal(rep.Failure.Schedule), "the random choices are seeded by the scenario's name")
			Expect(again.Schedules).To(Equal(rep.Schedules))
		})
	})

	When("nothing can go wrong", func() {
		It("says how likely a bug of each depth was to be missed", func() {
			rep := interleave.Explore(calm(), interleave.Options{MaxPreemptions: 1, NoReduction: true, RandomSchedules: 300})
			Expect(rep.Passed()).To(BeTrue())
			Expect(rep.Random).To(Equal(300))
			Expect(rep.Coverage()).To(MatchRegexp(`^explored \d+ schedules with at most 1 preemption, not the ones with more, then 300 drawn at random \(PCT, 2 goroutines, switching among the first 8 steps\); ` +
				`the chance that they all missed a bug that needs d orderings among those steps: depth 1: below 0\.01%, depth 2: at most \d+(\.\d+)?%, depth 3: at most \d+%; exploring is not a proof$`))
		})
	})

	When("the bounded exploration was exhaustive", func() {
		It("draws no random schedule: there is nothing left to find", func() {
			rep := interleave.Explore(calm(), interleave.Options{RandomSchedules: 300})
			Expect(rep.Exhaustive).To(BeTrue())
			Expect(rep.Random).To(BeZero())
		})
	})
})
