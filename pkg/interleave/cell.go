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
func (c *Int) Get() int {
	if g := current(); g != nil {
		g.pause()
		v := c.v
		g.record(Event{Kind: Read, Cell: c.Name(), Value: v})
		return v
	}
	return c.v
}

// Set stores v in the cell. Under a run it is a scheduling point.
func (c *Int) Set(v int) {
	if g := current(); g != nil {
		g.pause()
		c.v = v
		g.record(Event{Kind: Write, Cell: c.Name(), Value: v})
		return
	}
	c.v = v
}

// Point is an explicit scheduling point: under a run, the calling goroutine
// pauses there and the trace records label ("frees foo"). Outside a run, and
// in goroutines the run did not start, it does nothing.
func Point(label string) {
	if g := current(); g != nil {
		g.pause()
		g.record(Event{Kind: Label, Label: label})
	}
}
