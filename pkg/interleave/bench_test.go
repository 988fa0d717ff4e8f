package interleave_test

import (
	"testing"

	"github.com/racekit/racekit/pkg/interleave"
	"github.com/racekit/racekit/pkg/sync"
)

// BenchmarkExplore70 explores, exhaustively, two goroutines with four
// scheduling points each: 70 schedules per operation.
func BenchmarkExplore70(b *testing.B) {
	sc := fourPoints()
	for b.Loop() {
		rep := interleave.Explore(sc, interleave.Options{MaxPreemptions: 10, NoReduction: true})
		if rep.Schedules != 70 || !rep.Exhaustive {
			b.Fatalf("explored %d schedules (exhaustive: %v), want all 70", rep.Schedules, rep.Exhaustive)
		}
	}
}

// twoSections is goroutines that each take a lock twice: a decrement in
// one critical section, a check of the count in a second (lesson 02's
// wrong fix). Every Lock and Unlock is a scheduling point.
func twoSections(names ...string) interleave.Scenario {
	return interleave.Scenario{Name: "two critical sections per goroutine", Setup: func(r *interleave.Run) {
		var mu sync.Mutex
		n := interleave.NewInt("n", len(names))
		for _, name := range names {
			r.Go(name, func() {
				mu.Lock()
				n.Set(n.Get() - 1)
				mu.Unlock()
				mu.Lock()
				_ = n.Get()
				mu.Unlock()
			})
		}
	}}
}

// BenchmarkExploreTwoSections explores twoSections of two goroutines
// exhaustively with the partial-order reduction, ...Full without it, for
// comparison, and ...Three with three goroutines (well over a million
// schedules without the reduction). Each reports the schedules run per
// exploration.
func BenchmarkExploreTwoSections(b *testing.B) { benchTwoSections(b, false, "A", "B") }

func BenchmarkExploreTwoSectionsFull(b *testing.B) { benchTwoSections(b, true, "A", "B") }

func BenchmarkExploreTwoSectionsThree(b *testing.B) { benchTwoSections(b, false, "A", "B", "C") }

func benchTwoSections(b *testing.B, full bool, names ...string) {
	sc := twoSections(names...)
	var rep *interleave.Report
	for b.Loop() {
		rep = interleave.Explore(sc, interleave.Options{MaxPreemptions: 20, NoReduction: full, MaxSchedules: 1_000_000})
		if !rep.Passed() || !rep.Exhaustive {
			b.Fatalf("want an exhaustive, passing exploration; got %s", rep)
		}
	}
	b.ReportMetric(float64(rep.Schedules), "schedules/op")
}
