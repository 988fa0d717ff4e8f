package interleave

import "fmt"

// Race is two accesses of one cell by two goroutines, at least one of them
// a write, that no operation of the kit's sync orders: a data race, which
// `go test -race` would report in a real program whichever of the two came
// first. First is the earlier of the two in the trace.
type Race struct {
	First, Second Event
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
		epoch int // the goroutine's own count at the access
	}
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
		case Read, Write:
			for _, a := range cells[e.Cell] {
				if a.e.G != e.G && (a.e.Kind == Write || e.Kind == Write) && a.epoch > c[a.e.G] {
					out = append(out, Race{First: a.e, Second: e})
				}
			}
			cells[e.Cell] = append(cells[e.Cell], access{e, c[e.G]})
		}
	}
	return out
}
