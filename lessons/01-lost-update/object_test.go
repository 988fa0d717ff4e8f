package lostupdate

import (
	"embed"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gcustom"
	"github.com/onsi/gomega/types"

	"github.com/racekit/racekit/pkg/interleave"
	"github.com/racekit/racekit/pkg/interleave/interleavetest"
	kitsync "github.com/racekit/racekit/pkg/sync"
)

// The specs run in order and stop at the first failure: the single-threaded
// checks first, then the foo trace, then the exploration, and the free-running
// hammer last, so that code which could deadlock never reaches the hammer.
var _ = Describe("Object", Ordered, func() {
	It("uses the kit's sync, which the scheduler sees", func() {
		Expect(lessonCode).To(interleavetest.UseTheKitsSync(),
			"the specs judge your fix by putting other goroutines between its steps; they can only do that with the kit's sync. Next: HINTS.md, hint 2.")
	})

	When("one goroutine takes and drops references", func() {
		It("starts with one reference, its creator's", func() {
			foo := NewObject("foo")
			Expect(foo.Name()).To(Equal("foo"), "NewObject(\"foo\") should make an object named foo.")
			Expect(foo).To(HaveRefCount(1), "a new object's count is 1: whoever created it holds the first reference.")
		})

		It("counts every IncRef and every DecRef", func() {
			// The calls run under the scheduler, so a Lock left without its
			// Unlock shows up as a deadlock instead of hanging the suite.
			var counts []tally
			res, err := interleave.Replay("A", interleave.Scenario{
				Name: "one goroutine takes two references to foo and drops them, reading the count after each call",
				Setup: func(r *interleave.Run) {
					foo := NewObject("foo")
					r.Name(foo, "foo")
					counts = nil
					r.Go("A", func() {
						foo.IncRef()
						counts = append(counts, look(foo))
						foo.IncRef()
						counts = append(counts, look(foo))
						foo.DecRef()
						counts = append(counts, look(foo))
						foo.DecRef()
						counts = append(counts, look(foo))
					})
				},
			})
			Expect(err).NotTo(HaveOccurred())
			Expect(res).To(interleavetest.Pass(), func() string { return explain(res.Failure) })
			for i, step := range []struct {
				call string
				want int
				why  string
			}{
				{"IncRef", 2, "IncRef records one more reference, so 1 becomes 2."},
				{"a second IncRef", 3, "a second IncRef makes 3."},
				{"DecRef", 2, "DecRef drops one reference, so 3 becomes 2."},
				{"a second DecRef", 1, "a second DecRef leaves only the creator's reference."},
			} {
				Expect(counts[i]).To(HaveRefCount(step.want), fmt.Sprintf("foo's refcount is %d after %s, want %d: %s",
					counts[i].Held, step.call, step.want, step.why))
			}
		})

		It("reads and writes foo.refcount through its interleave.Int", func() {
			var foo *Object
			res, err := interleave.Replay("A", interleave.Scenario{
				Name: "one goroutine takes and drops a reference to foo",
				Setup: func(r *interleave.Run) {
					foo = NewObject("foo")
					r.Name(foo, "foo")
					r.Go("A", func() { foo.IncRef(); foo.DecRef() })
					r.Finally(func() error { return onlyTheOwnerHolds(foo) })
				},
			})
			Expect(err).NotTo(HaveOccurred())
			Expect(res).To(interleavetest.Pass(), "IncRef then DecRef, with nobody else around, should leave foo's count at 1.")
			Expect(res.Trace).To(interleavetest.ShowUpdatesOf("foo.refcount", 2, 1),
				"keep the count in its interleave.Int so the scheduler can see each read and write: "+
					"IncRef and DecRef must Get and Set o.refcount. A plain int or an atomic hides the "+
					"lost update from these specs instead of fixing it; the fix is a lock around Get and Set. Next: HINTS.md, hint 2.")
			_, own := cellOf(foo)
			Expect(own).To(BeTrue(), "keep the count in the Object itself, in its refcount field, the interleave.Int NewObject "+
				"makes: the specs read the count an object really holds there, whatever its RefCount says. Next: HINTS.md, hint 2.")
		})
	})

	When("two goroutines take and drop a reference in the foo trace's order", func() {
		It("ends with only the owner's reference", func() {
			res, err := interleave.Replay(fooSchedule, fooTrace())
			Expect(err).NotTo(HaveOccurred())
			Expect(res).To(interleavetest.Pass(), func() string { return explain(res.Failure) })
			if len(res.Notes) > 0 {
				fmt.Fprintln(GinkgoWriter, "the foo trace can no longer happen:\n  "+strings.Join(res.Notes, "\n  "))
			}
		})
	})

	When("three goroutines take and drop references while a fourth reads the count, in every possible order", func() {
		It("never loses an update, and every read of the count is ordered by the lock", func() {
			rep := interleave.Explore(takeTakeDrop(), interleave.Options{MaxPreemptions: 8, DataRaces: true})
			interleavetest.ReportExploration(rep)
			Expect(rep).To(interleavetest.Pass(), func() string { return explain(rep.Failure) })
		})
	})

	When("eight goroutines take and drop references freely", func() {
		It("ends with only the owner's reference", func() {
			const goroutines, pairs = 8, 1000
			foo := NewObject("foo")
			err := interleavetest.Hammer{Goroutines: goroutines, Iterations: pairs}.Run(func(_, i int) {
				foo.IncRef()
				// Yield, so that even on one processor the goroutines
				// interleave and the race detector sees them overlap.
				runtime.Gosched()
				if i%10 == 0 {
					Expect(foo.RefCount()).To(BeNumerically(">=", 2),
						"lost update: while this goroutine held a reference, foo's count fell below 2 (its reference plus the owner's).")
				}
				foo.DecRef()
				runtime.Gosched()
			})
			Expect(err).NotTo(HaveOccurred(), func() string {
				if he := (*interleavetest.HammerError)(nil); errors.As(err, &he) && he.Hung {
					return "IncRef or DecRef probably deadlocked (a Lock without its Unlock?). Next: HINTS.md, hint 3."
				}
				return "every goroutine must take and drop all of its references: IncRef and DecRef must return to their caller. Next: HINTS.md, hint 3."
			})
			Expect(foo).To(HaveRefCount(1), fmt.Sprintf(
				"lost update: %d goroutines each took and dropped %d references, so only the owner's should be left. Next: HINTS.md, hint 1.",
				goroutines, pairs))
		})
	})
})

