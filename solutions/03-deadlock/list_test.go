package deadlock

import (
	"embed"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gcustom"
	"github.com/onsi/gomega/types"

	"github.com/racekit/racekit/pkg/interleave"
	"github.com/racekit/racekit/pkg/interleave/interleavetest"
)

// lessonCode is the package's files as compiled into this test binary.
//
//go:embed *.go
var lessonCode embed.FS

// The specs are Ordered: once a controlled spec has failed, the free-running
// hammer at the end is skipped, because code that can deadlock under the
// scheduler would hang there for real.
var _ = Describe("Lists that each have their own lock", Ordered, func() {
	It("uses the kit's sync, which the scheduler sees", func() {
		Expect(lessonCode).To(interleavetest.UseTheKitsSync(),
			"the specs look for the AB-BA deadlock by stopping a goroutine at each Lock and Unlock and letting another one run; "+
				"they can only do that with the kit's sync. Change the import line of list.go and keep writing sync.Mutex. Next: HINTS.md, hint 1.")
		// The same, seen in what the code does: with the standard library's
		// sync, B's Move waits for foo's lock inside sync.Mutex.Lock, which
		// the scheduler sees only in a goroutine dump.
		res, err := interleave.Replay("A B", lenWhileMoving())
		Expect(err).NotTo(HaveOccurred(), "the spec's own schedule must parse")
		Expect(stdSyncWaits(res.Trace)).To(BeEmpty(), func() string {
			return "the lesson's code uses the standard library's sync: a goroutine waited for a lock that the scheduler cannot see (\"blocks in sync...\" below), " +
				"so it cannot tell whose turn it is or who holds what. In list.go, import \"github.com/racekit/racekit/pkg/sync\" instead " +
				"and keep writing sync.Mutex: the scheduler sees every Lock and Unlock of the kit's sync. Next: HINTS.md, hint 1.\n" +
				res.String()
		})
	})

	When("one goroutine moves items", func() {
		It("takes one item off src and appends it to dst", func() {
			var moved bool
			res, err := interleave.Replay("A", alone("A moves an item from foo (3 items) to bar (1 item)",
				func(foo, bar *List) { moved = Move(foo, bar) },
				func(foo, bar *List) error {
					if !moved {
						return errors.New("Move(foo, bar) reported false, but foo had 3 items")
					}
					return nil
				}, wantItems{"foo", 3, 2}, wantItems{"bar", 1, 2}))
			Expect(err).NotTo(HaveOccurred())
			Expect(res).To(interleavetest.Pass(), explainAlone(res.Failure, "Move must take exactly one item off src and append exactly one to dst, and say so by returning true."))
			for _, cell := range []string{"foo.items", "bar.items"} {
				Expect(res.Trace).To(interleavetest.ShowUpdatesOf(cell), "keep the count in its interleave.Int so the scheduler can see each read and write: "+
					"a plain int or an atomic hides the interleavings this lesson is about. Next: HINTS.md, hint 1.")
			}
		})

		It("reports false and changes nothing when src is empty", func() {
			var moved bool
			res, err := interleave.Replay("A", alone("A tries to move an item from baz (empty) to foo (1 item)",
				func(baz, foo *List) { moved = Move(baz, foo) },
				func(baz, foo *List) error {
					if moved {
						return errors.New("Move(baz, foo) reported true, but baz was empty")
					}
					return nil
				}, wantItems{"baz", 0, 0}, wantItems{"foo", 1, 1}))
			Expect(err).NotTo(HaveOccurred())
			Expect(res).To(interleavetest.Pass(), explainAlone(res.Failure, "a Move from an empty list must report false and leave both lists as they were."))
		})

		It("moves items until src runs out", func() {
			var first, second, third bool
			res, err := interleave.Replay("A", alone("A moves three times from foo (2 items) to bar (empty)",
				func(foo, bar *List) { first, second, third = Move(foo, bar), Move(foo, bar), Move(foo, bar) },
				func(foo, bar *List) error {
					if !first || !second || third {
						return fmt.Errorf("the three Moves reported %v, %v, %v; want true, true, false: foo had 2 items", first, second, third)
					}
					return nil
				}, wantItems{"foo", 2, 0}, wantItems{"bar", 0, 2}))
			Expect(err).NotTo(HaveOccurred())
			Expect(res).To(interleavetest.Pass(), explainAlone(res.Failure, "each Move takes one item, and the first Move that finds src empty reports false."))
		})

		It("leaves a list as it is when src and dst are the same list, without waiting for itself", func() {
			var full, empty bool
			res, err := interleave.Replay("A", alone("A moves an item from foo (2 items) to foo, then from baz (empty) to baz",
				func(foo, baz *List) { full, empty = Move(foo, foo), Move(baz, baz) },
				func(foo, baz *List) error {
					if !full || empty {
						return fmt.Errorf("Move(foo, foo) reported %v and Move(baz, baz) %v; want true (foo has an item) and false (baz has none)", full, empty)
					}
					return nil
				}, wantItems{"foo", 2, 2}, wantItems{"baz", 0, 0}))
			Expect(err).NotTo(HaveOccurred())
			Expect(res).To(interleavetest.Pass(), func() string {
				if res.Failure != nil && res.Failure.Kind == interleave.Deadlock {
					return "deadlock: Move(foo, foo) waits for a lock that it holds itself. A sync.Mutex is not reentrant: " +
						"when src and dst are the same list, lock it once (keep the starter's `if src == dst` case, " +
						"or use one lock for every list). Next: HINTS.md, hint 3."
				}
				return "Move(foo, foo) takes an item off foo and puts it straight back: foo is unchanged, and Move reports whether foo had an item. Next: HINTS.md, hint 3."
			})
		})

		It("names the list and its cell after the name it was given", func() {
			foo := NewList("foo", 0)
			Expect(foo.Name()).To(Equal("foo"), "Name returns the name given to NewList; a lock order by name depends on it.")
			res, err := interleave.Replay("A", alone("A reads the lengths of foo (empty) and bar (5 items)",
				func(foo, bar *List) {}, nil, wantItems{"foo", 0, 0}, wantItems{"bar", 5, 5}))
			Expect(err).NotTo(HaveOccurred())
			Expect(res).To(interleavetest.Pass(), explainAlone(res.Failure, "Len reports how many items a list holds."))
			Expect(res.Trace).To(ContainElement(HaveField("Cell", "bar.items")),
				"Len must read the count from the list's interleave.Int, named \"<name>.items\", so the scheduler can see each read. Next: HINTS.md, hint 1.")
		})
	})

	When("A moves an item from foo to bar while B moves one from bar to foo", func() {
		It("cannot deadlock in the AB-BA trace", func() {
			// Two Moves take a few dozen steps; a thousand is a livelock.
			res, err := interleave.Replay(abbaSchedule, abbaDeadlock(), interleave.Options{MaxSteps: 1000})
			Expect(err).NotTo(HaveOccurred(), "the spec's own schedule must parse")
			Expect(res).To(interleavetest.Pass(), func() string {
				if res.Failure != nil && res.Failure.Kind == interleave.Deadlock {
					return "deadlock: " + lockCycle(res.Trace) + ". Each one holds the lock the other needs, so neither " +
						"will ever go on. Two Moves in opposite directions take the same two locks in opposite orders; " +
						"every Move must take them in one global order, whichever list is src (or all lists must share " +
						"one lock). Next: HINTS.md, hint 1."
				}
				if res.Failure != nil && res.Failure.Kind == interleave.Livelock {
					return livelock
				}
				return "the AB-BA trace no longer deadlocks, but Move broke one of its promises (below). Next: HINTS.md, hint 2."
			})
			for _, note := range res.Notes {
				fmt.Fprintf(GinkgoWriter, "the AB-BA deadlock can no longer happen: %s\n", note)
			}
		})
	})

	When("A and B move items both ways and try the empty list baz", func() {
		It("never deadlocks, loses or duplicates an item, in any schedule", func() {
			// Schedules with 0 preemptions are tried first, then 1, and so
			// on: a lock left held on the early return shows with none, the
			// AB-BA deadlock with 1. The bound of 10 is more than the
			// solution's schedules need, so its exploration is exhaustive, as
			// the report entry says.
			rep := interleave.Explore(shuffle(), interleave.Options{MaxPreemptions: 10})
			interleavetest.ReportExploration(rep)
			Expect(rep).To(interleavetest.Pass(), func() string {
				switch {
				case rep.Failure == nil:
					return ""
				case rep.Failure.Kind == interleave.Deadlock && rep.Preemptions == 0:
					return "deadlock: no goroutine was interrupted (each ran until it finished or had to wait), and still " +
						lockCycle(rep.Failure.Trace) + ". A lock was taken and not released on every path: look at the " +
						"early return for an empty list (defer the Unlock right after the Lock). Next: HINTS.md, hint 3."
				case rep.Failure.Kind == interleave.Deadlock:
					return "deadlock: " + lockCycle(rep.Failure.Trace) + ": some Moves still take their two locks in " +
						"different orders. Every Move must take the locks in one global order (or all lists must share " +
						"one lock). Next: HINTS.md, hint 2."
				case rep.Failure.Kind == interleave.Livelock:
					return livelock
				}
				return "no deadlock, but Move broke one of its promises (below). Next: HINTS.md, hint 2."
			})
		})
	})

	When("C looks at foo and then at bar while A moves foo's only item to bar", func() {
		It("never lets C see the item in neither list, in any schedule", func() {
			rep := interleave.Explore(inTransit(), interleave.Options{MaxPreemptions: 10})
			interleavetest.ReportExploration(rep)
			Expect(rep).To(interleavetest.Pass(), func() string {
				switch {
				case rep.Failure == nil:
					return ""
				case rep.Failure.Kind == interleave.Deadlock:
					return "deadlock: " + lockCycle(rep.Failure.Trace) + ", and nobody will let go. Next: HINTS.md, hint 3."
				case tookApart(untilWrite(rep.Failure.Trace, "A", "bar.items"), "A", "foo.mu", "bar.mu"):
					// Up to the moment A's Move put the item in bar: after
					// it, A's Lens at the finish line take the locks too.
					return "A's Move let go of foo.mu before it took bar.mu, so it never held both locks: in between, the " +
						"item had left foo and not reached bar, in neither list, where C could see it (below). Holding one lock at a time " +
						"cannot deadlock, but it splits one move into two critical sections. Move must hold both locks " +
						"from taking the item off src until the item is in dst, taking them in one global order. " +
						"Next: HINTS.md, hint 2."
				}
				return "no goroutine may see a Move half done: Len must take the lock that Move holds for that list " +
					"(with one lock for all lists, that one lock), and Move must hold it from taking the item off src " +
					"until the item is in dst. Next: HINTS.md, hint 2."
			})
		})
	})

	When("eight goroutines move items among three lists at will while two read their lengths", func() {
		It("keeps every item in exactly one list", func() {
			const total = 8
			lists := []*List{NewList("foo", 4), NewList("bar", 4), NewList("baz", 0)}
			initial := []int{4, 4, 0}
			const movers, moves, readers = 8, 1000, 2
			// out[g][i] and in[g][i]: items goroutine g moved out of and into lists[i].
			out, in := make([][3]int, movers), make([][3]int, movers)
			var badReads atomic.Int64
			// Goroutines 0 to movers-1 move items, the others read lengths.
			err := interleavetest.Hammer{Goroutines: movers + readers, Iterations: moves}.Run(func(g, j int) {
				if g >= movers {
					if n := lists[j%3].Len(); n < 0 || n > total {
						badReads.Add(1)
					}
					return
				}
				step := 1 + g%2 // even goroutines move foo->bar->baz->foo, odd ones the other way
				s := (g + j) % 3
				d := (s + step) % 3
				if j%7 == 0 {
					d = s
				}
				if Move(lists[s], lists[d]) && s != d {
					out[g][s]++
					in[g][d]++
				}
			})
			Expect(err).NotTo(HaveOccurred(), func() string {
				if he := (*interleavetest.HammerError)(nil); errors.As(err, &he) && he.Hung {
					return "deadlock: the hammer's goroutines probably deadlocked: two Moves took the same two locks in opposite " +
						"orders, or a lock was not released on every path. Next: HINTS.md, hint 2."
				}
				return "every Move and every Len must return to its caller. Next: HINTS.md, hint 2."
			})
			// The bound only stops a hang: a lock left locked would make Len wait for ever.
			var counts []listCount
			if !interleavetest.Returns(func() {
				for _, l := range lists {
					counts = append(counts, listCount{l.Name(), l.Len()})
				}
			}) {
				Fail(fmt.Sprintf("deadlock: Len did not return within %g s after every Move had returned: a lock was not released "+
					"on every path. Next: HINTS.md, hint 2.", interleavetest.HangBound.Seconds()))
			}
			Expect(badReads.Load()).To(BeZero(), "Len returned a count below 0 or above %d while items were moving: a count was read without the lock that guards it.", total)
			for i, c := range counts {
				want := initial[i]
				for g := range movers {
					want += in[g][i] - out[g][i]
				}
				Expect(c).To(HaveItems(want), "lost update: with goroutines really running at once, the items moved in and out "+
					"of %s do not add up, so an item was lost or duplicated. Every read and write of a count must happen "+
					"while holding the lock that guards it (`go test -race` may have reported the unguarded access above). "+
					"Next: HINTS.md, hint 2.", c.Name)
			}
		})
	})
})

