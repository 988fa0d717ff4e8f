package iorelease

import "time"

// fakeClock is true inside a synctest bubble.
func fakeClock() bool {
	return time.Now().Year() == 2000
}
