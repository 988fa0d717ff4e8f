package interleave_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/interleave"
	"github.com/racekit/racekit/pkg/interleave/interleavetest"
	"github.com/racekit/racekit/pkg/sync"
)

// outcomes explores sc and returns every distinct outcome its runs
// recorded through record, sorted.
func outcomes(build func(record func(string)) interleave.Scenario, opts interleave.Options) ([]string, *interleave.Report) {
	seen := map[string]bool{}
	rep := interleave.Explore(build(func(s string) { seen[s] = true }), opts)
	var out []string
	for s := range seen {
		out = append(out, s)
	}
	slices.Sort(out)
	return out, rep
}

// program is a small random concurrent program over two cells, x and y,
// and one lock: each goroutine runs a few operations, adding what it reads
// to a local sum. Its outcome is every goroutine's sum and the cells' final
// values.
func program(rng *rand.Rand) func(record func(string)) interleave.Scenario {
	type op int
	const (
		readX op = iota
		writeX
		readY
		writeY
		lockedIncY // Lock, read y, write y+1, Unlock
		point      // an explicit Point: conflicts with everything
	)
	goroutines, ops := 3, 2
	if rng.IntN(2) == 0 {
		goroutines, ops = 2, 3
	}
	progs := make([][]op, goroutines)
	locked := false
	for g := range progs {
		for range ops {
			o := op(rng.IntN(6))
			if o == lockedIncY && (locked || goroutines == 3) {
				o = readY
			}
			locked = locked || o == lockedIncY
			progs[g] = append(progs[g], o)
		}
	}
	return func(record func(string)) interleave.Scenario {
		return interleave.Scenario{Name: fmt.Sprint(progs), Setup: func(r *interleave.Run) {
			var mu sync.Mutex
			x, y := interleave.NewInt("x", 0), interleave.NewInt("y", 0)
			sums := make([]int, goroutines)
			for g, prog := range progs {
				r.Go(string(rune('A'+g)), func() {
					for _, o := range prog {
						switch o {
						case readX:
							sums[g] += x.Get()
						case writeX:
							x.Set(10*(g+1) + sums[g])
						case readY:
							sums[g] += y.Get()
						case writeY:
							y.Set(100*(g+1) + sums[g])
						case lockedIncY:
							mu.Lock()
							y.Set(y.Get() + 1)
							mu.Unlock()
						case point:
							interleave.Point("here")
						}
					}
				})
			}
			r.Finally(func() error {
				record(fmt.Sprintf("sums %v, x=%d y=%d", sums, x.Get(), y.Get()))
				return nil
			})
		}}
	}
}

var _ = Describe("Explore's partial-order reduction", func() {
	It("reaches every outcome the full exploration reaches, in fewer schedules", func() {
		seed := uint64(1)
		rng := rand.New(rand.NewPCG(seed, 2)) // the same programs every run
		fullRuns, reducedRuns := 0, 0
		for range 12 {
			build := program(rng)
			full, fullRep := outcomes(build, interleave.Options{MaxPreemptions: 30, NoReduction: true})
			reduced, rep := outcomes(build, interleave.Options{MaxPreemptions: 30})
			Expect(fullRep.Exhaustive).To(BeTrue(), fullRep.Coverage())
			Expect(rep.Exhaustive).To(BeTrue(), rep.Coverage())
			Expect(rep.Reduced).To(BeTrue())
			Expect(reduced).To(Equal(full), "%s: skipping reorderings of independent steps must not lose an outcome", fullRep.Scenario)
			fullRuns += fullRep.Schedules
			reducedRuns += rep.Schedules
		}
		Expect(reducedRuns).To(BeNumerically("<", fullRuns/4), "the reduction should save most of the %d schedules", fullRuns)
		AddReportEntry("schedules", fmt.Sprintf("random programs: %d schedules without the reduction, %d with", fullRuns, reducedRuns))
	})

	It("runs goroutines that share nothing once", func() {
		rep := interleave.Explore(interleave.Scenario{Name: "independent", Setup: func(r *interleave.Run) {
			for _, name := range []string{"A", "B", "C"} {
				c := interleave.NewInt(name+".n", 0)
				r.Go(name, func() {
					for range 3 {
						c.Set(c.Get() + 1)
					}
				})
			}
		}}, interleave.Options{MaxPreemptions: 30})
		Expect(rep).To(interleavetest.Pass())
		Expect(rep.Schedules).To(Equal(1), "every step of one goroutine is independent of every step of another")
		Expect(rep.Exhaustive).To(BeTrue())
		Expect(rep.Coverage()).To(Equal("explored 1 schedule: every schedule of the scenario up to the order of independent steps, so every outcome (exhaustive)"))
	})

	It("treats an explicit Point as conflicting with every step", func() {
		rep := interleave.Explore(fourPoints(), interleave.Options{MaxPreemptions: 10})
		// Only the goroutines' starts commute: of the 70 interleavings, those
		// that differ only in who started first collapse.
		Expect(rep.Exhaustive).To(BeTrue())
		Expect(rep.Schedules).To(BeNumerically(">=", 20))
	})

	It("starts again without the reduction when a goroutine blocks on a channel, which may hide a conflict", func() {
		sc := interleave.Scenario{Name: "a hand-off through a channel", Setup: func(r *interleave.Run) {
			ch := make(chan int)
			n := interleave.NewInt("n", 0)
			r.Go("S", func() { n.Set(1); ch <- 1 })
			r.Go("R", func() { <-ch; n.Set(n.Get() + 1) })
		}}
		rep := interleave.Explore(sc, interleave.Options{MaxPreemptions: 10})
		full := interleave.Explore(sc, interleave.Options{MaxPreemptions: 10, NoReduction: true})
		Expect(rep).To(interleavetest.Pass())
		Expect(rep.Reduced).To(BeFalse(), "the channel is invisible to the reduction")
		Expect(rep.Schedules).To(BeNumerically(">=", full.Schedules), "it ran every schedule the full exploration runs")
		Expect(rep.Coverage()).To(HaveSuffix("every schedule of the scenario (exhaustive)"))
	})
})

