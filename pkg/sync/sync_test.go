package sync_test

import (
	"fmt"
	"regexp"
	"runtime"
	"strings"
	stdsync "sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/heap"
	"github.com/racekit/racekit/pkg/interleave"
	"github.com/racekit/racekit/pkg/interleave/interleavetest"
	"github.com/racekit/racekit/pkg/sync"
)

// object is lesson 02's object: a count, the memory it guards, and a lock.
type object struct {
	mu       sync.Mutex // guards refcount and the decision to free mem
	refcount *interleave.Int
	mem      *heap.Block
}

func newObject(name string, refs int) *object {
	return &object{refcount: interleave.NewInt(name+".refcount", refs), mem: heap.Alloc(name)}
}

// decRefOneSection decrements and decides to free in one critical section.
func (o *object) decRefOneSection() {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := o.refcount.Get() - 1
	o.refcount.Set(n)
	if n == 0 {
		o.mem.Free()
	}
}

// decRefTwoSections decrements in one critical section and decides in a
// second: between the two, another goroutine can decrement too.
func (o *object) decRefTwoSections() {
	o.mu.Lock()
	o.refcount.Set(o.refcount.Get() - 1)
	o.mu.Unlock()
	o.mu.Lock()
	last := o.refcount.Get() == 0
	o.mu.Unlock()
	if last {
		o.mem.Free()
	}
}

// lastTwoDrop is two goroutines dropping the last two references to foo.
func lastTwoDrop(decRef func(*object)) interleave.Scenario {
	return interleave.Scenario{
		Name: "A and B drop the last two references to foo",
		Setup: func(r *interleave.Run) {
			foo := newObject("foo", 2)
			r.Name(foo, "foo")
			r.Go("A", func() { decRef(foo) })
			r.Go("B", func() { decRef(foo) })
			r.Finally(func() error {
				if n := foo.mem.Frees(); n != 1 {
					return fmt.Errorf("foo was freed %d times (want once)", n)
				}
				return nil
			})
		},
	}
}