// livelock explains a run that never finished: a Move that lets go and
// tries again, which no schedule is bound to let through.
const livelock = "livelock: a Move kept letting go of its lock and trying again, and never got through, because the other " +
	"goroutine never ran in between. Nothing in such code makes a retry succeed: whether it ever does is up to the " +
	"Go runtime's scheduling. Take the two locks in one global order instead: a Move then waits for the lock it needs " +
	"and always gets it. Next: HINTS.md, hint 2."

// abbaSchedule replays the AB-BA deadlock. A goroutine's first step starts
// it and stops it at its first Lock; each step after that takes one
// operation (a Lock, a read of a count) and stops at the next. A and B
// start; A locks foo and B locks bar; B reads bar's count and asks for
// foo's lock; A reads foo's count and asks for bar's lock.
const abbaSchedule = "A B A B*2 A"

// abbaDeadlock is the source material's scenario: with a lock per object, two threads
// that each need two objects can take them in opposite orders.
func abbaDeadlock() interleave.Scenario {
	return interleave.Scenario{
		Name: "the AB-BA deadlock: A moves an item from foo to bar while B moves one from bar to foo (each holds 1 item)",
		Goal: "deadlock the two moves: each holds one list's lock and waits for the other's",
		Setup: func(r *interleave.Run) {
			foo, bar := newList(r, "foo", 1), newList(r, "bar", 1)
			end := newFinishLine(2, foo, bar)
			var movedA, movedB bool
			r.Go("A", func() { movedA = Move(foo, bar); end.cross() })
			r.Go("B", func() { movedB = Move(bar, foo); end.cross() })
			r.Finally(func() error {
				var broken []error
				if !movedA {
					broken = append(broken, errors.New("A's Move(foo, bar) reported false, but foo had an item for it: only A takes items from foo"))
				}
				if !movedB {
					broken = append(broken, errors.New("B's Move(bar, foo) reported false, but bar had an item for it: only B takes items from bar"))
				}
				broken = append(broken, end.check(wantItems{"foo", 1, 1}, wantItems{"bar", 1, 1}))
				return errors.Join(broken...)
			})
		},
	}
}

