package gil_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/gil"
	"github.com/racekit/racekit/pkg/interleave"
	"github.com/racekit/racekit/pkg/interleave/interleavetest"
	"github.com/racekit/racekit/pkg/vm"
)

// wakeUp is the time a waiting thread takes to wake up in the specs of the
// old GIL: a few tens of microseconds, as an operating system takes.
const wakeUp = 50 * time.Microsecond

// twoSpinners runs A and B, each spin(10, 2): 20 ms of computation holding
// the GIL, with a check once a round; B asks for the GIL while A computes.
// It returns the lock's timeline.
func twoSpinners(lock timelined) gil.Timeline {
	runSpinners(lock, 9, spinner{10, 2}, spinner{10, 2})
	tl := lock.Timeline()
	ExpectWithOffset(1, tl).To(BeWellFormed(), "the timeline must describe a lock")
	return tl
}

var _ = Describe("gil.Old, CPython 2's GIL", func() {
	It("is no drop requester: the VM drops and re-takes it at every eval-breaker check", func() {
		var lock vm.Lock = &gil.Old{}
		_, ok := lock.(vm.DropRequester)
		Expect(ok).To(BeFalse(), "CPython 2 released its lock every 100 ticks whether anyone waited or not")
	})

	When("A computes, holding the GIL, while B waits for it (fake time; a waiter takes 50µs to wake up)", func() {
		It("lets A drop it at every check and take it straight back, so B waits until A has finished: the convoy", func() {
			lock := &gil.Old{WakeUp: wakeUp}
			tl := twoSpinners(lock)
			AddReportEntry("timeline", tl.Chart(time.Millisecond))

			var dropsWhileBWaited int
			var bTakes, aLastRelease time.Time
			for _, e := range tl.Events {
				if e.Kind == gil.Released && e.Thread == "A" {
					aLastRelease = e.Time
					if bTakes.IsZero() {
						dropsWhileBWaited++
					}
				}
				if e.Kind == gil.Acquired && e.Thread == "B" && bTakes.IsZero() {
					bTakes = e.Time
				}
			}
			Expect(dropsWhileBWaited).To(BeNumerically(">=", 10), "A let go of the GIL at every check, once a round or more, while B waited")
			Expect(tl).To(HaveTurns("A", "B"), "every time A let go, it took the GIL back before B woke up: B had to wait for A to finish")
			Expect(lock.Switches()).To(Equal(1), "the GIL changed hands once, when A was done")
			Expect(bTakes.Sub(aLastRelease)).To(Equal(wakeUp), "B got the GIL one wake-up after A's last release")
		})
	})
})

var _ = Describe("gil.Old under the controlled scheduler", func() {
	When("A holds the GIL and B asks for it (schedule \"A B\", then no preemption)", func() {
		It("wakes B at every drop, but A, still running, takes the GIL back first: B waits until A is done", func() {
			var lock timelined
			res, err := interleave.Replay("A B", touchers(func() timelined { return &gil.Old{} }, &lock))
			Expect(err).NotTo(HaveOccurred())
			Expect(res).To(interleavetest.Pass(), "A and B touch foo in turn, under the GIL")
			Expect(lock.Timeline()).To(HaveTurns("A", "B"), "a schedule without preemptions lets A re-take the GIL at every check: the convoy")
			Expect(res.Trace).To(ContainElement(And(HaveField("G", "B"), HaveField("Label", "wakes up: the GIL was released"))),
				"a woken waiter pauses before it tries the GIL again, so the schedule decides who gets there first")
		})
	})
})

var _ = Describe("Two CPU-bound threads", func() {
	When("they share a GIL (fake time: each computes 20 ms in rounds of 2 ms, with a check once a round)", func() {
		It("starve one another under the old GIL, but take turns every switch interval under the new one", func() {
			oldGIL, newGIL := &gil.Old{WakeUp: wakeUp}, &gil.New{}
			oldTL, newTL := twoSpinners(oldGIL), twoSpinners(newGIL)
			AddReportEntry("the old GIL", oldTL.Chart(time.Millisecond))
			AddReportEntry("the new GIL", newTL.Chart(time.Millisecond))

			Expect(oldGIL.Switches()).To(Equal(1), "under the old GIL, B gets the GIL only once A is done")
			Expect(newGIL.Switches()).To(Equal(7), "under the new GIL the waiter asks for the GIL after 5 ms and gets it at the holder's next "+
				"check, 6 ms after it began to wait: 40 ms of work change hands 7 times")
			Expect(newTL).To(HaveTurns("A", "B", "A", "B", "A", "B", "A", "B"), "A and B take turns")
			for _, s := range newTL.Spans() {
				Expect(s.Duration()).To(BeNumerically("<=", 6*time.Millisecond), "no thread holds the new GIL for more than a "+
					"switch interval plus one round of computation while the other waits (%s held it from event %d to %d)", s.Thread, s.FromSeq, s.ToSeq)
			}
		})
	})
})
