package gil_test

import (
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/gil"
	"github.com/racekit/racekit/pkg/interleave"
	"github.com/racekit/racekit/pkg/interleave/interleavetest"
	"github.com/racekit/racekit/pkg/vm"
)

// watchedNew is a New lock that writes down every eval-breaker check: which
// thread asked, how many instructions it had run, whether the timeline
// showed a drop requested of it at that moment, and what DropRequested
// answered. (The VM has no hook of its own at the check; the lock is the
// only thing it consults there.)
type watchedNew struct {
	*gil.New
	mu     sync.Mutex // guards checks
	checks []evalCheck
}

type evalCheck struct {
	thread  string
	ran     int64 // the thread's instructions so far
	pending bool  // the timeline shows a drop requested of the thread since its last take
	dropped bool  // DropRequested answered true
}

func (w *watchedNew) DropRequested(t *vm.Thread) bool {
	pending := false
	for _, e := range w.New.Timeline().Events {
		switch {
		case e.Kind == gil.Acquired:
			pending = false
		case e.Kind == gil.Requested && e.Other == t.Name():
			pending = true
		}
	}
	dropped := w.New.DropRequested(t)
	w.mu.Lock()
	w.checks = append(w.checks, evalCheck{t.Name(), t.Instructions(), pending, dropped})
	w.mu.Unlock()
	return dropped
}

