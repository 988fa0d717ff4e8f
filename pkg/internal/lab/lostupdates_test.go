package lab

import (
	"context"
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/gil"
	"github.com/racekit/racekit/pkg/interleave"
	"github.com/racekit/racekit/pkg/vm"
)

// The lost-updates experiment's counts of lost updates depend on when the
// GIL happened to change hands, except one: with the eval breaker checked
// only at backward jumps and calls, nothing can come between the load and
// the store of counter += 1. These specs run the experiment small on the
// real clock and check its structure and that fact, then explore the
// experiment's own programs under the controlled scheduler, where which
// of them can lose an update at all is exact.
var _ = Describe("the lost-updates experiment", func() {
	It("counts the updates lost by each update and placement; counter += 1 loses none with checks at jumps and calls", func() {
		const n = 3000
		var steps []string
		res, err := runLostUpdates(context.Background(), Options{}, func(s string) { steps = append(steps, s) }, n)
		Expect(err).NotTo(HaveOccurred())
		var labels []string
		for _, r := range res.Rows {
			labels = append(labels, r.Label)
			Expect(r.Runtime).To(Equal(VM), "no CPython rows without Options.CPython")
			Expect(r.Of).To(Equal(lostThreads*n), "%s: each thread made n updates", r.Label)
			Expect(r.Lost).To(And(BeNumerically(">=", 0), BeNumerically("<=", r.Of)), "%s lost some of the updates made, or none", r.Label)
			Expect(r.Seconds).To(BeNumerically(">", 0), "%s was timed", r.Label)
		}
		Expect(labels).To(Equal([]string{
			"counter = counter + one(), checks at every instruction (CPython up to 3.9)",
			"counter = counter + one(), checks at backward jumps and calls (3.10+)",
			"counter += 1, checks at every instruction (CPython up to 3.9)",
			"counter += 1, checks at backward jumps and calls (3.10+)",
		}), "each update under each placement, in order")
		Expect(steps).To(HaveLen(4), "progress hears of each run")
		Expect(res.Rows[0].Ratio).To(Equal(1.0), "the first row's time is the baseline")
		Expect(res.Rows[3].Lost).To(BeZero(), "counter += 1 has no check between its load and its store when checks "+
			"come only at backward jumps and calls, so no switch can lose one of its updates")
		Expect(res.Reading).To(ContainSubstring("counter += 1 lost"))
		Expect(res.Reading).To(ContainSubstring(fmt.Sprintf("of %s", thousands(lostThreads*n))), "the reading says of how many")
	})

	DescribeTable("A and B each run the update twice under the new GIL, in every schedule",
		func(fn string, at vm.BreakerPlacement, loses bool) {
			rep := interleave.Explore(updating(fn, at, 2), interleave.Options{MaxPreemptions: 50})
			AddReportEntry("exploration", rep.Coverage())
			if loses {
				Expect(rep.Passed()).To(BeFalse(), "some schedule loses an update:\n%s", rep)
				Expect(rep.Failure.Message).To(ContainSubstring("an update was lost"), "and that is how it fails")
				return
			}
			Expect(rep.Passed()).To(BeTrue(), "no schedule loses an update:\n%s", rep)
			Expect(rep.Exhaustive).To(BeTrue(), "and the exploration covered every schedule: %s", rep.Coverage())
		},
		Entry("counter = counter + one(), checks at every instruction, loses one", "add", vm.EveryInterval, true),
		Entry("counter = counter + one(), checks at jumps and calls, loses one", "add", vm.BackwardJumpsAndCalls, true),
		Entry("counter += 1, checks at every instruction, loses one", "inc", vm.EveryInterval, true),
		Entry("counter += 1, checks at jumps and calls, loses none", "inc", vm.BackwardJumpsAndCalls, false),
	)

	It("writes a count with commas between thousands, and a row's lost updates of how many", func() {
		Expect(thousands(0)).To(Equal("0"))
		Expect(thousands(999)).To(Equal("999"))
		Expect(thousands(1234)).To(Equal("1,234"))
		Expect(thousands(200_000)).To(Equal("200,000"))
		Expect(thousands(-1_234_567)).To(Equal("-1,234,567"))
		Expect(Row{Lost: 1234, Of: 200_000}.LostOf()).To(Equal("1,234 of 200,000"))
		Expect(Row{Of: 8}.LostOf()).To(Equal("0 of 8"), "a row that lost nothing says so")
		Expect(Row{}.LostOf()).To(BeEmpty(), "a row that counts nothing has no count")
	})
})

// updating is a scenario: A and B each run fn(n) of lostProgram, in an
// interpreter of the experiment's (counterInterp) under the new GIL with
// the eval breaker checked at at; at the end counter must be 2n. counter
// is watched, so that the exploration tells apart the orders of the
// threads' loads and stores.
func updating(fn string, at vm.BreakerPlacement, n int) interleave.Scenario {
	return interleave.Scenario{
		Name: fmt.Sprintf("A and B each run %s(%d), the eval breaker checked %v", fn, n, at),
		Setup: func(r *interleave.Run) {
			lock := &gil.New{}
			r.Name(lock, "the GIL")
			in := counterInterp(lock, at)
			a, b := in.NewThread("A"), in.NewThread("B")
			_, setupErr := a.Call(lostProgram, "setup")
			in.Watch("counter") // its loads and stores are steps: the scheduler sees them conflict
			errs := make([]error, 2)
			for i, t := range []*vm.Thread{a, b} {
				r.Go(t.Name(), func() { _, errs[i] = t.Call(lostProgram, fn, n) })
			}
			r.Finally(func() error {
				for _, err := range append(errs, setupErr) {
					if err != nil {
						return err
					}
				}
				got, err := a.Call(lostProgram, "get")
				if err != nil {
					return err
				}
				if got != 2*n {
					return fmt.Errorf("counter is %v, want %d: an update was lost", got, 2*n)
				}
				return nil
			})
		},
	}
}
