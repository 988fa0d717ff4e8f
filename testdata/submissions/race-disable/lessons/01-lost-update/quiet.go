package lostupdate

import "runtime"

// quietly runs f with the race detector's handling of synchronization
// switched off: code that talks to the detector has no place in a lesson.
func quietly(f func()) {
	runtime.RaceDisable()
	defer runtime.RaceEnable()
	f()
}