var _ = Describe("gil.New, the GIL of CPython 3.2 and later", func() {
	It("waits 5 ms before asking for a drop unless told otherwise: sys.getswitchinterval() is 0.005", func() {
		Expect((&gil.New{}).SwitchInterval()).To(Equal(5*time.Millisecond), "the zero value uses CPython's default switch interval")
		Expect((&gil.New{Interval: time.Millisecond}).SwitchInterval()).To(Equal(time.Millisecond), "Interval sets it, as sys.setswitchinterval does")
	})

	When("B has waited a whole switch interval while A computes, holding the GIL (fake time)", func() {
		// A runs 5 rounds of busy(2): 2 ms of "computation" each, with an
		// eval-breaker check once a round, right after busy returns. B
		// wants the GIL for one round of busy(1).
		var tl gil.Timeline
		BeforeEach(func() {
			lock := &gil.New{}
			runSpinners(lock, 9, spinner{5, 2}, spinner{1, 1})
			tl = lock.Timeline()
			Expect(tl).To(BeWellFormed(), "the timeline must describe a lock")
			AddReportEntry("timeline", tl.String()+"\n"+tl.Chart(time.Millisecond))
		})

		It("asks A to drop the GIL at 5 ms; A drops it at its next check, at 6 ms, and B takes it", func() {
			// handOff, in timeline_test.go, is this timeline written out by hand.
			Expect(tl.String()).To(Equal(handOff().String()), "B waits one switch interval (5 ms of fake time) and sets the drop request; "+
				"A, busy until 6 ms, sees it at the eval-breaker check that follows and drops the GIL, which B takes; B is done at 7 ms, A at 11 ms")
		})

		It("keeps A from taking the GIL back before B has had it: forced switching", func() {
			var afterDrop []string
			dropped := false
			for _, e := range tl.Events {
				if e.Kind == gil.Released && e.OnRequest {
					dropped = true
				} else if dropped && e.Kind == gil.Acquired {
					afterDrop = append(afterDrop, e.Thread)
				}
			}
			Expect(afterDrop).To(HaveExactElements("B", "A"), "after A drops the GIL on request, B is the next to take it, and only then A")
			Expect(tl).To(HaveTurns("A", "B", "A"), "the GIL changes hands twice: to B on request, back to A when B is done")
			Expect(tl.Switches()).To(Equal(2), "two changes of hands")
		})
	})

	DescribeTable("honours a drop request at the holder's very next eval-breaker check",
		func(checkInterval int) {
			lock := &watchedNew{New: &gil.New{}}
			runSpinners(lock, checkInterval, spinner{30, 2}, spinner{1, 1})
			var drops []evalCheck
			var before int64 // A's instructions at its last check before the drop
			for _, c := range lock.checks {
				Expect(c.dropped).To(Equal(c.pending), "at every check, DropRequested says whether a waiter asked this thread (%s, after %d instructions) to drop the GIL: "+
					"a request is honoured at the first check that follows it, and cleared once the GIL changes hands", c.thread, c.ran)
				if c.dropped {
					drops = append(drops, c)
				} else if len(drops) == 0 && c.thread == "A" {
					before = c.ran
				}
			}
			Expect(drops).To(HaveLen(1), "B asks once, at 5 ms, and A drops the GIL once")
			Expect(drops[0].thread).To(Equal("A"), "the drop is asked of A, the holder")
			Expect(drops[0].ran-before).To(BeNumerically("<=", checkInterval),
				"between B's request and A's drop, A ran at most one check interval of instructions (%d)", checkInterval)
			Expect(lock.Timeline()).To(HaveTurns("A", "B", "A"), "B gets the GIL at A's drop, and A gets it back when B is done")
			Expect(lock.New.DropRequested(nil)).To(BeFalse(), "no drop is requested of nobody")
		},
		Entry("when it checks every instruction", 1),
		Entry("when it checks every 4 instructions", 4),
		Entry("when it checks once a round of spin", 9),
		Entry("when it checks every 20 instructions", 20),
		Entry("when it checks every 100 instructions, the VM's default", 100),
	)

	When("forced switching is disabled and the holder could take the GIL straight back", func() {
		It("still ends with every thread done and the timeline well formed", func() {
			lock := &gil.New{DisableForcedSwitching: true}
			runSpinners(lock, 9, spinner{10, 2}, spinner{10, 2})
			Expect(lock.Timeline()).To(BeWellFormed(), "without forced switching the lock is still a lock")
			for _, e := range lock.Timeline().Events {
				Expect(e.Kind).NotTo(Equal(gil.AwaitingSwitch), "without forced switching nobody waits for a switch in Release")
			}
		})
	})

	When("A holds the GIL and B asks for it, under the controlled scheduler (schedule \"A B\", then no preemption)", func() {
		It("lets B's one step stand for the switch interval: B asks, A drops at its next check, B takes the GIL", func() {
			var lock timelined
			res, err := interleave.Replay("A B", touchers(func() timelined { return &gil.New{} }, &lock))
			Expect(err).NotTo(HaveOccurred())
			Expect(res).To(interleavetest.Pass(), "A and B touch foo in turn, under the GIL")
			Expect(res.Trace).To(ContainElement(And(HaveField("G", "B"), HaveField("Label", "waits 5ms for the GIL"))),
				"B's first step is its wait of one switch interval, which the scheduler cannot time")
			Expect(res.Trace.String()).To(MatchRegexp(`A  drop_gil +drops the GIL on request`),
				"the trace shows the drop where it happens")
			Expect(res.Trace.String()).To(MatchRegexp(`B  take_gil +takes the GIL from A`),
				"and the take by the thread that asked")
			Expect(lock.Timeline().Untimed()).To(Equal(`  1. A  takes the GIL
  2. B  waits for the GIL (A holds it)
  3. B  asks A to drop the GIL
  4. A  drops the GIL on request
  5. A  waits until another thread takes the GIL
  6. B  takes the GIL from A
  7. B  drops the GIL
  8. A  takes the GIL from B
  9. A  drops the GIL`), "after its step of waiting B asks A to drop the GIL, A drops it at its next check and waits until B has it")
		})

		It("lets A take the GIL straight back when forced switching is disabled, and B waits until A is done", func() {
			var lock timelined
			res, err := interleave.Replay("A B", touchers(func() timelined { return &gil.New{DisableForcedSwitching: true} }, &lock))
			Expect(err).NotTo(HaveOccurred())
			Expect(res).To(interleavetest.Pass(), "A and B touch foo in turn, under the GIL")
			Expect(lock.Timeline()).To(HaveTurns("A", "B"), "A drops the GIL on request but, still running, takes it back before "+
				"B wakes up: the very latency forced switching was added to prevent")
			Expect(lock.Timeline().Untimed()).To(ContainSubstring(`  4. A  drops the GIL on request
  5. A  takes the GIL`), "without forced switching A's drop and re-take are back to back")
		})
	})
})