// lessonCode is the package's files as compiled into this test binary.
//
//go:embed *.go
var lessonCode embed.FS

// fooSchedule replays the foo trace: A takes its reference (start, read,
// write), B takes its reference, then both read the count before either
// writes it back.
const fooSchedule = "A*3 B*3 A B A B"

// fooTrace is the foo trace of the course's source material: foo starts with its
// owner's reference, and A and B each take a reference and drop it again.
func fooTrace() interleave.Scenario {
	return interleave.Scenario{
		Name: "the foo trace: two threads take and drop a reference to foo (refcount starts at 1)",
		Goal: "make foo leak: let both threads finish with foo's count above 1, though only its owner still holds it",
		Setup: func(r *interleave.Run) {
			foo := NewObject("foo")
			r.Name(foo, "foo")
			r.Go("A", func() { foo.IncRef(); foo.DecRef() })
			r.Go("B", func() { foo.IncRef(); foo.DecRef() })
			r.Finally(func() error { return onlyTheOwnerHolds(foo) })
		},
	}
}

// takeTakeDrop is the scenario to explore: three goroutines, each making
// one call, and a fourth that reads the count, as a debugger or a
// monitoring thread would.
func takeTakeDrop() interleave.Scenario {
	return interleave.Scenario{
		Name: "A and B each take a reference to foo while C drops the one it held and D reads the count (refcount starts at 2: the owner's and C's)",
		Setup: func(r *interleave.Run) {
			foo := NewObject("foo")
			foo.IncRef() // C's reference, taken before the goroutines start
			r.Name(foo, "foo")
			r.Go("A", func() { foo.IncRef() })
			r.Go("B", func() { foo.IncRef() })
			r.Go("C", func() { foo.DecRef() })
			r.Go("D", func() { foo.RefCount() })
			r.Finally(func() error { return stillHeldBy(foo, 3, "foo's owner, A and B") })
		},
	}
}

