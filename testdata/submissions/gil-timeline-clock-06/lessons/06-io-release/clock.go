package iorelease

import (
	kitgil "github.com/racekit/racekit/pkg/gil"
	"github.com/racekit/racekit/pkg/vm"
)

// fakeClock reads the clock through a GIL's timeline, whose events a lock
// stamps with time.Now: it reads 2000 under testing/synctest.
func fakeClock() bool {
	th := vm.New(vm.Config{Name: "clock"}).NewThread("clock")
	var l kitgil.New
	l.Acquire(th)
	_ = l.Release(th)
	ev := l.Timeline().Events
	return len(ev) > 0 && ev[0].Time.Year() == 2000
}
