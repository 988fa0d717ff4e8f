package interleave_test

import (
	"testing"

	"github.com/racekit/racekit/pkg/interleave"
)

// BenchmarkExplore70 explores, exhaustively, two goroutines with four
// scheduling points each: 70 schedules per operation.
func BenchmarkExplore70(b *testing.B) {
	sc := fourPoints()
	for b.Loop() {
		rep := interleave.Explore(sc, interleave.Options{MaxPreemptions: 10})
		if rep.Schedules != 70 || !rep.Exhaustive {
			b.Fatalf("explored %d schedules (exhaustive: %v), want all 70", rep.Schedules, rep.Exhaustive)
		}
	}
}