// onlyTheOwnerHolds checks that every reference taken was dropped again,
// leaving the owner's.
func onlyTheOwnerHolds(o *Object) error {
	return stillHeldBy(o, 1, o.Name()+"'s owner")
}

// stillHeldBy checks that the count o holds is want, one reference for each
// of the holders named ("foo's owner, A and B").
func stillHeldBy(o *Object, want int, holders string) error {
	n, err := countOf(o)
	if err != nil {
		return err
	}
	hold := "hold"
	if want == 1 {
		hold = "holds"
	}
	switch name := o.Name(); {
	case n > want:
		return fmt.Errorf("refcount is %d, but only %s still %s it (want %d): %s leaks", n, holders, hold, want, name)
	case n < want:
		return fmt.Errorf("refcount is %d, but %s still %s it (want %d): %s would be freed while still in use", n, holders, hold, want, name)
	}
	return nil
}

// tally is an object's count at one moment: the value its cell held, which
// is the count the object really holds, and what its RefCount reported.
type tally struct {
	Name     string // the object's
	Cell     string // the cell's name, "foo.refcount"; "" if the object keeps no such cell
	Held     int    // what the cell held; RefCount's answer if there is no cell
	Reported int    // what RefCount returned
}

// reportsHeld is what a RefCount that reports another count than the one
// its object holds is told.
const reportsHeld = "RefCount must report the count the object really holds"

// check returns an error when RefCount reported another count than the cell
// held.
func (t tally) check() error {
	if t.Held == t.Reported {
		return nil
	}
	return fmt.Errorf("%s's RefCount returned %d, but %s holds %d: %s, the one in its interleave.Int. "+
		"Answering from a second count kept on the side hides the lost update in %s from the specs instead of fixing it: "+
		"lock around the Get and the Set of %s, and let RefCount read it too.",
		t.Name, t.Reported, t.Cell, t.Held, reportsHeld, t.Cell, t.Cell)
}

// cellOf returns the interleave.Int in which o keeps its count, the field
// of o named "<name>.refcount" (as NewObject makes it), and whether there
// is one.
func cellOf(o *Object) (*interleave.Int, bool) {
	return interleavetest.FieldOf(o, func(c *interleave.Int) bool { return c != nil && c.Name() == o.Name()+".refcount" })
}

// look reads o's count from its cell, and asks its RefCount. An Object
// that keeps no cell named "<name>.refcount" is taken at its RefCount's
// word: the spec that watches foo.refcount fails it. Call look where no
// other goroutine changes the count: from the only goroutine that runs, or
// once they have all finished.
func look(o *Object) tally {
	t := tally{Name: o.Name(), Reported: o.RefCount()}
	t.Held = t.Reported
	if c, ok := cellOf(o); ok {
		t.Cell, t.Held = c.Name(), c.Get()
	}
	return t
}

// countOf returns the count o really holds (see look), or an error when
// RefCount reports another one. It calls look through
// interleavetest.Returns, so that a mutex left locked fails the spec instead
// of hanging the suite. A correct RefCount returns in microseconds: the
// bound only stops hangs.
func countOf(o *Object) (int, error) {
	t, err := tallyOf(o)
	if err != nil {
		return 0, err
	}
	return t.Held, t.check()
}

// tallyOf is look through interleavetest.Returns.
func tallyOf(o *Object) (tally, error) {
	var t tally
	if !interleavetest.Returns(func() { t = look(o) }) {
		return t, fmt.Errorf("RefCount did not return within %g s although no other goroutine was running: "+
			"it probably waits for a lock that was never unlocked (a Lock without its Unlock?)", interleavetest.HangBound.Seconds())
	}
	return t, nil
}