var _ = Describe("Mutex", func() {
	When("an operation is split over two critical sections", func() {
		It("lets the scheduler put another goroutine between the Unlock and the next Lock", func() {
			rep := interleave.Explore(lastTwoDrop((*object).decRefTwoSections))
			Expect(rep.Failure).NotTo(BeNil(), "both goroutines decrement before either checks, and both free foo")
			Expect(rep.Failure.Message).To(ContainSubstring("heap: foo freed twice"))
			Expect(rep.Failure.Trace.String()).To(MatchRegexp(`(?s)A  decRefTwoSections  unlocks foo\.mu\n.*B  decRefTwoSections  locks foo\.mu\n.*A  decRefTwoSections  locks foo\.mu`),
				"the trace shows B's critical section in the gap between A's two")
		})
	})

	When("the operation is one critical section", func() {
		It("frees foo once in every schedule, and the exploration is exhaustive", func() {
			rep := interleave.Explore(lastTwoDrop((*object).decRefOneSection), interleave.Options{MaxPreemptions: 20})
			Expect(rep).To(interleavetest.Pass())
			Expect(rep.Exhaustive).To(BeTrue(), rep.Coverage())
			Expect(rep.Reduced).To(BeTrue(), "every shared access goes through the kit: the reduction stays on")
		})
	})

	When("the lock is taken", func() {
		It("makes the next locker wait, names who holds it, and lets it in after the Unlock", func() {
			res, err := interleave.Replay("A*2 B*3", lastTwoDrop((*object).decRefOneSection))
			Expect(err).NotTo(HaveOccurred())
			Expect(res).To(interleavetest.Pass())
			Expect(res.Trace.Lines()).To(ContainElements(
				MatchRegexp(`B  decRefOneSection  waits for foo\.mu, which A holds$`),
				MatchRegexp(`A  decRefOneSection  unlocks foo\.mu$`),
				MatchRegexp(`B  decRefOneSection  locks foo\.mu$`)))
			Expect(res.Notes).To(ContainElement(ContainSubstring("B waits for foo.mu, which A holds")),
				"the schedule's later B steps cannot be taken while A holds the lock, and the note says why")
		})

		It("reports a deadlock that names each lock, where it is waited for and who holds it", func() {
			rep := interleave.Explore(interleave.Scenario{Name: "AB-BA", Setup: func(r *interleave.Run) {
				var a, b struct{ mu sync.Mutex }
				r.Name(&a, "a")
				r.Name(&b, "b")
				lockBoth := func(x, y *sync.Mutex) {
					x.Lock()
					defer x.Unlock()
					y.Lock()
					defer y.Unlock()
				}
				r.Go("A", func() { lockBoth(&a.mu, &b.mu) })
				r.Go("B", func() { lockBoth(&b.mu, &a.mu) })
			}})
			Expect(rep.Failure).NotTo(BeNil())
			Expect(rep.Failure.Kind).To(Equal(interleave.Deadlock))
			Expect(rep.Failure.Message).To(SatisfyAll(
				MatchRegexp(`A, at sync_test\.go:\d+ \(.*\), waits for b\.mu, which B holds`),
				MatchRegexp(`B, at sync_test\.go:\d+ \(.*\), waits for a\.mu, which A holds`)))
		})
	})

	It("calls an object nobody named by its kind and a number, in order of first use", func() {
		res, err := interleave.Replay("A", interleave.Scenario{Name: "unnamed", Setup: func(r *interleave.Run) {
			var m1, m2 sync.Mutex
			r.Go("A", func() { m2.Lock(); m1.Lock(); m1.Unlock(); m2.Unlock() })
		}})
		Expect(err).NotTo(HaveOccurred())
		Expect(res.Trace.String()).To(SatisfyAll(ContainSubstring("locks mutex #1"), ContainSubstring("locks mutex #2")))
		Expect(strings.Index(res.Trace.String(), "#1")).To(BeNumerically("<", strings.Index(res.Trace.String(), "#2")))
	})

	It("panics, naming the misuse, on an Unlock of an unlocked mutex in a run", func() {
		res, err := interleave.Replay("A", interleave.Scenario{Name: "unlock twice", Setup: func(r *interleave.Run) {
			var mu sync.Mutex
			r.Go("A", func() { mu.Lock(); mu.Unlock(); mu.Unlock() })
		}})
		Expect(err).NotTo(HaveOccurred())
		Expect(res.Failure).NotTo(BeNil())
		Expect(res.Failure.Message).To(ContainSubstring("sync: unlock of unlocked mutex"))
	})

	It("reports TryLock's outcome", func() {
		res, err := interleave.Replay("A*2 B*2", interleave.Scenario{Name: "trylock", Setup: func(r *interleave.Run) {
			var mu sync.Mutex
			r.Name(&mu, "mu")
			r.Go("A", func() { mu.Lock(); mu.Unlock() })
			r.Go("B", func() {
				if mu.TryLock() {
					mu.Unlock()
				}
			})
		}})
		Expect(err).NotTo(HaveOccurred())
		Expect(res.Trace.String()).To(MatchRegexp(`B  \S+  tries to lock mu: taken, which A holds`))
	})

	When("used outside a run", func() {
		It("is a mutex for free-running goroutines", func() {
			var mu sync.Mutex
			n := 0
			var wg stdsync.WaitGroup
			for range 8 {
				wg.Go(func() {
					for range 1000 {
						mu.Lock()
						n++
						mu.Unlock()
						runtime.Gosched()
					}
				})
			}
			wg.Wait()
			Expect(n).To(Equal(8000), "no increment is lost under the lock")
			Expect(mu.TryLock()).To(BeTrue())
			Expect(mu.TryLock()).To(BeFalse())
			mu.Unlock()
		})
	})
})

