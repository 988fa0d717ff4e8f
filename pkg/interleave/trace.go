package interleave

import (
	"fmt"
	"slices"
	"strings"
)

// EventKind says what a trace event records.
type EventKind int

const (
	// Read is a read of a cell; Value is what it returned.
	Read EventKind = iota
	// Write is a write of a cell; Value is what was stored.
	Write
	// Label is an explicit Point; Label is its text.
	Label
	// Block is a goroutine found blocked; Label is its wait state
	// ("sync.Mutex.Lock") and At where it waits.
	Block
	// Panic is a goroutine that panicked; Label is the panic value.
	Panic
	// Sync is an operation on an object of the kit's sync or atomic
	// packages; Cell names the object and Label says what happened
	// ("locks foo.mu").
	Sync
)

// Event is one thing a goroutine did during a run.
type Event struct {
	Step  int       // the schedule step in which it happened (1-based; 0 before the first)
	G     string    // the goroutine's name
	Kind  EventKind // what happened
	Cell  string    // for Read and Write: the cell's name; for Sync, and Block and Label on an object: the object's
	Value int       // for Read and Write: the value read or written
	Label string    // for Label, Block and Panic: the text
	At    Frame     // where in the code under test
	// Doing, when set, names what the goroutine was doing in place of the
	// function in At: an interpreter's instruction ("LOAD_GLOBAL foo").
	Doing string
	// Verb is, for Sync, what the operation did to the object, as Label
	// words it ("locks", "unlocks", "read-locks", "signals").
	Verb string
}

// Trace is the events of one run in the order they happened.
type Trace []Event

// Lines renders the trace as the kit prints it: one numbered line per event,
// a read immediately followed by the same goroutine's write of the same cell,
// on behalf of the same instruction (Event.Doing), merged into one line
// ("reads foo.refcount -> 1, writes 2"). Columns are aligned; lines are
// indented by two spaces.
func (t Trace) Lines() []string {
	lines, _ := t.linesAbout(nil)
	return lines
}

// linesAbout is Lines, leaving out, when focus is not empty, the reads and
// writes of cells it does not name: the lines of the kit's sync, of points
// and labels, of blocks and panics stay, as the story of the run. The
// lines kept keep their numbers. It also returns how many lines it left
// out.
func (t Trace) linesAbout(focus []string) (lines []string, left int) {
	type row struct {
		g, fn, what string
		n           int  // its number
		keep        bool // shown with focus
	}
	var rows []row
	lastRead := map[string]string{} // goroutine -> cell it last read
	for i := 0; i < len(t); i++ {
		e := t[i]
		var what string
		switch e.Kind {
		case Read:
			what = fmt.Sprintf("reads %s -> %d", e.Cell, e.Value)
			lastRead[e.G] = e.Cell
			if i+1 < len(t) && t[i+1].Kind == Write && t[i+1].G == e.G && t[i+1].Cell == e.Cell && t[i+1].Doing == e.Doing {
				what += fmt.Sprintf(", writes %d", t[i+1].Value)
				i++
				delete(lastRead, e.G)
			}
		case Write:
			if lastRead[e.G] == e.Cell {
				what = fmt.Sprintf("writes %d", e.Value)
			} else {
				what = fmt.Sprintf("writes %d to %s", e.Value, e.Cell)
			}
			delete(lastRead, e.G)
		case Label, Sync:
			what = e.Label
		case Block:
			if e.Cell != "" { // waits on an object of the kit's sync
				what = e.Label
			} else {
				what = fmt.Sprintf("blocks in %s at %s", e.Label, e.At)
			}
		case Panic:
			what = fmt.Sprintf("panics at %s: %s", e.At, e.Label)
		}
		fn := e.Doing
		if fn == "" {
			fn = e.At.ShortFunc()
		}
		keep := len(focus) == 0 || e.Kind != Read && e.Kind != Write || slices.Contains(focus, e.Cell)
		rows = append(rows, row{e.G, fn, what, len(rows) + 1, keep})
	}
	total := len(rows)
	nw := len(fmt.Sprint(total))
	rows = slices.DeleteFunc(rows, func(r row) bool { return !r.keep })
	gw, fw := 0, 0
	for _, r := range rows {
		gw, fw = max(gw, len(r.g)), max(fw, len(r.fn))
	}
	lines = make([]string, len(rows))
	for i, r := range rows {
		lines[i] = strings.TrimRight(fmt.Sprintf("  %*d. %-*s  %-*s  %s", nw, r.n, gw, r.g, fw, r.fn, r.what), " ")
	}
	return lines, total - len(rows)
}

// String is the trace's lines joined by newlines.
func (t Trace) String() string { return strings.Join(t.Lines(), "\n") }