// lenWhileMoving has A read foo's length while B moves foo's item to bar:
// with the code's lock A stops holding foo's lock, and B asks for it.
func lenWhileMoving() interleave.Scenario {
	return interleave.Scenario{
		Name: "A reads foo's length while B moves foo's only item to bar",
		Setup: func(r *interleave.Run) {
			foo, bar := newList(r, "foo", 1), newList(r, "bar", 0)
			r.Go("A", func() { foo.Len() })
			r.Go("B", func() { Move(foo, bar) })
		},
	}
}

// shuffle has the AB-BA pair and then a Move from an empty list on each
// side, so a lock that is not released on the early return stays held.
func shuffle() interleave.Scenario {
	return interleave.Scenario{
		Name: "A moves foo->bar then tries baz->foo, B moves bar->foo then tries baz->bar (foo and bar hold 1 item each, baz is empty)",
		Setup: func(r *interleave.Run) {
			foo, bar, baz := newList(r, "foo", 1), newList(r, "bar", 1), newList(r, "baz", 0)
			end := newFinishLine(2, foo, bar, baz)
			var a1, a2, b1, b2 bool
			r.Go("A", func() { a1 = Move(foo, bar); a2 = Move(baz, foo); end.cross() })
			r.Go("B", func() { b1 = Move(bar, foo); b2 = Move(baz, bar); end.cross() })
			r.Finally(func() error {
				var broken []error
				if !a1 {
					broken = append(broken, errors.New("A's Move(foo, bar) reported false, but foo had an item for it: only A takes items from foo"))
				}
				if !b1 {
					broken = append(broken, errors.New("B's Move(bar, foo) reported false, but bar had an item for it: only B takes items from bar"))
				}
				if a2 {
					broken = append(broken, errors.New("A's Move(baz, foo) reported true, but baz is empty and nobody adds to it"))
				}
				if b2 {
					broken = append(broken, errors.New("B's Move(baz, bar) reported true, but baz is empty and nobody adds to it"))
				}
				broken = append(broken, end.check(wantItems{"foo", 1, 1}, wantItems{"bar", 1, 1}, wantItems{"baz", 0, 0}))
				return errors.Join(broken...)
			})
		},
	}
}

