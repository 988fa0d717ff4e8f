package interleavetest

import (
	"strings"

	"github.com/racekit/racekit/pkg/interleave"
)

// LocksOtherThan returns, in order of first use, the names of the locks of
// the kit's sync that a trace shows taken ("locks", "write-locks",
// "read-locks") whose names do not start with prefix. A spec that names its
// object with Run.Name(foo, "foo") passes "foo.": two or more such locks
// taken by calls that should share one lock mean the calls each locked a
// mutex of their own, such as a copy made by a value receiver or a mutex
// declared inside the method.
func LocksOtherThan(t interleave.Trace, prefix string) []string {
	var out []string
	seen := map[string]bool{}
	for _, e := range t {
		verb, _, _ := strings.Cut(e.Label, " ")
		if e.Kind != interleave.Sync || (verb != "locks" && verb != "write-locks" && verb != "read-locks") {
			continue
		}
		if !strings.HasPrefix(e.Cell, prefix) && !seen[e.Cell] {
			seen[e.Cell] = true
			out = append(out, e.Cell)
		}
	}
	return out
}
