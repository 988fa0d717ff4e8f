package interleave

import (
	"fmt"
	"slices"
	"strings"
)

// Race is two accesses of one cell by two goroutines, at least one of them
// a write, that no operation of the kit's sync orders: a data race, which
// `go test -race` would report in a real program whichever of the two came
// first. First is the earlier of the two in the trace.
type Race struct {
	First, Second Event
	// FirstLocks and SecondLocks are the locks of the kit's sync (their
	// names in the trace) that each access's goroutine held at the time:
	// an empty one is an access made without a lock.
	FirstLocks, SecondLocks []string
}

// String says who touched which cell, how, and where:
// "B's RefCount read foo.refcount (object.go:40) while A's IncRef wrote it
// (object.go:27), and no lock ordered the two".
func (r Race) String() string {
	how := func(e Event) string {
		if e.Kind == Write {
			return "wrote"
		}
		return "read"
	}
	fn := func(e Event) string {
		if e.Doing != "" {
			return e.Doing
		}
		return e.At.ShortFunc()
	}
	return fmt.Sprintf("%s's %s %s %s (%s) while %s's %s %s it (%s), and no lock ordered the two",
		r.Second.G, fn(r.Second), how(r.Second), r.Second.Cell, r.Second.At,
		r.First.G, fn(r.First), how(r.First), r.First.At)
}

// Races returns the data races of the trace, one per pair of accesses,
// in the order their second access happened.
//
// Happens-before is read off the trace, so the answer does not depend on
// luck: each goroutine's events are ordered, and the operations of the
// kit's sync and atomic packages on one object (its Sync events) are
// ordered in the order they happened, each after every earlier one on the
// same object (more order than the Go memory model gives two read locks,
// so Races may miss a race, never invent one). Synchronisation the trace
// does not show, through channels or the standard library's sync, is not
// seen: on such code Races reports accesses those order as races.
func (t Trace) Races() []Race {
	type clock map[string]int
	join := func(dst, src clock) {
		for g, n := range src {
			dst[g] = max(dst[g], n)
		}
	}
	type access struct {
		e     Event
		epoch int      // the goroutine's own count at the access
		locks []string // the locks its goroutine held
	}
	held := map[string][]string{} // goroutine -> the locks it holds, in order taken
	clocks := map[string]clock{}  // goroutine -> what it has seen
	objects := map[string]clock{} // sync object -> what its operations have seen
	cells := map[string][]access{}
	var out []Race
	for _, e := range t {
		c := clocks[e.G]
		if c == nil {
			c = clock{}
			clocks[e.G] = c
		}
		c[e.G]++
		switch e.Kind {
		case Sync:
			o := objects[e.Cell]
			if o == nil {
				o = clock{}
				objects[e.Cell] = o
			}
			join(c, o)
			join(o, c)
			switch verb, _, _ := strings.Cut(e.Label, " "); verb {
			case "locks", "write-locks", "read-locks":
				held[e.G] = append(slices.Clone(held[e.G]), e.Cell)
			case "unlocks", "write-unlocks", "read-unlocks":
				if i := slices.Index(held[e.G], e.Cell); i >= 0 {
					held[e.G] = slices.Delete(slices.Clone(held[e.G]), i, i+1)
				}
			}
		case Read, Write:
			for _, a := range cells[e.Cell] {
				if a.e.G != e.G && (a.e.Kind == Write || e.Kind == Write) && a.epoch > c[a.e.G] {
					out = append(out, Race{First: a.e, Second: e, FirstLocks: a.locks, SecondLocks: held[e.G]})
				}
			}
			cells[e.Cell] = append(cells[e.Cell], access{e, c[e.G], held[e.G]})
		}
	}
	return out
}
