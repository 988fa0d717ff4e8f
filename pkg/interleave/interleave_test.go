package interleave_test

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/interleave"
	"github.com/racekit/racekit/pkg/interleave/interleavetest"
)

var _ = Describe("Replay", func() {
	When("two goroutines update a refcount without a lock", func() {
		It("reproduces the foo trace step by step, with its numbers", func() {
			res, err := interleave.Replay("A*3 B*3 A B A B", fooTrace(false))
			Expect(err).NotTo(HaveOccurred(), "the schedule text is well formed")
			Expect(res.Passed()).To(BeFalse(), "the foo schedule loses a decrement when nothing guards the refcount")
			Expect(res.Failure.Error()).To(Equal(strings.Join([]string{
				"the foo trace: two threads take and drop a reference to foo (refcount starts at 1)",
				"  1. A  IncRef  reads foo.refcount -> 1, writes 2",
				"  2. B  IncRef  reads foo.refcount -> 2, writes 3",
				"  3. A  DecRef  reads foo.refcount -> 3",
				"  4. B  DecRef  reads foo.refcount -> 3",
				"  5. A  DecRef  writes 2",
				"  6. B  DecRef  writes 2",
				"  refcount is 2, but only foo's owner still holds it (want 1): foo leaks",
				"  replay this schedule: A*3 B*3 A B A B",
			}, "\n")), "the report prints the numbered interleaving, the broken invariant and the schedule")
			Expect(res.Failure.Kind).To(Equal(interleave.Broken), "a Finally check failed")
		})

		It("gives the same trace 100 times out of 100", func() {
			first, err := interleave.Replay("A*3 B*3 A B A B", fooTrace(false))
			Expect(err).NotTo(HaveOccurred())
			for range 99 {
				again, _ := interleave.Replay("A*3 B*3 A B A B", fooTrace(false))
				Expect(again.Trace).To(Equal(first.Trace), "the same schedule must always produce the same trace")
				Expect(again.Schedule).To(Equal(first.Schedule), "the same schedule must be followed the same way")
			}
		})
	})

	When("a mutex makes the schedule impossible", func() {
		It("passes, and notes where the schedule could no longer be followed", func() {
			res, err := interleave.Replay("A*3 B*3 A B A B", fooTrace(true))
			Expect(err).NotTo(HaveOccurred())
			Expect(res).To(interleavetest.Pass(), "the locked refcount stays exact under any schedule")
			Expect(res.Notes).NotTo(BeEmpty(), "the replay must say it could not follow the schedule")
			Expect(res.Notes[0]).To(MatchRegexp(`^step 5: the schedule wants B, but B waits in sync\.Mutex\.Lock at fixtures_test\.go:\d+; A runs instead$`),
				"the first divergence names the step, the goroutine, its wait state and its line")
			Expect(res.Trace.String()).To(ContainSubstring("B  IncRef  blocks in sync.Mutex.Lock at fixtures_test.go:"),
				"the trace shows B blocking on the lock A holds")
		})
	})

	When("the schedule text is malformed", func() {
		It("names the bad token", func() {
			_, err := interleave.Replay("A*3 B*x", fooTrace(false))
			Expect(err).To(MatchError(ContainSubstring(`schedule token 2 "B*x"`)), "a bad count is reported with its position")
			_, err = interleave.Replay("*2", fooTrace(false))
			Expect(err).To(MatchError(ContainSubstring("has no goroutine name")), "a missing name is reported")
		})
	})

	When("the schedule names a goroutine the scenario did not start", func() {
		It("says so and goes on with the goroutines it has", func() {
			res, err := interleave.Replay("C A*2", fooTrace(false))
			Expect(err).NotTo(HaveOccurred())
			Expect(res.Notes).To(ContainElement(ContainSubstring("the scenario started no goroutine named C")),
				"an unknown name is a note, not a crash")
		})
	})

	When("a goroutine panics", func() {
		It("fails the run with the panic, where it happened, and the trace", func() {
			res, _ := interleave.Replay("A", interleave.Scenario{Name: "panics", Setup: func(r *interleave.Run) {
				c := interleave.NewInt("c", 0)
				r.Go("A", func() {
					c.Set(1)
					panic("boom")
				})
			}})
			Expect(res.Failure).NotTo(BeNil(), "a panic fails the run")
			Expect(res.Failure.Kind).To(Equal(interleave.Panicked))
			Expect(res.Failure.Message).To(MatchRegexp(`^A panicked at interleave_test\.go:\d+ \(.*\): boom$`),
				"the message names the goroutine, the line and the value")
		})
	})

	When("a goroutine calls runtime.Goexit, whose deferred calls run as if it had finished", func() {
		It("fails the run, naming the goroutine and the line, in a replay and in an exploration", func() {
			sc := interleave.Scenario{Name: "goexit", Setup: func(r *interleave.Run) {
				c := interleave.NewInt("c", 0)
				finished := false
				r.Go("A", func() {
					defer func() { finished = true }() // what a deferred wg.Done would claim
					c.Set(1)
					runtime.Goexit()
				})
				r.Finally(func() error {
					if !finished {
						return errors.New("the deferred call did not run")
					}
					return nil
				})
			}}
			res, _ := interleave.Replay("A A", sc)
			Expect(res.Failure).NotTo(BeNil(), "a goroutine that never returned has not done its work, whatever its deferred calls say")
			Expect(res.Failure.Kind).To(Equal(interleave.Panicked))
			Expect(res.Failure.Message).To(MatchRegexp(`^A called runtime\.Goexit at interleave_test\.go:\d+ \(.*\): it ended before its function returned`),
				"the message names the goroutine and the line of the Goexit")
			Expect(interleave.Explore(sc).Passed()).To(BeFalse(), "every schedule of the exploration sees the Goexit too")
		})
	})

	When("goroutines hand values over a channel", func() {
		It("sees the receiver blocked, then woken by the sender", func() {
			res, _ := interleave.Replay("B A B", interleave.Scenario{Name: "channel", Setup: func(r *interleave.Run) {
				ch := make(chan int)
				got := interleave.NewInt("got", 0)
				r.Go("A", func() { ch <- 7 })
				r.Go("B", func() { got.Set(<-ch) })
				r.Finally(func() error {
					if got.Get() != 7 {
						return fmt.Errorf("got %d", got.Get())
					}
					return nil
				})
			}})
			Expect(res).To(interleavetest.Pass(), "a blocked receive is not a deadlock while a sender can run")
			Expect(res.Trace.String()).To(ContainSubstring("1. B  -  blocks in chan receive at interleave_test.go:"), "the receive blocked first")
		})
	})

	When("a goroutine never comes back to the scheduler", func() {
		It("reports it as stuck instead of waiting forever", func() {
			stop := make(chan struct{})
			defer close(stop)
			res, _ := interleave.Replay("A", interleave.Scenario{Name: "spins", Setup: func(r *interleave.Run) {
				r.Go("A", func() {
					for { // spins on purpose, never reaching a point, until the spec ends
						select {
						case <-stop:
							return
						default: //lint:ignore SA5004 the spin is the point of this spec
						}
					}
				})
			}}, interleave.Options{StepTimeout: 200 * time.Millisecond})
			Expect(res.Failure).NotTo(BeNil(), "a spinning goroutine fails the run")
			Expect(res.Failure.Kind).To(Equal(interleave.Stuck))
			Expect(res.Failure.Message).To(ContainSubstring("A did not come back to the scheduler within 200ms"),
				"the message names the goroutine and the bound")
		})
	})
})