// inTransit checks that Move is one step for everyone else: C can see the
// item in foo or in bar, never in neither.
func inTransit() interleave.Scenario {
	return interleave.Scenario{
		Name: "C reads foo's length, then bar's, while A moves foo's only item to bar",
		Setup: func(r *interleave.Run) {
			foo, bar := newList(r, "foo", 1), newList(r, "bar", 0)
			end := newFinishLine(2, foo, bar)
			var moved bool
			f, b := -1, -1
			r.Go("A", func() { moved = Move(foo, bar); end.cross() })
			r.Go("C", func() { f = foo.Len(); b = bar.Len(); end.cross() })
			r.Finally(func() error {
				var broken []error
				if !moved {
					broken = append(broken, errors.New("A's Move(foo, bar) reported false, but foo had an item for it"))
				}
				if f == 0 && b == 0 {
					broken = append(broken, errors.New("C found foo empty and then bar empty: the item had left foo but had not reached bar, so for a while it was in neither list"))
				}
				broken = append(broken, end.check(wantItems{"foo", 1, 0}, wantItems{"bar", 0, 1}))
				return errors.Join(broken...)
			})
		},
	}
}

// alone is a scenario in which one goroutine, A, uses two fresh lists named
// after x and y: it runs use, then reads both lengths. check (which may be
// nil) and the expected lengths are checked at the end.
func alone(name string, use func(l1, l2 *List), check func(l1, l2 *List) error, x, y wantItems) interleave.Scenario {
	return interleave.Scenario{
		Name: name,
		Setup: func(r *interleave.Run) {
			l1, l2 := newList(r, x.name, x.before), newList(r, y.name, y.before)
			end := newFinishLine(1, l1, l2)
			r.Go("A", func() { use(l1, l2); end.cross() })
			r.Finally(func() error {
				var broken []error
				if check != nil {
					broken = append(broken, check(l1, l2))
				}
				broken = append(broken, end.check(x, y))
				return errors.Join(broken...)
			})
		},
	}
}

