package gil

import (
	"fmt"
	"strings"
	"time"
)

// Kind says what a timeline event records.
type Kind uint8

const (
	// Acquired is a thread taking the lock. Other names the thread that
	// held it before when the lock changed hands.
	Acquired Kind = iota + 1
	// Released is a thread letting go of the lock. OnRequest is set when a
	// drop had been requested of it.
	Released
	// Waiting is a thread that found the lock held and began to wait for
	// it; Other is the holder.
	Waiting
	// Requested is a waiter asking the holder (Other) to drop the lock,
	// after a switch interval without a switch (New only).
	Requested
	// AwaitingSwitch is a thread that dropped the lock on request and now
	// waits until another thread has taken it (New's forced switching).
	AwaitingSwitch
)

// String names the kind in a word or two ("acquired").
func (k Kind) String() string {
	switch k {
	case Acquired:
		return "acquired"
	case Released:
		return "released"
	case Waiting:
		return "waiting"
	case Requested:
		return "requested"
	case AwaitingSwitch:
		return "awaiting switch"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Event is one thing that happened to a lock.
type Event struct {
	Seq    int       // position in the timeline, from 1
	Time   time.Time // when, by time.Now: fake time inside a testing/synctest bubble
	Thread string    // the thread that did it
	Kind   Kind      // what it did
	// Other is the other thread concerned: for Waiting, the holder; for
	// Requested, the holder asked to drop the lock; for Acquired, the
	// thread that held the lock before, when it changed hands ("" when the
	// same thread takes it again, and at the first take).
	Other string
	// OnRequest marks a Released event by a thread that had been asked to
	// drop the lock.
	OnRequest bool
}

// Switch reports whether the event is a take of the lock by a thread other
// than the one that held it last.
func (e Event) Switch() bool { return e.Kind == Acquired && e.Other != "" }

// What says what happened, as a timeline line shows it after the thread's
// name: "takes the GIL from A", "asks A to drop the GIL".
func (e Event) What() string {
	switch e.Kind {
	case Acquired:
		if e.Other != "" {
			return "takes the GIL from " + e.Other
		}
		return "takes the GIL"
	case Released:
		if e.OnRequest {
			return "drops the GIL on request"
		}
		return "drops the GIL"
	case Waiting:
		return "waits for the GIL (" + e.Other + " holds it)"
	case Requested:
		return "asks " + e.Other + " to drop the GIL"
	case AwaitingSwitch:
		return "waits until another thread takes the GIL"
	}
	return e.Kind.String()
}

// Timeline is what a lock recorded, in the order it happened. Get one from
// a lock's Timeline method: it is a copy, which the lock no longer touches.
type Timeline struct {
	Events []Event
	// Omitted counts the events that happened after the lock had kept its
	// MaxEvents, and were not kept.
	Omitted int
}

// Span is one stretch of time during which one thread held the lock.
type Span struct {
	Thread   string
	From, To time.Time // To is the zero time while the span is open
	// FromSeq and ToSeq are the Seq of the Acquired and Released events;
	// ToSeq is 0 while the span is open.
	FromSeq, ToSeq int
}

// Open reports whether the thread still held the lock when the timeline
// was taken (or when it stopped keeping events).
func (s Span) Open() bool { return s.ToSeq == 0 }

// Duration is how long the thread held the lock; 0 for an open span.
func (s Span) Duration() time.Duration {
	if s.Open() {
		return 0
	}
	return s.To.Sub(s.From)
}

// format shows the span as "A [0s, 6ms]", times since start; an open
// span ends in "...)".
func (s Span) format(start time.Time) string {
	if s.Open() {
		return fmt.Sprintf("%s [%v, ...)", s.Thread, s.From.Sub(start))
	}
	return fmt.Sprintf("%s [%v, %v]", s.Thread, s.From.Sub(start), s.To.Sub(start))
}

// Spans returns the holding spans in order: one from each Acquired event to
// the Released event of the same thread that follows it. In a timeline
// that passes Check they never overlap; the last one may be open.
func (tl Timeline) Spans() []Span {
	var spans []Span
	open := -1
	for _, e := range tl.Events {
		switch e.Kind {
		case Acquired:
			spans = append(spans, Span{Thread: e.Thread, From: e.Time, FromSeq: e.Seq})
			open = len(spans) - 1
		case Released:
			if open >= 0 && spans[open].Thread == e.Thread {
				spans[open].To, spans[open].ToSeq = e.Time, e.Seq
				open = -1
			}
		}
	}
	return spans
}

// Turns returns the threads in the order they held the lock, consecutive
// spans of one thread merged into one turn: a thread that drops the lock
// and takes it straight back keeps its turn. Under the old GIL a CPU-bound
// thread keeps it to the end ("A", "B"); the new GIL takes turns
// ("A", "B", "A", "B", ...).
func (tl Timeline) Turns() []string {
	var turns []string
	for _, s := range tl.Spans() {
		if len(turns) == 0 || turns[len(turns)-1] != s.Thread {
			turns = append(turns, s.Thread)
		}
	}
	return turns
}

// Switches counts the takes by a thread other than the last holder; for a
// timeline with nothing omitted it equals the lock's Switches.
func (tl Timeline) Switches() int {
	n := 0
	for _, e := range tl.Events {
		if e.Switch() {
			n++
		}
	}
	return n
}

// Check verifies that the timeline describes a lock: events numbered from
// 1 in order and in time order; a take only while nobody holds the lock,
// and marked as a switch exactly when the thread differs from the last
// holder; a release only by the holder; a wait only for another thread's
// lock, one at a time; a drop request only by a waiter, of the holder; a
// forced-switching wait only right after that thread's release on request.
// It returns an error naming the first event that breaks a rule.
func (tl Timeline) Check() error {
	holder, last := "", ""
	waiting := map[string]bool{}
	for i, e := range tl.Events {
		bad := func(format string, args ...any) error {
			return fmt.Errorf("gil: timeline event %d (%s %s): %s", e.Seq, e.Thread, e.What(), fmt.Sprintf(format, args...))
		}
		if e.Seq != i+1 {
			return bad("it is event %d of the timeline: events must be numbered from 1 in order", i+1)
		}
		if i > 0 && e.Time.Before(tl.Events[i-1].Time) {
			return bad("it happened at %v, before event %d (%v): time went backwards", e.Time, i, tl.Events[i-1].Time)
		}
		switch e.Kind {
		case Acquired:
			if holder != "" {
				return bad("%s holds the lock: two threads would hold it at once", holder)
			}
			if e.Other != "" && (e.Other != last || e.Other == e.Thread) {
				return bad("it records a switch from %s, but the last holder was %s", e.Other, orNobody(last))
			}
			if e.Other == "" && last != "" && last != e.Thread {
				return bad("the lock changes hands from %s, but the event records no switch", last)
			}
			holder, last = e.Thread, e.Thread
			delete(waiting, e.Thread)
		case Released:
			if holder != e.Thread {
				return bad("%s holds the lock, not %s: only the holder may release it", orNobody(holder), e.Thread)
			}
			holder = ""
		case Waiting:
			if holder == "" || holder == e.Thread || e.Other != holder {
				return bad("the holder is %s: a thread waits only for a lock another thread holds", orNobody(holder))
			}
			if waiting[e.Thread] {
				return bad("%s is waiting already", e.Thread)
			}
			waiting[e.Thread] = true
		case Requested:
			if !waiting[e.Thread] {
				return bad("%s is not waiting for the lock: only a waiter asks for a drop", e.Thread)
			}
			if holder == "" || e.Other != holder {
				return bad("the holder is %s: a drop is asked of the holder", orNobody(holder))
			}
		case AwaitingSwitch:
			if i == 0 || tl.Events[i-1].Thread != e.Thread || tl.Events[i-1].Kind != Released || !tl.Events[i-1].OnRequest {
				return bad("it does not follow %s's release on request", e.Thread)
			}
		default:
			return bad("unknown kind %d", e.Kind)
		}
	}
	return nil
}

func orNobody(name string) string {
	if name == "" {
		return "nobody"
	}
	return name
}

// String renders the timeline one numbered event a line, each with its
// time since the first event ("  3.  5ms  B  asks A to drop the GIL").
// Under testing/synctest the times are the bubble's fake time and the same
// every run; elsewhere they are real and differ from run to run (see
// Untimed).
func (tl Timeline) String() string { return tl.render(true) }

// Untimed is String without the times, for timelines whose clock means
// nothing: real time, or a run of the controlled scheduler.
func (tl Timeline) Untimed() string { return tl.render(false) }

func (tl Timeline) render(timed bool) string {
	if len(tl.Events) == 0 {
		return "  (no events)"
	}
	start := tl.Events[0].Time
	nw, tw, gw := len(fmt.Sprint(tl.Events[len(tl.Events)-1].Seq)), 0, 0
	for _, e := range tl.Events {
		tw, gw = max(tw, len(e.Time.Sub(start).String())), max(gw, len(e.Thread))
	}
	lines := make([]string, 0, len(tl.Events)+1)
	for _, e := range tl.Events {
		if timed {
			lines = append(lines, fmt.Sprintf("  %*d. %*v  %-*s  %s", nw, e.Seq, tw, e.Time.Sub(start), gw, e.Thread, e.What()))
		} else {
			lines = append(lines, fmt.Sprintf("  %*d. %-*s  %s", nw, e.Seq, gw, e.Thread, e.What()))
		}
	}
	if tl.Omitted > 0 {
		lines = append(lines, fmt.Sprintf("  ... and %d more events, not kept", tl.Omitted))
	}
	return strings.Join(lines, "\n")
}

// maxColumns bounds a chart's width.
const maxColumns = 400

// Chart draws the timeline as one row per thread (in the order they first
// appear), one column per cell of time from the first event to the last:
// '#' where the thread held the lock during the cell, '.' where it waited
// for it, ' ' otherwise. A last line gives the times at both ends:
//
//	A |#####     ######|
//	B |.....#####......|
//	   0s           16ms
//
// Charts suit timelines recorded under testing/synctest, where holding the
// lock takes the fake time a thread sleeps while it holds it. A chart is
// cut at 400 columns.
func (tl Timeline) Chart(cell time.Duration) string {
	if len(tl.Events) == 0 || cell <= 0 {
		return ""
	}
	start, end := tl.Events[0].Time, tl.Events[len(tl.Events)-1].Time
	n := int((end.Sub(start) + cell - 1) / cell)
	n = min(max(n, 1), maxColumns)
	col := func(t time.Time) int { return min(int(t.Sub(start)/cell), n-1) }
	// cols returns the columns an interval [from, to) covers; a zero-length
	// interval covers the column it lies in.
	cols := func(from, to time.Time) (int, int) {
		if !to.After(from) {
			return col(from), col(from)
		}
		return col(from), col(to.Add(-1))
	}
	var names []string
	rows := map[string][]byte{}
	waitFrom := map[string]time.Time{}
	row := func(name string) []byte {
		if rows[name] == nil {
			rows[name] = []byte(strings.Repeat(" ", n))
			names = append(names, name)
		}
		return rows[name]
	}
	paint := func(name string, from, to time.Time, c byte) {
		r := row(name)
		a, b := cols(from, to)
		for i := a; i <= b; i++ {
			if r[i] != '#' {
				r[i] = c
			}
		}
	}
	for _, e := range tl.Events {
		row(e.Thread)
		switch e.Kind {
		case Waiting:
			waitFrom[e.Thread] = e.Time
		case Acquired:
			if from, ok := waitFrom[e.Thread]; ok {
				paint(e.Thread, from, e.Time, '.')
				delete(waitFrom, e.Thread)
			}
		}
	}
	for name, from := range waitFrom {
		paint(name, from, end, '.')
	}
	for _, s := range tl.Spans() {
		to := s.To
		if s.Open() {
			to = end
		}
		paint(s.Thread, s.From, to, '#')
	}
	gw := 0
	for _, name := range names {
		gw = max(gw, len(name))
	}
	var b strings.Builder
	for _, name := range names {
		fmt.Fprintf(&b, "%-*s |%s|\n", gw, name, rows[name])
	}
	first, last := "0s", end.Sub(start).String()
	pad := max(n-len(first)-len(last), 1)
	fmt.Fprintf(&b, "%s%s%s%s", strings.Repeat(" ", gw+2), first, strings.Repeat(" ", pad), last)
	return b.String()
}

// SpanString renders the spans on one line, times since the first event:
// "A [0s, 6ms]  B [6ms, 7ms]  A [7ms, ...)".
func (tl Timeline) SpanString() string {
	if len(tl.Events) == 0 {
		return ""
	}
	start := tl.Events[0].Time
	var parts []string
	for _, s := range tl.Spans() {
		parts = append(parts, s.format(start))
	}
	return strings.Join(parts, "  ")
}