var _ = Describe("Explore", func() {
	When("a counter is updated without a lock", func() {
		It("finds a lost update within the preemption bound", func() {
			rep := interleave.Explore(fooTrace(false))
			Expect(rep.Passed()).To(BeFalse(), "some schedule loses an update")
			Expect(rep.Failure.Message).To(ContainSubstring("foo leaks"), "the failure is the broken invariant")
			Expect(rep.Preemptions).To(Equal(2), "no schedule with fewer preemptions loses an update, so the first failure has 2")

			again, err := interleave.Replay(rep.Failure.Schedule.String(), fooTrace(false))
			Expect(err).NotTo(HaveOccurred())
			Expect(again.Failure).NotTo(BeNil(), "the printed schedule replays the failure")
			Expect(again.Trace).To(Equal(rep.Failure.Trace), "and gives the same trace")
		})
	})

	When("the counter is guarded by a mutex", func() {
		It("passes every schedule and says it was exhaustive", func() {
			rep := interleave.Explore(fooTrace(true), interleave.Options{MaxPreemptions: 20})
			Expect(rep).To(interleavetest.Pass(), "a locked refcount is exact under every schedule")
			Expect(rep.Exhaustive).To(BeTrue(), "the scenario is small enough to explore completely")
			Expect(rep.Coverage()).To(MatchRegexp(`^explored \d+ schedules: every schedule of the scenario \(exhaustive\)$`))
		})
	})

	When("two locks are taken in opposite orders", func() {
		It("finds the AB-BA deadlock and says where each goroutine waits", func() {
			rep := interleave.Explore(abba())
			Expect(rep.Failure).NotTo(BeNil(), "the AB-BA interleaving deadlocks")
			Expect(rep.Failure.Kind).To(Equal(interleave.Deadlock))
			Expect(rep.Failure.Message).To(MatchRegexp(`(?s)deadlock: every goroutine is blocked.*A waits in sync\.Mutex\.Lock at fixtures_test\.go:\d+ \(move\).*B waits in sync\.Mutex\.Lock at fixtures_test\.go:\d+ \(move\)`),
				"the report names each goroutine's wait state, file:line and function")
		})
	})

	When("two goroutines pause at four points each", func() {
		It("runs each of the 70 interleavings exactly once", func() {
			seen := map[string]bool{}
			sc := interleave.Scenario{Name: "four points each, recorded", Setup: func(r *interleave.Run) {
				var order []string // appended only by the goroutine holding the turn
				for _, name := range []string{"A", "B"} {
					r.Go(name, func() {
						order = append(order, name)
						for i := 1; i <= 3; i++ {
							interleave.Point(fmt.Sprintf("point %d", i))
							order = append(order, name)
						}
					})
				}
				r.Finally(func() error {
					seen[strings.Join(order, "")] = true
					return nil
				})
			}}
			// The goroutines share order without telling the scheduler, so
			// the reduction, which takes their first steps for independent,
			// would skip some of the 70: turn it off.
			rep := interleave.Explore(sc, interleave.Options{MaxPreemptions: 10, NoReduction: true})
			Expect(rep).To(interleavetest.Pass())
			Expect(rep.Schedules).To(Equal(70), "C(8,4) = 70 interleavings")
			Expect(seen).To(HaveLen(70), "each interleaving ran once: no schedule was repeated")
			Expect(rep.Exhaustive).To(BeTrue(), "every interleaving was run")
		})

		It("stops at the schedule cap and says the exploration was not complete", func() {
			rep := interleave.Explore(fourPoints(), interleave.Options{MaxPreemptions: 10, MaxSchedules: 5})
			Expect(rep.Schedules).To(Equal(5))
			Expect(rep.Exhaustive).To(BeFalse())
			Expect(rep.Coverage()).To(ContainSubstring("exploring is not a proof"), "a partial exploration says so")
		})

		It("with a bound of one, covers exactly the schedules with at most one preemption", func() {
			rep := interleave.Explore(fourPoints(), interleave.Options{MaxPreemptions: 1, NoReduction: true})
			// 0 preemptions: A then B, or B then A (2). 1 preemption: one goroutine
			// is cut after k of its first 3 steps, the other runs to its end, then
			// the first finishes: 2 goroutines x 3 cut points (6).
			Expect(rep.Schedules).To(Equal(8))
			Expect(rep.Covered).To(Equal(1))
			Expect(rep.Exhaustive).To(BeFalse())
		})
	})
})

