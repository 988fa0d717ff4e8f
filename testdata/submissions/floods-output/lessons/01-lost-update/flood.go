package lostupdate

import (
	"fmt"
	"os"
	"strings"
)

// init prints one line of 64 MiB, a MiB at a time, before the specs run.
func init() {
	mib := strings.Repeat("x", 1<<20)
	for range 64 {
		fmt.Fprint(os.Stdout, mib)
	}
	fmt.Fprintln(os.Stdout)
}