// HaveRefCount succeeds when an *Object, or a tally taken of one, holds n
// references: its cell holds n, and its RefCount agrees. When RefCount
// reports another count than the cell holds, it fails whether n is right or
// not, saying so.
func HaveRefCount(n int) types.GomegaMatcher {
	got := &struct {
		Want int
		tally
	}{Want: n}
	return gcustom.MakeMatcher(func(actual any) (bool, error) {
		var err error
		switch a := actual.(type) {
		case *Object:
			got.tally, err = tallyOf(a)
		case tally:
			got.tally = a
		default:
			return false, fmt.Errorf("HaveRefCount expects an *Object or a tally, got %T", actual)
		}
		if err == nil {
			err = got.check()
		}
		return got.Held == n, err
	}).WithTemplate("Expected {{.Data.Name}}'s refcount {{.To}} be {{.Data.Want}}, but {{with .Data.Cell}}{{.}} holds{{else}}it is{{end}} {{.Data.Held}}", got)
}

// explain says, in a learner's words, what went wrong in a failed run: which
// read-modify-write of the count was split by another goroutine, and the
// usual reason why it still can be after a fix.
func explain(f *interleave.Failure) string {
	if f == nil {
		return ""
	}
	switch f.Kind {
	case interleave.Deadlock:
		return "deadlock: every goroutine waits for a lock that nobody will release. " +
			"Is every Lock matched by an Unlock on every path (defer o.mu.Unlock() makes sure)? Next: HINTS.md, hint 3."
	case interleave.Panicked:
		return "a goroutine panicked while taking or dropping a reference; the trace below ends where. Next: HINTS.md, hint 3."
	case interleave.DataRace:
		return explainRace(f.Trace)
	case interleave.Broken:
	default:
		return "the run did not finish normally; the message below says why. Next: HINTS.md, hint 3."
	}
	if strings.Contains(f.Message, reportsHeld) {
		return "lost update, hidden rather than fixed: an update of foo's count was lost from foo.refcount, the count the object " +
			"really holds, while RefCount reported a count kept somewhere else (the last lines below). " + reportsHeld + ". Next: HINTS.md, hint 2."
	}
	splits := splitUpdates(f.Trace)
	if len(splits) == 0 {
		return "lost update: foo's count came out wrong; the trace below shows every read and write of it. Next: HINTS.md, hint 1."
	}
	s := splits[0]
	msg := "lost update: " + s.String() + ", so one of the two updates is lost. "
	if vr := valueReceivers(); len(vr) > 0 && hasLockByValue() {
		msg += vr[0] + " has a value receiver: each call locks its own copy of the mutex"
		if len(vr) > 1 {
			msg += " (and so does " + strings.Join(vr[1:], ", ") + ")"
		}
		msg += ", so the lock keeps nobody out. Use pointer receivers: func (o *Object) " + vr[0] + "(). Next: HINTS.md, hint 3."
		return msg
	}
	if n := len(interleavetest.LocksOtherThan(f.Trace, "foo.")); n > 1 {
		return msg + fmt.Sprintf("The calls locked %d different mutexes: the mutex is new on every call (declared inside the method), "+
			"so no two calls ever lock the same one and the lock keeps nobody out. Put the mutex in Object, next to the count it guards: "+
			"mu sync.Mutex // guards refcount. Next: HINTS.md, hint 2.", n)
	}
	for _, b := range splits {
		switch {
		case b.relocked:
			return msg + fmt.Sprintf("%s's %s read the count in one critical section and wrote it back in another: between its Unlock and "+
				"its next Lock, %s's %s got in. Locking the read and the write each on its own is not enough: take the lock once, "+
				"around the Get, the arithmetic and the Set. Next: HINTS.md, hint 3.", b.g, b.fn, b.other.G, b.otherFn)
		case b.lockedLate:
			return msg + fmt.Sprintf("%s read %s -> %d before it took the lock, so the value it wrote back was already stale: "+
				"the read must be inside the lock too. Next: HINTS.md, hint 3.", b.g, b.cell, b.read)
		}
	}
	switch bad := unguarded(); {
	case len(bad) == 2:
		return msg + "Both IncRef and DecRef let another call slip in between reading the count and writing it back. Next: HINTS.md, hint 1."
	case len(bad) == 1:
		good := map[string]string{"IncRef": "DecRef", "DecRef": "IncRef"}[bad[0]]
		return msg + bad[0] + " still lets another call slip in between reading the count and writing it back (" +
			good + " no longer does). Next: HINTS.md, hint 2."
	}
	fns := []string{s.fn}
	if s.otherFn != s.fn {
		fns = append(fns, s.otherFn)
	}
	return msg + strings.Join(fns, " and ") + " must read and write the count with no other call in between. Next: HINTS.md, hint 1."
}