// newList makes a list for a scenario with NewList and names it for the
// trace, so that its lock shows as "foo.mu" whatever its field is called.
func newList(r *interleave.Run, name string, items int) *List {
	l := NewList(name, items)
	r.Name(l, name)
	return l
}

// wantItems is a list's name, its count when created and its count expected
// at the end of a scenario.
type wantItems struct {
	name          string
	before, after int
}

// finishLine lets the last goroutine of a scenario to finish read every
// list's length. It does so under the scheduler, so a lock that was never
// released shows up as a deadlock in the trace instead of hanging the suite.
type finishLine struct {
	left  atomic.Int32
	lists []*List
	lens  []int // what the last goroutine read, in the order of lists
}

func newFinishLine(goroutines int, lists ...*List) *finishLine {
	f := &finishLine{lists: lists}
	f.left.Store(int32(goroutines))
	return f
}

// cross marks the calling goroutine as finished; the last one reads the
// lengths.
func (f *finishLine) cross() {
	if f.left.Add(-1) == 0 {
		for _, l := range f.lists {
			f.lens = append(f.lens, l.Len())
		}
	}
}

// check compares the lengths read at the end with want (in the order of the
// lists), saying first whether items were lost or duplicated.
func (f *finishLine) check(want ...wantItems) error {
	if len(f.lens) != len(want) {
		return fmt.Errorf("the lengths were not read at the end (%d of %d)", len(f.lens), len(want))
	}
	var got, had, have []string
	before, after := 0, 0
	for i, w := range want {
		if f.lens[i] < 0 {
			return fmt.Errorf("%s holds %d items: a count can never be negative", w.name, f.lens[i])
		}
		before += w.before
		after += f.lens[i]
		got = append(got, fmt.Sprintf("%s %d", w.name, f.lens[i]))
		had = append(had, fmt.Sprintf("%s %d", w.name, w.after))
		have = append(have, fmt.Sprintf("%s %d", w.name, w.before))
	}
	switch {
	case after < before:
		return fmt.Errorf("the lists hold %s: %s in all, but there were %d (%s): an item was lost, a lost update: one goroutine's write of a count overwrote another's",
			strings.Join(got, ", "), nItems(after), before, strings.Join(have, ", "))
	case after > before:
		return fmt.Errorf("the lists hold %s: %s in all, but there were %d (%s): an item was duplicated, a lost update: one goroutine's write of a count overwrote another's",
			strings.Join(got, ", "), nItems(after), before, strings.Join(have, ", "))
	}
	for i, w := range want {
		if f.lens[i] != w.after {
			return fmt.Errorf("the lists hold %s, but after these moves they should hold %s", strings.Join(got, ", "), strings.Join(had, ", "))
		}
	}
	return nil
}

// nItems says "1 item" or "n items".
func nItems(n int) string {
	if n == 1 {
		return "1 item"
	}
	return fmt.Sprintf("%d items", n)
}

// listCount is a list's name and the length read from it.
type listCount struct {
	Name string
	N    int
}

// HaveItems succeeds for a listCount of n items.
func HaveItems(n int) types.GomegaMatcher {
	return gcustom.MakeMatcher(func(c listCount) (bool, error) {
		return c.N == n, nil
	}).WithTemplate("{{.Actual.Name}} holds {{.Actual.N}} items, but the items moved in and out of it leave {{.Data}}", n)
}
