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

	When("a goroutine is woken inside another's step and blocks again elsewhere", func() {
		It("reports where it waits now, the same way every run", func() {
			sc := interleave.Scenario{Name: "woken and blocked again", Setup: func(r *interleave.Run) {
				var mu1, mu2 sync.Mutex
				r.Go("A", func() {
					mu1.Lock()
					mu2.Lock()
					interleave.Point("A holds both")
					mu1.Unlock() // wakes B, and returns still holding mu2
				})
				r.Go("B", func() {
					interleave.Point("B starts")
					mu1.Lock()
					mu2.Lock() // where B waits for good
				})
			}}
			first, _ := interleave.Replay("A B B A", sc)
			Expect(first.Failure).NotTo(BeNil(), "B waits for mu2, which A never releases")
			Expect(first.Failure.Kind).To(Equal(interleave.Deadlock))
			Expect(first.Failure.Message).To(MatchRegexp(`B waits in sync\.Mutex\.Lock at blocking_test\.go:(\d+)`))
			for range 30 {
				again, _ := interleave.Replay("A B B A", sc)
				Expect(again.Trace).To(Equal(first.Trace), "the re-block must be seen, and seen the same way, every run")
				Expect(again.Failure.Message).To(Equal(first.Failure.Message))
			}
			var blocks []int
			for _, e := range first.Trace {
				if e.Kind == interleave.Block {
					blocks = append(blocks, e.At.Line)
				}
			}
			Expect(blocks).To(HaveLen(2), "B blocks twice: at mu1.Lock, then at mu2.Lock:\n"+first.Trace.String())
			Expect(blocks[1]).To(Equal(blocks[0]+1), "the second Block event is at mu2.Lock, the line after mu1.Lock")
		})
	})

	When("the run stops a goroutine that recovers panics", func() {
		It("still stops it: a stop cannot be recovered", func() {
			res, _ := interleave.Replay("A B", interleave.Scenario{Name: "recovering worker", Setup: func(r *interleave.Run) {
				c := interleave.NewInt("c", 0)
				r.Go("A", func() {
					for done := false; !done; {
						func() {
							defer func() { _ = recover() }() // an eval loop turning panics into errors
							done = c.Get() >= 10
						}()
					}
				})
				r.Go("B", func() { panic("B breaks") })
			}})
			Expect(res.Failure).NotTo(BeNil(), "B's panic fails the run")
			Expect(res.Failure.Kind).To(Equal(interleave.Panicked))
			Expect(res.Failure.Message).To(ContainSubstring("B breaks"))
		})
	})
})
