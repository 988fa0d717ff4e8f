package interleave

// Int is an int shared between goroutines. When a goroutine started by
// [Run.Go] reads or writes it, the goroutine first pauses at a scheduling
// point, and the access is recorded in the run's trace with the goroutine's
// name, the value, and the calling function and line.
//
// Outside a run an Int is plain memory: it has no synchronisation of its own,
// so unsynchronised concurrent use is a data race that `go test -race`
// reports, exactly as it would be for a plain int field.
//
// The zero value is an unnamed cell holding 0. An Int must not be copied after
// first use.
type Int struct {
	name string // set by NewInt, read-only afterwards
	v    int    // the value; deliberately unguarded
}

// NewInt returns a cell named name (as the trace shows it, e.g.
// "foo.refcount") holding v.
func NewInt(name string, v int) *Int {
	return &Int{name: name, v: v}
}

// Name returns the cell's name, or "int" for an unnamed cell.
func (c *Int) Name() string {
	if c.name == "" {
		return "int"
	}
	return c.name
}

// Get returns the cell's value. Under a run it is a scheduling point.
func (c *Int) Get() int { return c.GetAs("") }

// Set stores v in the cell. Under a run it is a scheduling point.
func (c *Int) Set(v int) { c.SetAs("", v) }

// GetAs is Get, recorded in the trace as done by what (an interpreter's
// instruction, "LOAD_GLOBAL foo") rather than by the calling function. An
// empty what means the calling function, as for Get.
func (c *Int) GetAs(what string) int {
	if g := current(); g != nil {
		g.pause(access{obj: g.run.objectID(c, "")}, nil)
		v := c.v
		g.record(Event{Kind: Read, Cell: c.Name(), Value: v, Doing: what})
		return v
	}
	if r := active.Load(); r != nil && r.checking.Load() {
		r.lookedAt(c.Name())
	}
	return c.v
}

// SetAs is Set, recorded in the trace as done by what; see [Int.GetAs].
func (c *Int) SetAs(what string, v int) {
	if g := current(); g != nil {
		g.pause(access{obj: g.run.objectID(c, ""), write: true}, nil)
		c.v = v
		g.record(Event{Kind: Write, Cell: c.Name(), Value: v, Doing: what})
		return
	}
	c.v = v
}

// Point is an explicit scheduling point: under a run, the calling goroutine
// pauses there and the trace records label ("frees foo"). Outside a run, and
// in goroutines the run did not start, it does nothing.
func Point(label string) { PointAs("", label) }

// PointAs is Point, recorded in the trace as done by what; see [Int.GetAs].
func PointAs(what, label string) {
	if g := current(); g != nil {
		g.pause(access{all: true}, nil)
		g.record(Event{Kind: Label, Label: label, Doing: what})
	}
}

// LabelAs records label in the trace as done by what, in the calling
// goroutine's current step, without pausing: for code that wants the trace
// to say what happened ("take_gil  takes the GIL from A") where no other
// goroutine needs a chance to run. Outside a run it does nothing.
func LabelAs(what, label string) {
	if g := current(); g != nil {
		g.record(Event{Kind: Label, Label: label, Doing: what})
	}
}

// InRun reports whether the calling goroutine was started by the run in
// progress, so that its scheduling points pause it. Code that waits with a
// timeout uses it to stand one scheduling step for the timeout, which the
// scheduler cannot see in a goroutine dump.
func InRun() bool { return current() != nil }
