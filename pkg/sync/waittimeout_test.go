package sync_test

import (
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/interleave"
	"github.com/racekit/racekit/pkg/interleave/interleavetest"
	"github.com/racekit/racekit/pkg/sync"
)

var _ = Describe("Cond.WaitTimeout", func() {
	When("nobody signals, outside a run", func() {
		It("times out after exactly d, with L locked again", func() {
			synctest.Test(suiteT, func(t *testing.T) {
				var mu sync.Mutex
				cond := sync.NewCond(&mu)
				start := time.Now()
				mu.Lock()
				timedOut := cond.WaitTimeout(5 * time.Millisecond)
				Expect(mu.TryLock()).To(BeFalse(), "WaitTimeout returns with L locked")
				mu.Unlock()
				Expect(timedOut).To(BeTrue(), "nobody signalled")
				Expect(time.Since(start)).To(Equal(5*time.Millisecond), "in fake time the wait lasts exactly d")
			})
		})
	})

	When("a Signal comes before the timeout, outside a run", func() {
		It("wakes the waiter at the Signal and reports no timeout", func() {
			synctest.Test(suiteT, func(t *testing.T) {
				var mu sync.Mutex
				cond := sync.NewCond(&mu)
				start := time.Now()
				go func() {
					time.Sleep(2 * time.Millisecond)
					cond.Signal()
				}()
				mu.Lock()
				timedOut := cond.WaitTimeout(5 * time.Millisecond)
				mu.Unlock()
				Expect(timedOut).To(BeFalse(), "the Signal came first")
				Expect(time.Since(start)).To(Equal(2*time.Millisecond), "the waiter wakes when signalled, not when d has passed")
			})
		})

		It("wakes every timed and plain waiter on a Broadcast", func() {
			synctest.Test(suiteT, func(t *testing.T) {
				var mu sync.Mutex
				cond := sync.NewCond(&mu)
				woken := make(chan bool, 2)
				go func() { mu.Lock(); woken <- !cond.WaitTimeout(time.Second); mu.Unlock() }()
				go func() { mu.Lock(); cond.Wait(); woken <- true; mu.Unlock() }()
				synctest.Wait()
				cond.Broadcast()
				Expect([]bool{<-woken, <-woken}).To(Equal([]bool{true, true}), "both waiters are woken, neither timed out")
			})
		})
	})

	When("a timed waiter timed out, outside a run", func() {
		It("leaves the next Signal to a waiter that still waits", func() {
			synctest.Test(suiteT, func(t *testing.T) {
				var mu sync.Mutex
				cond := sync.NewCond(&mu)
				plain := make(chan struct{})
				go func() {
					mu.Lock()
					cond.WaitTimeout(time.Millisecond)
					mu.Unlock()
				}()
				go func() {
					mu.Lock()
					cond.Wait()
					mu.Unlock()
					close(plain)
				}()
				time.Sleep(2 * time.Millisecond) // the timed waiter has given up
				cond.Signal()
				synctest.Wait()
				Expect(plain).To(BeClosed(), "a waiter that timed out is off the queue: the Signal wakes the one still waiting")
			})
		})
	})

	When("it runs under the scheduler", func() {
		It("times out in some schedules and is woken in others, and a waiter that loops never spins for ever", func() {
			outcomes := map[string]bool{}
			rep := interleave.Explore(interleave.Scenario{Name: "a timed wait", Setup: func(r *interleave.Run) {
				var mu sync.Mutex // guards ready
				cond := sync.NewCond(&mu)
				r.Name(cond, "cond")
				ready := false
				timeouts := interleave.NewInt("timeouts", 0)
				r.Go("S", func() {
					n := interleave.NewInt("work", 0)
					for range 3 {
						n.Set(n.Get() + 1)
					}
					mu.Lock()
					ready = true
					mu.Unlock()
					cond.Signal()
				})
				r.Go("W", func() {
					mu.Lock()
					for !ready {
						if cond.WaitTimeout(5 * time.Millisecond) {
							timeouts.Set(timeouts.Get() + 1)
						}
					}
					mu.Unlock()
				})
				r.Finally(func() error {
					outcomes[fmt.Sprintf("%d timeouts", timeouts.Get())] = true
					return nil
				})
			}}, interleave.Options{MaxPreemptions: 2})
			Expect(rep).To(interleavetest.Pass(), "a condition loop with a timeout ends in every schedule")
			Expect(outcomes).To(HaveKey("0 timeouts"), "some schedule signals W before its wait times out")
			Expect(outcomes).To(HaveKey("1 timeouts"), "some schedule lets W's wait time out while S works")
		})

		It("times out a lone waiter instead of reporting a deadlock, and the trace says so", func() {
			var timedOut bool
			res, err := interleave.Replay("W W W", interleave.Scenario{Name: "a lone timed wait", Setup: func(r *interleave.Run) {
				var mu sync.Mutex
				cond := sync.NewCond(&mu)
				r.Name(cond, "cond")
				r.Go("W", func() {
					mu.Lock()
					timedOut = cond.WaitTimeout(5 * time.Millisecond)
					mu.Unlock()
				})
			}})
			Expect(err).NotTo(HaveOccurred())
			Expect(res).To(interleavetest.Pass(), "time passes when nothing else can move")
			Expect(timedOut).To(BeTrue())
			Expect(res.Trace.String()).To(And(ContainSubstring("waits up to 5ms on cond"), ContainSubstring("times out on cond")),
				"the trace shows the wait and its timeout")
		})
	})
})

func ExampleCond_WaitTimeout() {
	synctest.Test(&testing.T{}, func(t *testing.T) {
		var mu sync.Mutex // guards held
		cond := sync.NewCond(&mu)
		held := true
		go func() {
			time.Sleep(8 * time.Millisecond)
			mu.Lock()
			held = false
			mu.Unlock()
			cond.Signal()
		}()
		mu.Lock()
		for round := 1; held; round++ {
			if cond.WaitTimeout(5 * time.Millisecond) {
				fmt.Printf("round %d timed out\n", round)
			} else {
				fmt.Printf("round %d: woken\n", round)
			}
		}
		mu.Unlock()
	})
	// Output:
	// round 1 timed out
	// round 2: woken
}