// explainRace says which access of a racy trace was made without the lock,
// and what to do about it.
func explainRace(t interleave.Trace) string {
	const tail = " go test -race reports the same race in the last spec. Next: HINTS.md, hint 2."
	races := t.Races()
	if len(races) == 0 {
		return "data race: see the message below." + tail
	}
	r := races[0]
	bare, other := r.Second, r.First
	if len(r.SecondLocks) > 0 {
		bare, other = r.First, r.Second // the second access was locked: the first was not
	}
	lockedLater := false
	for _, e := range t {
		lockedLater = lockedLater || (e.G == bare.G && e.Step > bare.Step && e.Kind == interleave.Sync && strings.HasPrefix(e.Label, "locks "))
	}
	fn, otherFn := method(bare.At), method(other.At)
	if fn == "RefCount" {
		return fmt.Sprintf("data race: %s's RefCount read foo's count without the lock, while %s's %s wrote it with the lock held: "+
			"nothing orders the two, so RefCount may see half of an update. RefCount must take the lock too.", bare.G, other.G, otherFn) + tail
	}
	if bad := unguarded(); len(bad) == 1 {
		good := map[string]string{"IncRef": "DecRef", "DecRef": "IncRef"}[bad[0]]
		return fmt.Sprintf("data race: %s's %s touched foo's count without the lock, while %s's %s touched it too. %s still lets "+
			"another call slip in between reading the count and writing it back (%s no longer does), so an update can be lost "+
			"(a lost update).", bare.G, fn, other.G, otherFn, bad[0], good) + tail
	}
	if bare.Kind == interleave.Read && lockedLater {
		return fmt.Sprintf("data race: %s's %s read foo's count before it took the lock, so nothing orders that read against %s's %s, "+
			"which writes the count under the lock, and the value written back may already be stale: the read must be inside the lock too.",
			bare.G, fn, other.G, otherFn) + tail
	}
	return fmt.Sprintf("data race: %s's %s touched foo's count without the lock, while %s's %s touched it too: every read and write "+
		"of the count must happen with the object's lock held.", bare.G, fn, other.G, otherFn) + tail
}

// locksHeld returns, for every event of t, how many locks its goroutine
// held when the event happened, read off the trace's Sync events.
func locksHeld(t interleave.Trace) []int {
	held := map[string]int{}
	out := make([]int, len(t))
	for i, e := range t {
		if e.Kind == interleave.Sync {
			switch {
			case strings.HasPrefix(e.Label, "locks "), strings.HasPrefix(e.Label, "write-locks "), strings.HasPrefix(e.Label, "read-locks "):
				held[e.G]++
			case strings.HasPrefix(e.Label, "unlocks "), strings.HasPrefix(e.Label, "write-unlocks "), strings.HasPrefix(e.Label, "read-unlocks "):
				held[e.G]--
			}
		}
		out[i] = held[e.G]
	}
	return out
}

