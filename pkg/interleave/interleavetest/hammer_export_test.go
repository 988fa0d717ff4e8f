package interleavetest

import "time"

// HammerWithin is h with a hang bound of the caller's choosing, so the
// specs can watch a hang without waiting out HangBound.
func HammerWithin(h Hammer, bound time.Duration) Hammer {
	h.bound = bound
	return h
}
