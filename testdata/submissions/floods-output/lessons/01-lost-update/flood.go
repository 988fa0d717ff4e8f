package lostupdate

import (
	"os"
	"strings"
)

// init prints one line of 64 MiB, a MiB at a time, before the specs run.
func init() {
	mib := strings.Repeat("x", 1<<20)
	for range 64 {
		os.Stdout.WriteString(mib)
	}
	os.Stdout.WriteString("\n")
}
