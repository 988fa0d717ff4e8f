package gil_test

import (
	"fmt"
	"slices"

	"github.com/onsi/gomega/gcustom"
	"github.com/onsi/gomega/types"

	"github.com/racekit/racekit/pkg/gil"
	"github.com/racekit/racekit/pkg/vm"
)

// BeWellFormed succeeds on the timeline of a finished run: it passes
// Timeline.Check (never two holders at once, every release by the holder,
// ...), every span is closed (every take matched by a release), and no
// event was omitted. Its failure message says which rule broke and shows
// the timeline's first events.
func BeWellFormed() types.GomegaMatcher {
	why := &reason{}
	return gcustom.MakeMatcher(func(tl gil.Timeline) (bool, error) {
		why.s = wellFormed(tl)
		return why.s == "", nil
	}).WithTemplate("Expected the timeline {{.To}} describe a lock, with every take matched by a release and every event kept, but {{.Data}}", why)
}

// reason is what a matcher found, computed when it matched and printed by
// its failure message.
type reason struct{ s string }

func (r *reason) String() string { return r.s }

func wellFormed(tl gil.Timeline) string {
	first := gil.Timeline{Events: tl.Events[:min(len(tl.Events), 40)]}.String()
	if err := tl.Check(); err != nil {
		return err.Error() + "; the timeline begins:\n" + first
	}
	if tl.Omitted > 0 {
		return fmt.Sprintf("%d events were omitted: raise the lock's MaxEvents", tl.Omitted)
	}
	for _, s := range tl.Spans() {
		if s.Open() {
			return fmt.Sprintf("%s still holds the lock, taken at event %d; the timeline begins:\n%s", s.Thread, s.FromSeq, first)
		}
	}
	return ""
}

// HaveTurns succeeds when the timeline's threads held the lock in turns in
// this order (Timeline.Turns).
func HaveTurns(names ...string) types.GomegaMatcher {
	return gcustom.MakeMatcher(func(tl gil.Timeline) (bool, error) {
		return slices.Equal(tl.Turns(), names), nil
	}).WithTemplate("Expected the lock's turns {{.To}} be {{.Data}}, but they were {{.Actual.Turns}}:\n{{.Actual.String}}", names)
}

// FinishCleanly succeeds when every thread returned, without an error and
// without a panic.
func FinishCleanly() types.GomegaMatcher {
	return gcustom.MakeMatcher(func(outs []outcome) (bool, error) {
		for _, o := range outs {
			if o.panic != nil || o.err != nil {
				return false, nil
			}
		}
		return true, nil
	}).WithTemplate("Expected every thread {{.To}} return without an error or a panic, but they {{.Actual}}")
}

// HaveRefCount succeeds when an object's reference count is n (read after
// the threads have finished).
func HaveRefCount(n int) types.GomegaMatcher {
	return gcustom.MakeMatcher(func(o *vm.Object) (bool, error) {
		return o.RefCount() == n, nil
	}).WithTemplate("Expected {{.Actual}} {{.To}} have reference count {{.Data}}, but it has {{.Actual.RefCount}}", n)
}

// BeFreed succeeds when an object has been freed.
func BeFreed() types.GomegaMatcher {
	return gcustom.MakeMatcher(func(o *vm.Object) (bool, error) {
		return o.Freed(), nil
	}).WithTemplate("Expected {{.Actual}} (reference count {{.Actual.RefCount}}) {{.To}} be freed")
}
