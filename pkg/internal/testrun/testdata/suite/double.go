package suite

// Double returns 2n.
func Double(n int) int { return 2 * n }