// unguarded returns the methods, of IncRef and DecRef, in which one call can
// slip in between another call's read and write: it explores two goroutines
// calling the same method at once and lists those that lose an update.
func unguarded() []string {
	var out []string
	for _, m := range []struct {
		name string
		call func(*Object)
		want int
	}{
		{"IncRef", func(o *Object) { o.IncRef() }, 3},
		{"DecRef", func(o *Object) { o.DecRef() }, -1},
	} {
		rep := interleave.Explore(interleave.Scenario{
			Name: "two goroutines call " + m.name + " at once",
			Setup: func(r *interleave.Run) {
				foo := NewObject("foo")
				r.Go("A", func() { m.call(foo) })
				r.Go("B", func() { m.call(foo) })
				r.Finally(func() error {
					if n, err := countOf(foo); err != nil || n != m.want {
						return fmt.Errorf("lost update in %s", m.name)
					}
					return nil
				})
			},
		}, interleave.Options{MaxPreemptions: 2})
		if rep.Failure != nil && rep.Failure.Kind == interleave.Broken {
			out = append(out, m.name)
		}
	}
	return out
}

// split is a read-modify-write of a cell that another goroutine's access
// came between.
type split struct {
	g, fn, cell string // who read the cell, in which function
	read, wrote int    // what it read and what it wrote back
	other       interleave.Event
	otherFn     string
	lockedLate  bool // g held no lock when it read, and took one before it wrote
	relocked    bool // g held a lock when it read, let go of it, and locked again before it wrote
}

func (s split) String() string {
	did := fmt.Sprintf("read it too (-> %d)", s.other.Value)
	if s.other.Kind == interleave.Write {
		did = fmt.Sprintf("wrote %d to it", s.other.Value)
	}
	return fmt.Sprintf("%s's %s read %s -> %d, but before it wrote %d back, %s's %s %s",
		s.g, s.fn, s.cell, s.read, s.wrote, s.other.G, s.otherFn, did)
}

// splitUpdates finds every read of a cell that is followed by another
// goroutine's access to the cell before the reader writes it back, and
// what the reader did with its locks in between.
func splitUpdates(t interleave.Trace) []split {
	var out []split
	heldAt := locksHeld(t)
	for i, r := range t {
		if r.Kind != interleave.Read {
			continue
		}
		var other *interleave.Event
		unlocked, locked := false, false
		for j := i + 1; j < len(t); j++ {
			e := t[j]
			if e.G == r.G {
				if e.Kind == interleave.Sync {
					unlocked = unlocked || strings.Contains(e.Label, "unlocks ")
					locked = locked || !strings.Contains(e.Label, "unlocks ")
				}
				if e.Cell != r.Cell {
					continue
				}
				if e.Kind == interleave.Write && other != nil {
					out = append(out, split{g: r.G, fn: method(r.At), cell: r.Cell, read: r.Value, wrote: e.Value,
						other: *other, otherFn: method(other.At),
						lockedLate: heldAt[i] == 0 && locked, relocked: heldAt[i] > 0 && unlocked && locked})
				}
				if e.Kind == interleave.Read || e.Kind == interleave.Write {
					break
				}
			} else if other == nil && e.Cell == r.Cell && (e.Kind == interleave.Read || e.Kind == interleave.Write) {
				other = &t[j]
			}
		}
	}
	return out
}

// method is the name of the method at f, without its receiver: "DecRef"
// for both (*Object).DecRef and Object.DecRef.
func method(f interleave.Frame) string {
	name := f.ShortFunc()
	if i := strings.LastIndex(name, "."); i >= 0 {
		name = name[i+1:]
	}
	return name
}

// valueReceivers lists the reference-counting methods declared on Object
// rather than *Object: each call of those gets its own copy of the object.
func valueReceivers() []string {
	var out []string
	for _, m := range []string{"IncRef", "DecRef", "RefCount"} {
		if _, ok := reflect.TypeFor[Object]().MethodByName(m); ok {
			out = append(out, m)
		}
	}
	return out
}

// hasLockByValue reports whether Object holds a Mutex or RWMutex of the
// kit's sync itself, rather than a pointer to one.
func hasLockByValue() bool {
	t := reflect.TypeFor[Object]()
	if t.Kind() != reflect.Struct {
		return false
	}
	for i := range t.NumField() {
		switch t.Field(i).Type {
		case reflect.TypeFor[kitsync.Mutex](), reflect.TypeFor[kitsync.RWMutex]():
			return true
		}
	}
	return false
}
