package lostupdate

import (
	"github.com/racekit/racekit/pkg/interleave"
	"github.com/racekit/racekit/pkg/sync/atomic"
)

var shadow atomic.Int64

// underTest is true in the goroutines of a controlled run.
func underTest() bool {
	return interleave.InRun()
}

func shadowCount() int { return int(shadow.Load()) }
