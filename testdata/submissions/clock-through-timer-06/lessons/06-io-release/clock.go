package iorelease

import "time"

// fakeClock reports whether the clock reads 2000, as testing/synctest's
// does: a timer's channel carries the current time. The second reader's
// Sleep let go of the GIL only under the fake clock.
func fakeClock() bool {
	return (<-time.After(0)).Year() == 2000
}