var _ = Describe("Int", func() {
	When("used outside a run", func() {
		It("is plain memory", func() {
			c := interleave.NewInt("c", 41)
			c.Set(c.Get() + 1)
			Expect(c.Get()).To(Equal(42))
			Expect(c.Name()).To(Equal("c"))
			var zero interleave.Int
			Expect(zero.Name()).To(Equal("int"), "an unnamed cell has a placeholder name")
		})
	})

	When("an interpreter records its accesses as done by an instruction", func() {
		It("shows the instruction in the trace's function column instead of the calling function", func() {
			var inRun, outside bool
			outside = interleave.InRun()
			res, err := interleave.Replay("A*4", interleave.Scenario{Name: "an interpreter's step", Setup: func(r *interleave.Run) {
				c := interleave.NewInt("foo.refcount", 1)
				r.Go("A", func() {
					inRun = interleave.InRun()
					c.SetAs("LOAD_GLOBAL foo", c.GetAs("LOAD_GLOBAL foo")+1)
					interleave.PointAs("POP_TOP", "frees foo")
				})
			}})
			Expect(err).NotTo(HaveOccurred())
			Expect(res.Trace.Lines()).To(Equal([]string{
				"  1. A  LOAD_GLOBAL foo  reads foo.refcount -> 1, writes 2",
				"  2. A  POP_TOP          frees foo",
			}), "GetAs, SetAs and PointAs name what the goroutine was doing")
			Expect(inRun).To(BeTrue(), "a goroutine the run started is in the run")
			Expect(outside).To(BeFalse(), "the spec's own goroutine is not")
		})
	})
})