var _ = Describe("RWMutex", func() {
	It("excludes the writer from the readers in every schedule", func() {
		rep := interleave.Explore(interleave.Scenario{Name: "rwmutex", Setup: func(r *interleave.Run) {
			var mu sync.RWMutex // guards x and y, which must stay equal
			x, y := interleave.NewInt("x", 0), interleave.NewInt("y", 0)
			torn := 0
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
						torn++
					}
				})
			}
			r.Finally(func() error {
				if torn != 0 {
					return fmt.Errorf("a reader saw x and y differ")
				}
				return nil
			})
		}}, interleave.Options{MaxPreemptions: 20})
		Expect(rep).To(interleavetest.Pass(), "readers and the writer exclude each other")
		Expect(rep.Exhaustive).To(BeTrue(), rep.Coverage())
	})

	It("makes a writer wait until the last reader has left", func() {
		res, err := interleave.Replay("R*2 W*2 S*2", interleave.Scenario{Name: "a writer among readers", Setup: func(r *interleave.Run) {
			var mu sync.RWMutex
			r.Name(&mu, "mu")
			r.Go("R", func() { mu.RLock(); mu.RUnlock() })
			r.Go("W", func() { mu.Lock(); mu.Unlock() })
			r.Go("S", func() { mu.RLock(); mu.RUnlock() })
		}})
		Expect(err).NotTo(HaveOccurred())
		Expect(res).To(interleavetest.Pass())
		Expect(res.Trace.String()).To(MatchRegexp(`(?s)W  \S+  waits to write-lock mu, which a reader holds.*S  \S+  read-unlocks mu.*W  \S+  write-locks mu`))
	})
})

var _ = Describe("WaitGroup and Cond", func() {
	It("wake their waiters when the others act, in every schedule", func() {
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
					return fmt.Errorf("C saw sum %d, want 2", seen.Get())
				}
				return nil
			})
		}}, interleave.Options{MaxPreemptions: 2})
		Expect(rep).To(interleavetest.Pass())
		Expect(rep.Schedules).To(BeNumerically(">", 10))
	})

	It("loses no Signal sent between a waiter's check and its Wait", func() {
		rep := interleave.Explore(interleave.Scenario{Name: "signal", Setup: func(r *interleave.Run) {
			var mu sync.Mutex
			cond := sync.NewCond(&mu)
			ready := false
			r.Go("S", func() {
				mu.Lock()
				ready = true
				mu.Unlock()
				cond.Signal()
			})
			r.Go("C", func() {
				mu.Lock()
				for !ready {
					cond.Wait()
				}
				mu.Unlock()
			})
		}}, interleave.Options{MaxPreemptions: 20})
		Expect(rep).To(interleavetest.Pass(), "a correct condition loop never sleeps for ever")
		Expect(rep.Exhaustive).To(BeTrue())
	})

	It("reports a waiter nobody signals as a deadlock, not a hang", func() {
		res, err := interleave.Replay("C", interleave.Scenario{Name: "no signal", Setup: func(r *interleave.Run) {
			var mu sync.Mutex
			cond := sync.NewCond(&mu)
			r.Name(cond, "cond")
			r.Go("C", func() { mu.Lock(); cond.Wait(); mu.Unlock() })
		}})
		Expect(err).NotTo(HaveOccurred())
		Expect(res.Failure).NotTo(BeNil())
		Expect(res.Failure.Kind).To(Equal(interleave.Deadlock))
		Expect(res.Failure.Message).To(ContainSubstring("sleeps on cond until it is signalled"))
	})

	It("lets a waiter stopped by a failed run unwind through its deferred Unlock", func() {
		// The run stops C inside Wait, where L is unlocked; C's deferred
		// Unlock must not end the process with "unlock of unlocked mutex".
		res, err := interleave.Replay("", interleave.Scenario{Name: "a deferred unlock", Setup: func(r *interleave.Run) {
			var mu sync.Mutex
			cond := sync.NewCond(&mu)
			r.Go("C", func() {
				mu.Lock()
				defer mu.Unlock()
				cond.Wait()
			})
		}})
		Expect(err).NotTo(HaveOccurred())
		Expect(res.Failure).NotTo(BeNil())
		Expect(res.Failure.Kind).To(Equal(interleave.Deadlock), "nobody signals C")
	})

	It("panics on a negative WaitGroup counter", func() {
		var wg sync.WaitGroup
		Expect(wg.Done).To(PanicWith("sync: negative WaitGroup counter"))
	})

	It("work outside a run as the standard library's", func() {
		var wg sync.WaitGroup
		var mu sync.Mutex
		cond := sync.NewCond(&mu)
		n := 0
		for range 4 {
			wg.Go(func() {
				mu.Lock()
				n++
				mu.Unlock()
				cond.Broadcast()
			})
		}
		mu.Lock()
		for n < 4 {
			cond.Wait()
		}
		mu.Unlock()
		wg.Wait()
		Expect(n).To(Equal(4))
	})
})