var _ = Describe("a goroutine that sleeps", func() {
	// poll is a correct fix that polls: lock, look, unlock, sleep, again.
	poll := func() interleave.Scenario {
		return interleave.Scenario{Name: "P polls until W has written", Setup: func(r *interleave.Run) {
			var mu sync.Mutex
			ready := interleave.NewInt("ready", 0)
			got := interleave.NewInt("got", 0)
			r.Go("P", func() {
				for {
					mu.Lock()
					v := ready.Get()
					mu.Unlock()
					if v == 1 {
						got.Set(1)
						return
					}
					time.Sleep(time.Millisecond)
				}
			})
			r.Go("W", func() {
				for range 5 {
					interleave.Point("works")
				}
				mu.Lock()
				ready.Set(1)
				mu.Unlock()
			})
			r.Finally(func() error {
				if got.Get() != 1 {
					return fmt.Errorf("P never saw ready")
				}
				return nil
			})
		}}
	}

	It("runs only when nothing else can, as if time passed only then, so polling ends", func() {
		res, err := interleave.Replay("P*4", poll())
		Expect(err).NotTo(HaveOccurred())
		Expect(res).To(interleavetest.Pass())
		lines := res.Trace.String()
		// P polls once, sleeps; W runs to its end; P's next poll sees ready.
		Expect(strings.Count(lines, "P  -  reads ready")).To(Equal(2), lines)
		Expect(res.Schedule.String()).To(HavePrefix("P*4 W"), "after P's sleep, W takes every step it can before P runs again")
	})

	It("is explored in every order of the polls, and passes every time", func() {
		for range 4 {
			rep := interleave.Explore(poll(), interleave.Options{MaxPreemptions: 2})
			Expect(rep).To(interleavetest.Pass(), "polling is a correct fix: no schedule breaks it, however the sleeps were seen")
			Expect(rep.Schedules).To(BeNumerically("<", 200), "a sleeper waits while others can run, so polls do not multiply the schedules")
		}
	})

	It("is reported when it sleeps longer than the step timeout", func() {
		res, err := interleave.Replay("A", interleave.Scenario{Name: "a long nap", Setup: func(r *interleave.Run) {
			r.Go("A", func() { time.Sleep(2 * time.Second) })
		}}, interleave.Options{StepTimeout: 100 * time.Millisecond})
		Expect(err).NotTo(HaveOccurred())
		Expect(res.Failure).NotTo(BeNil())
		Expect(res.Failure.Kind).To(Equal(interleave.Stuck))
		Expect(res.Failure.Message).To(MatchRegexp(`A has slept in time\.Sleep at reduce_test\.go:\d+ .* for longer than 100ms`))
	})
})

var _ = Describe("a goroutine that waits with a timeout", func() {
	It("wakes up when nothing else can run, instead of being called a deadlock", func() {
		res, err := interleave.Replay("", interleave.Scenario{Name: "a timed receive", Setup: func(r *interleave.Run) {
			never := make(chan int)
			got := interleave.NewInt("got", 0)
			r.Go("A", func() {
				select {
				case v := <-never:
					got.Set(v)
				case <-time.After(5 * time.Millisecond):
					got.Set(-1)
				}
			})
			r.Finally(func() error {
				if got.Get() != -1 {
					return fmt.Errorf("A did not time out")
				}
				return nil
			})
		}})
		Expect(err).NotTo(HaveOccurred())
		Expect(res).To(interleavetest.Pass(), "the timer fires once nothing else can run")
	})
})
