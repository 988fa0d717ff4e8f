package lostupdate

// decrement is the learner's helper for DecRef, half written.
func decrement(n int) int { return n - "1" }
