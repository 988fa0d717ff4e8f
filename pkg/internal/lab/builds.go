package lab

import (
	"github.com/racekit/racekit/pkg/gil"
	"github.com/racekit/racekit/pkg/vm"
)

// A build is one way the lab builds the VM's interpreters, as CPython
// has builds: which interpreter lock they take turns on, if any, and how
// they count references. Each interpreter gets a lock of its own.
type build struct {
	name string // "old GIL": the start of its rows' labels
	// seeds is set for the build the seeds ran, CPython 3's new GIL: its
	// rows carry the seeds' ratios.
	seeds bool
	// config returns a new interpreter's configuration, named name, with
	// a new lock.
	config func(name string) vm.Config
}

// The builds the lab compares, each with its CPython counterpart.
var (
	// oldGIL is CPython up to 3.1: the holder drops the lock every check
	// interval and, a woken waiter being slow, usually takes it straight
	// back (wakeUp).
	oldGIL = build{"old GIL", false, func(name string) vm.Config {
		return vm.Config{Name: name, Lock: &gil.Old{WakeUp: wakeUp, MaxEvents: -1}}
	}}
	// newGIL is CPython 3.2 and later: a waiter asks for the lock after a
	// switch interval (5 ms) and the holder hands it over.
	newGIL = build{"new GIL", true, func(name string) vm.Config {
		return vm.Config{Name: name, Lock: &gil.New{MaxEvents: -1}}
	}}
	// noGIL is the free-threaded build (3.13t, PEP 703): no interpreter
	// lock, and biased reference counts, which are safe without one.
	noGIL = build{"no GIL", false, func(name string) vm.Config {
		return vm.Config{Name: name, NoGIL: true, RefCounter: biasedCounts{}, MaxFrees: -1}
	}}
)

// seedRatio is r, a seed's ratio, for the build the seeds ran, and 0 (none)
// for the others.
func (b build) seedRatio(r float64) float64 {
	if b.seeds {
		return r
	}
	return 0
}
