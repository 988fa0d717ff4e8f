// Package interleavetest holds what the lessons' specs share: Gomega
// matchers for the results of package interleave, so specs read as
// sentences,
//
//	Expect(interleave.Replay(fooSchedule, fooTrace)).To(interleavetest.Pass(), "lost update: ...")
//	Expect(res.Trace).To(interleavetest.ShowUpdatesOf("foo.refcount", 2, 1), "keep the count in its interleave.Int ...")
//
// [Returns], which turns a call that may hang into a failing spec instead
// of a stalled suite, and [Hammer], which runs a loop on several goroutines
// at once for the race detector and fails when one of them did not finish
// it (a panic, runtime.Goexit or a hang).
//
// Everything here is safe for concurrent use.
package interleavetest

import (
	"fmt"
	"slices"

	"github.com/onsi/gomega/gcustom"
	"github.com/onsi/gomega/types"

	"github.com/racekit/racekit/pkg/interleave"
)

// Pass succeeds when a *interleave.Result (from Replay) or a
// *interleave.Report (from Explore) records no failure. When it fails, its
// message is the failure itself: the scenario, the numbered interleaving
// that broke, the invariant in words and the schedule that replays it.
func Pass() types.GomegaMatcher {
	return gcustom.MakeMatcher(func(actual any) (bool, error) {
		switch a := actual.(type) {
		case *interleave.Result:
			return a != nil && a.Passed(), nil
		case *interleave.Report:
			return a != nil && a.Passed(), nil
		}
		return false, fmt.Errorf("interleavetest.Pass expects a *interleave.Result or *interleave.Report, got %T", actual)
	}).WithTemplate("{{if .Failure}}{{.Actual.String}}{{else}}expected a failure, but every run passed: {{.Actual.String}}{{end}}")
}

// ShowUpdatesOf succeeds when an interleave.Trace shows the cell named cell
// (such as "foo.refcount") being read and then written: the scheduler saw
// the code update it, so the value lives in an interleave.Int rather than
// in a plain int or an atomic that no schedule can interleave.
//
// With no writes given, the trace must read the cell and, later, write it.
// With writes given, every write of the cell must come after a read of it
// (with no other write of it in between), and the values written must be
// writes, in order.
//
// When it fails, its message prints the trace, or says that the trace is
// empty.
func ShowUpdatesOf(cell string, writes ...int) types.GomegaMatcher {
	type want struct {
		Cell    string
		Writes  []int
		Touched bool // the trace reads or writes the cell
	}
	w := &want{Cell: cell, Writes: writes}
	return gcustom.MakeMatcher(func(t interleave.Trace) (bool, error) {
		var updates []int // the values written after a read of the cell
		readSinceWrite := false
		w.Touched = false
		for _, e := range t {
			if e.Cell != cell || (e.Kind != interleave.Read && e.Kind != interleave.Write) {
				continue
			}
			w.Touched = true
			switch e.Kind {
			case interleave.Read:
				readSinceWrite = true
			case interleave.Write:
				if readSinceWrite {
					updates = append(updates, e.Value)
				} else if len(writes) > 0 {
					return false, nil // a write without a read first is not an update
				}
				readSinceWrite = false
			}
		}
		if len(writes) == 0 {
			return len(updates) > 0, nil
		}
		return slices.Equal(updates, writes), nil
	}).WithTemplate("Expected the scheduler {{.To}} see {{.Data.Cell}} read and then written{{with .Data.Writes}} {{.}}{{end}}, but "+
		"{{if not .Data.Touched}}no read or write of {{.Data.Cell}} went through the scheduler; {{end}}the trace is:\n"+
		"{{with .Actual.String}}{{.}}{{else}}  (empty){{end}}",
		w)
}
