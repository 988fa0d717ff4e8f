package lanes

import (
	"fmt"
	"strings"
	"time"

	"github.com/racekit/racekit/pkg/gil"
)

// Run is a stretch of columns, From to To-1, with From < To.
type Run struct{ From, To int }

// Lane is one thread's row of a laid-out timeline. Its runs are in column
// order, and two runs of one kind never touch: runs that would meet or
// overlap are merged into one, so a lane has at most one run of a kind for
// every two columns however many events the timeline holds.
type Lane struct {
	Thread string // the thread's name, as its events give it
	// Holds are the columns in which the thread held the lock: from each
	// take to the thread's release, or to the window's end.
	Holds []Run
	// Waits are the columns in which the thread waited for the lock: from
	// its Waiting event (or, on the new GIL, its AwaitingSwitch event after
	// a drop on request) to its next take, or to the window's end.
	Waits []Run
	// Requests are the columns, in order and each once, in which the thread
	// asked the holder to drop the lock (gil.Requested: the new GIL only).
	Requests []int
}

// Layout is a timeline laid out in columns of equal time, ready to draw:
// column c covers the time from c to c+1 column widths after the
// timeline's first event. A column is painted for a kind when anything of
// that kind happened in it, however briefly, so that what is shorter than
// a column is merged, never lost. The zero Layout has no lanes.
type Layout struct {
	Columns int           // how many columns the window spans
	Window  time.Duration // the time the columns span, from the first event
	// Lanes has one lane per thread of the timeline, in the order the
	// threads first appear in it (in the whole timeline, not only the
	// window: a thread that did nothing in the window has an empty lane).
	Lanes []Lane
	// Switches are the columns, in order and each once, in which the lock
	// changed hands (gil.Event.Switch).
	Switches []int
	// Ends is the number of columns before the timeline's last kept event
	// (at most Columns): past it the timeline says nothing.
	Ends int
}

// Lay lays out the first window of tl in cols columns. It reads the events
// up to the window's end only (and the whole timeline once, for the
// threads' names), so a timeline of millions of events lays out in
// milliseconds. It panics if window or cols is not positive.
func Lay(tl gil.Timeline, window time.Duration, cols int) Layout {
	if window <= 0 || cols <= 0 {
		panic(fmt.Sprintf("lanes: Lay needs a positive window and column count, got %v and %d", window, cols))
	}
	l := Layout{Columns: cols, Window: window}
	if len(tl.Events) == 0 {
		return l
	}
	lane := map[string]int{}
	for _, e := range tl.Events {
		if _, ok := lane[e.Thread]; !ok {
			lane[e.Thread] = len(l.Lanes)
			l.Lanes = append(l.Lanes, Lane{Thread: e.Thread})
		}
	}
	start := tl.Events[0].Time
	end := start.Add(window)
	last := tl.Events[len(tl.Events)-1].Time
	if last.After(end) {
		last = end
	}
	// floor and ceil are the column a time falls in and the first column
	// boundary at or after it, in integers, so that a time on a boundary
	// is exactly there. Times are never before start, nor (when used) much
	// past the window, so the products do not overflow.
	floor := func(t time.Time) int64 { return int64(t.Sub(start)) * int64(cols) / int64(window) }
	ceil := func(t time.Time) int64 {
		return (int64(t.Sub(start))*int64(cols) + int64(window) - 1) / int64(window)
	}
	l.Ends = int(min(ceil(last), int64(cols)))
	// span returns the columns [a, b) that the interval [from, to) touches;
	// an empty interval touches the column it lies in. ok is false when the
	// interval starts at or past the window's end.
	span := func(from, to time.Time) (a, b int, ok bool) {
		if !from.Before(end) {
			return 0, 0, false
		}
		a = int(floor(from))
		b = int(min(max(ceil(to), int64(a)+1), int64(cols)))
		return a, b, true
	}
	add := func(runs []Run, from, to time.Time) []Run {
		a, b, ok := span(from, to)
		if !ok {
			return runs
		}
		if n := len(runs); n > 0 && a <= runs[n-1].To {
			runs[n-1].To = max(runs[n-1].To, b)
			return runs
		}
		return append(runs, Run{a, b})
	}
	mark := func(cols []int, at time.Time) []int {
		a, _, ok := span(at, at)
		if !ok || len(cols) > 0 && cols[len(cols)-1] == a {
			return cols
		}
		return append(cols, a)
	}
	holding := make([]*time.Time, len(l.Lanes))
	waiting := make([]*time.Time, len(l.Lanes))
	for _, e := range tl.Events {
		if e.Time.After(end) {
			break
		}
		i, t := lane[e.Thread], e.Time
		ln := &l.Lanes[i]
		switch e.Kind {
		case gil.Acquired:
			if waiting[i] != nil {
				ln.Waits = add(ln.Waits, *waiting[i], t)
				waiting[i] = nil
			}
			holding[i] = &t
			if e.Switch() {
				l.Switches = mark(l.Switches, t)
			}
		case gil.Released:
			if holding[i] != nil {
				ln.Holds = add(ln.Holds, *holding[i], t)
				holding[i] = nil
			}
		case gil.Waiting, gil.AwaitingSwitch:
			if waiting[i] == nil {
				waiting[i] = &t
			}
		case gil.Requested:
			ln.Requests = mark(ln.Requests, t)
		}
	}
	for i := range l.Lanes {
		ln := &l.Lanes[i]
		if waiting[i] != nil {
			ln.Waits = add(ln.Waits, *waiting[i], last)
		}
		if holding[i] != nil {
			ln.Holds = add(ln.Holds, *holding[i], last)
		}
	}
	return l
}

// String shows the lane on one line, in columns: "B  holds 6-7  waits
// 0-6  asks for a drop at 5" (a run From-To covers columns From to To-1).
func (ln Lane) String() string {
	var b strings.Builder
	b.WriteString(ln.Thread)
	list := func(what string, runs []Run) {
		if len(runs) == 0 {
			return
		}
		b.WriteString("  " + what)
		for _, r := range runs {
			fmt.Fprintf(&b, " %d-%d", r.From, r.To)
		}
	}
	list("holds", ln.Holds)
	list("waits", ln.Waits)
	if len(ln.Requests) > 0 {
		b.WriteString("  asks for a drop at")
		for _, c := range ln.Requests {
			fmt.Fprintf(&b, " %d", c)
		}
	}
	return b.String()
}