var _ = Describe("Once", func() {
	It("runs its function once, and every caller returns after it, in every schedule", func() {
		rep := interleave.Explore(interleave.Scenario{Name: "once", Setup: func(r *interleave.Run) {
			var once sync.Once
			calls := interleave.NewInt("calls", 0)
			var after []int
			for _, name := range []string{"A", "B", "C"} {
				r.Go(name, func() {
					once.Do(func() { calls.Set(calls.Get() + 1) })
					after = append(after, calls.Get())
				})
			}
			r.Finally(func() error {
				if calls.Get() != 1 || len(after) != 3 || after[0] != 1 || after[1] != 1 || after[2] != 1 {
					return fmt.Errorf("calls %d, seen after Do: %v", calls.Get(), after)
				}
				return nil
			})
		}}, interleave.Options{MaxPreemptions: 20})
		Expect(rep).To(interleavetest.Pass())
		Expect(rep.Exhaustive).To(BeTrue())
	})

	It("gives OnceValue's value to every caller", func() {
		n := 0
		v := sync.OnceValue(func() int { n++; return 42 })
		Expect(v()).To(Equal(42))
		Expect(v()).To(Equal(42))
		Expect(n).To(Equal(1))
	})
})

var _ = Describe("printing a lock with fmt", func() {
	// printed is fmt's %#v of v with every address written as 0x…, which
	// differs from one value to the next and says nothing about runs.
	printed := func(v any) string {
		return regexp.MustCompile(`0x[0-9a-f]+`).ReplaceAllString(fmt.Sprintf("%#v", v), "0x…")
	}
	// inAndOut prints what hold shows, once in a goroutine of a controlled
	// run and once outside any run.
	inAndOut := func(hold func() string) (in, out string) {
		_, err := interleave.Replay("A A A A A", interleave.Scenario{Name: "holds a lock", Setup: func(r *interleave.Run) {
			r.Go("A", func() { in = hold() })
		}})
		Expect(err).NotTo(HaveOccurred())
		return in, hold()
	}

	It("looks the same in and out of a run, so that code cannot use it to tell a spec from a program", func() {
		in, out := inAndOut(func() string { var m sync.Mutex; m.Lock(); defer m.Unlock(); return printed(&m) })
		Expect(in).To(Equal(out), "a locked Mutex must not show which goroutine of a run holds it")
		in, out = inAndOut(func() string { var rw sync.RWMutex; rw.Lock(); defer rw.Unlock(); return printed(&rw) })
		Expect(in).To(Equal(out), "nor an RWMutex")
		in, out = inAndOut(func() string { var rw sync.RWMutex; rw.RLock(); defer rw.RUnlock(); return printed(&rw) })
		Expect(in).To(Equal(out), "nor an RWMutex locked for reading")
		in, out = inAndOut(func() string { var o sync.Once; var s string; o.Do(func() { s = printed(&o) }); return s })
		Expect(in).To(Equal(out), "nor a Once while its function runs")
	})
})
