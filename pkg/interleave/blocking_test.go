package interleave_test

import (
	"fmt"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/interleave"
	"github.com/racekit/racekit/pkg/interleave/interleavetest"
)

// The scheduler must cope with whatever the standard library blocks in.
var _ = Describe("goroutines that block in the standard library", func() {
	When("a writer and two readers share a sync.RWMutex", func() {
		It("explores every schedule and never sees a torn pair", func() {
			rep := interleave.Explore(interleave.Scenario{Name: "rwmutex", Setup: func(r *interleave.Run) {
				var mu sync.RWMutex // guards x and y, which must stay equal
				x, y := interleave.NewInt("x", 0), interleave.NewInt("y", 0)
				torn := interleave.NewInt("torn", 0)
				r.Go("W", func() {
					mu.Lock()
					defer mu.Unlock()
					x.Set(1)
					y.Set(1)
				})
				for _, name := range []string{"R1", "R2"} {
					r.Go(name, func() {
						mu.RLock()
						defer mu.RUnlock()
						if x.Get() != y.Get() {
							torn.Set(torn.Get() + 1)
						}
					})
				}
				r.Finally(func() error {
					if torn.Get() != 0 {
						return fmt.Errorf("a reader saw x and y differ")
					}
					return nil
				})
			}}, interleave.Options{MaxPreemptions: 20})
			Expect(rep).To(interleavetest.Pass(), "readers and the writer exclude each other")
			Expect(rep.Exhaustive).To(BeTrue())
		})
	})

	When("a goroutine waits on a sync.WaitGroup and another on a sync.Cond", func() {
		It("wakes them when the others act, in every schedule", func() {
			rep := interleave.Explore(interleave.Scenario{Name: "waitgroup and cond", Setup: func(r *interleave.Run) {
				var wg sync.WaitGroup
				var mu sync.Mutex // guards ready
				cond := sync.NewCond(&mu)
				ready := false
				sum := interleave.NewInt("sum", 0)
				seen := interleave.NewInt("seen", 0)
				wg.Add(2)
				for _, name := range []string{"A", "B"} {
					r.Go(name, func() {
						defer wg.Done()
						mu.Lock()
						sum.Set(sum.Get() + 1)
						mu.Unlock()
					})
				}
				r.Go("W", func() {
					wg.Wait()
					mu.Lock()
					ready = true
					cond.Broadcast()
					mu.Unlock()
				})
				r.Go("C", func() {
					mu.Lock()
					for !ready {
						cond.Wait()
					}
					mu.Unlock()
					seen.Set(sum.Get())
				})
				r.Finally(func() error {
					if seen.Get() != 2 {
						return fmt.Errorf("C saw sum %d after the broadcast, want 2", seen.Get())
					}
					return nil
				})
			}}, interleave.Options{MaxPreemptions: 2})
			Expect(rep).To(interleavetest.Pass(), "waiting goroutines are blocked, not deadlocked, while others can run")
		})
	})

	When("every goroutine waits on a channel nobody sends to", func() {
		It("reports a deadlock naming each wait", func() {
			res, _ := interleave.Replay("A B", interleave.Scenario{Name: "nobody sends", Setup: func(r *interleave.Run) {
				ch := make(chan int)
				r.Go("A", func() { <-ch })
				r.Go("B", func() { <-ch })
			}})
			Expect(res.Failure).NotTo(BeNil())
			Expect(res.Failure.Kind).To(Equal(interleave.Deadlock))
			Expect(res.Failure.Message).To(MatchRegexp(`A waits in chan receive at blocking_test\.go:\d+`))
			Expect(res.Failure.Message).To(MatchRegexp(`B waits in chan receive at blocking_test\.go:\d+`))
		})
	})
})
