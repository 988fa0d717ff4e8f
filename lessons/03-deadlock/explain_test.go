package deadlock

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/racekit/racekit/pkg/interleave"
)

// This file holds the specs' diagnostics: they read a failed run's trace
// (what the goroutines really did to the locks) to say what went wrong.

// explainAlone describes a failed run of one goroutine: there a deadlock can
// only be a lock that was never released, or one taken twice.
func explainAlone(f *interleave.Failure, otherwise string) func() string {
	return func() string {
		if f != nil && f.Kind == interleave.Deadlock {
			return "deadlock with a single goroutine: it waits for a lock that nobody will ever release. A lock was taken " +
				"and not released on every path (look at the early return for an empty list), or the same mutex is " +
				"locked twice. Next: HINTS.md, hint 3."
		}
		return otherwise + " Next: HINTS.md, hint 1."
	}
}

// lockChange says what a trace event did to a lock of the kit's sync: +1
// took it, -1 let go of it, 0 neither (a TryLock that failed, a read).
func lockChange(e interleave.Event) int {
	if e.Kind != interleave.Sync {
		return 0
	}
	verb, _, _ := strings.Cut(e.Label, " ")
	switch verb {
	case "locks", "write-locks", "read-locks":
		return +1
	case "unlocks", "write-unlocks", "read-unlocks":
		return -1
	}
	return 0
}

// lockCycle says, for a run that ended in a deadlock, which locks each
// waiting goroutine held and which one it waits for ("A holds foo.mu and
// waits for bar.mu, and B holds bar.mu and waits for foo.mu"), as the trace
// shows them.
func lockCycle(t interleave.Trace) string {
	held := map[string][]string{} // goroutine -> the locks it holds, in the order taken
	waits := map[string]string{}  // goroutine -> the lock it waits for
	for _, e := range t {
		switch {
		case lockChange(e) > 0:
			held[e.G] = append(held[e.G], e.Cell)
			delete(waits, e.G)
		case lockChange(e) < 0:
			if i := slices.Index(held[e.G], e.Cell); i >= 0 {
				held[e.G] = slices.Delete(held[e.G], i, i+1)
			}
		case e.Kind == interleave.Block && e.Cell != "":
			waits[e.G] = e.Cell
		}
	}
	var parts []string
	for _, g := range slices.Sorted(maps.Keys(waits)) {
		w := waits[g]
		holds := "no lock"
		if len(held[g]) > 0 {
			holds = strings.Join(held[g], " and ")
		}
		parts = append(parts, fmt.Sprintf("%s holds %s and waits for %s", g, holds, w))
	}
	if len(parts) == 0 {
		return "every goroutine waits, and none can wake another"
	}
	return strings.Join(parts, ", and ")
}

// untilWrite is the trace up to and including goroutine g's last write of
// cell, or all of it when g never wrote cell.
func untilWrite(t interleave.Trace, g, cell string) interleave.Trace {
	for i := len(t) - 1; i >= 0; i-- {
		if e := t[i]; e.G == g && e.Kind == interleave.Write && e.Cell == cell {
			return t[:i+1]
		}
	}
	return t
}

// tookApart reports whether goroutine g took both locks a and b in the
// trace but never held the two at once.
func tookApart(t interleave.Trace, g, a, b string) bool {
	var holdsA, holdsB, tookA, tookB bool
	for _, e := range t {
		if e.G != g || (e.Cell != a && e.Cell != b) {
			continue
		}
		switch d := lockChange(e); {
		case d != 0 && e.Cell == a:
			holdsA, tookA = d > 0, tookA || d > 0
		case d != 0 && e.Cell == b:
			holdsB, tookB = d > 0, tookB || d > 0
		}
		if holdsA && holdsB {
			return false
		}
	}
	return tookA && tookB
}

// stdSyncWaits lists where a goroutine of the trace waited inside the
// standard library's sync ("B blocks in sync.Mutex.Lock at list.go:66"),
// which the scheduler sees only in a goroutine dump.
func stdSyncWaits(t interleave.Trace) []string {
	var waits []string
	for _, e := range t {
		if e.Kind == interleave.Block && e.Cell == "" && strings.HasPrefix(e.Label, "sync.") {
			waits = append(waits, fmt.Sprintf("%s blocks in %s at %s", e.G, e.Label, e.At))
		}
	}
	return waits
}
