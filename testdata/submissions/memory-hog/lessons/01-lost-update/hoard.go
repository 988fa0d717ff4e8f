package lostupdate

// hoard keeps every MiB init takes, and init never stops taking: the test
// binary's resident memory grows until something stops it.
var hoard [][]byte

func init() {
	for {
		b := make([]byte, 1<<20)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1 // a page written is a page resident
		}
		hoard = append(hoard, b)
	}
}
