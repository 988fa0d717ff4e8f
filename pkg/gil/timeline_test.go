package gil_test

import (
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/gil"
	"github.com/racekit/racekit/pkg/vm"
)

// epoch is where the hand-made timelines start: the fake clock of a
// testing/synctest bubble starts there too.
var epoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// ev makes an event at ms milliseconds after epoch; Seq is filled in by
// timeline.
func ev(ms float64, thread string, kind gil.Kind, other string) gil.Event {
	return gil.Event{Time: epoch.Add(time.Duration(ms * float64(time.Millisecond))), Thread: thread, Kind: kind, Other: other}
}

// onRequest marks a Released event as a drop on request.
func onRequest(e gil.Event) gil.Event {
	e.OnRequest = true
	return e
}

// timeline numbers the events from 1.
func timeline(events ...gil.Event) gil.Timeline {
	for i := range events {
		events[i].Seq = i + 1
	}
	return gil.Timeline{Events: events}
}

// handOff is the new GIL's hand-off, written out by hand: B waits, asks A
// to drop the GIL after 5 ms, A drops it at 6 ms and waits until B has it;
// B is done at 7 ms, A at 11 ms. The spec of New records the same timeline.
func handOff() gil.Timeline {
	return timeline(
		ev(0, "A", gil.Acquired, ""),
		ev(0, "B", gil.Waiting, "A"),
		ev(5, "B", gil.Requested, "A"),
		onRequest(ev(6, "A", gil.Released, "")),
		ev(6, "A", gil.AwaitingSwitch, ""),
		ev(6, "B", gil.Acquired, "A"),
		ev(6, "A", gil.Waiting, "B"),
		ev(7, "B", gil.Released, ""),
		ev(7, "A", gil.Acquired, "B"),
		ev(11, "A", gil.Released, ""),
	)
}

var _ = Describe("gil.Timeline", func() {
	When("it records the new GIL's hand-off", func() {
		tl := handOff()

		It("passes its own check", func() {
			Expect(tl.Check()).To(Succeed(), "one holder at a time, every release by the holder, the request made by a waiter of the holder")
			Expect(tl).To(BeWellFormed(), "every take is matched by a release")
		})

		It("turns into holding spans that never overlap", func() {
			spans := tl.Spans()
			Expect(spans).To(HaveLen(3), "A, then B, then A again")
			Expect(tl.SpanString()).To(Equal("A [0s, 6ms]  B [6ms, 7ms]  A [7ms, 11ms]"), "each span runs from a take to the holder's release")
			for i := 1; i < len(spans); i++ {
				Expect(spans[i].From).NotTo(BeTemporally("<", spans[i-1].To), "a span starts only after the one before it ended")
			}
			Expect(spans[1].Duration()).To(Equal(time.Millisecond), "B held the GIL from 6 ms to 7 ms")
			Expect(tl.Turns()).To(Equal([]string{"A", "B", "A"}), "the turns are the holders in order")
			Expect(tl.Switches()).To(Equal(2), "the GIL changed hands twice")
		})

		It("renders one numbered event a line, with or without the time", func() {
			Expect(tl.String()).To(Equal(`   1.   0s  A  takes the GIL
   2.   0s  B  waits for the GIL (A holds it)
   3.  5ms  B  asks A to drop the GIL
   4.  6ms  A  drops the GIL on request
   5.  6ms  A  waits until another thread takes the GIL
   6.  6ms  B  takes the GIL from A
   7.  6ms  A  waits for the GIL (B holds it)
   8.  7ms  B  drops the GIL
   9.  7ms  A  takes the GIL from B
  10. 11ms  A  drops the GIL`), "String gives each event's time since the first one")
			Expect(tl.Untimed()).To(HavePrefix("   1. A  takes the GIL\n   2. B  waits for the GIL (A holds it)\n"), "Untimed leaves the times out")
		})

		It("draws a chart of who held the GIL and who waited, one column a millisecond", func() {
			Expect(tl.Chart(time.Millisecond)).To(Equal("A |######.####|\nB |......#    |\n   0s     11ms"),
				"A holds it 0-6 ms and 7-11 ms and waits in between; B waits 0-6 ms and holds it 6-7 ms")
		})
	})

	DescribeTable("rejects a timeline that does not describe a lock",
		func(want string, events ...gil.Event) {
			Expect(timeline(events...).Check()).To(MatchError(ContainSubstring(want)), "Check names the first event that breaks a rule, and the rule")
		},
		Entry("when two threads hold it at once", "A holds the lock: two threads would hold it at once",
			ev(0, "A", gil.Acquired, ""), ev(1, "B", gil.Acquired, "A")),
		Entry("when a thread releases what it does not hold", "A holds the lock, not B: only the holder may release it",
			ev(0, "A", gil.Acquired, ""), ev(1, "B", gil.Released, "")),
		Entry("when the lock changes hands without a switch", "changes hands from A, but the event records no switch",
			ev(0, "A", gil.Acquired, ""), ev(1, "A", gil.Released, ""), ev(1, "B", gil.Acquired, "")),
		Entry("when a switch names the wrong last holder", "records a switch from C, but the last holder was A",
			ev(0, "A", gil.Acquired, ""), ev(1, "A", gil.Released, ""), ev(1, "B", gil.Acquired, "C")),
		Entry("when a thread waits for a free lock", "the holder is nobody: a thread waits only for a lock another thread holds",
			ev(0, "B", gil.Waiting, "A")),
		Entry("when a thread waits twice", "B is waiting already",
			ev(0, "A", gil.Acquired, ""), ev(0, "B", gil.Waiting, "A"), ev(1, "B", gil.Waiting, "A")),
		Entry("when a thread that does not wait asks for a drop", "B is not waiting for the lock: only a waiter asks for a drop",
			ev(0, "A", gil.Acquired, ""), ev(5, "B", gil.Requested, "A")),
		Entry("when the drop is asked of a thread that does not hold the lock", "the holder is A: a drop is asked of the holder",
			ev(0, "A", gil.Acquired, ""), ev(0, "B", gil.Waiting, "A"), ev(5, "B", gil.Requested, "C")),
		Entry("when a thread waits for a switch it was not asked for", "does not follow A's release on request",
			ev(0, "A", gil.Acquired, ""), ev(1, "A", gil.Released, ""), ev(1, "A", gil.AwaitingSwitch, "")),
		Entry("when time goes backwards", "time went backwards",
			ev(2, "A", gil.Acquired, ""), ev(1, "A", gil.Released, "")),
		Entry("when an event has no kind", "unknown kind 0",
			gil.Event{Thread: "A"}),
	)

	It("rejects events numbered out of order", func() {
		tl := handOff()
		tl.Events = tl.Events[1:]
		Expect(tl.Check()).To(MatchError(ContainSubstring("it is event 1 of the timeline")), "events are numbered from 1 in order")
	})

	When("a lock keeps only its first MaxEvents events", func() {
		It("counts the others as omitted and says so", func() {
			lock := &gil.New{MaxEvents: 3}
			interp := vm.New(vm.Config{Lock: lock})
			a, b := interp.NewThread("A"), interp.NewThread("B")
			for _, t := range []*vm.Thread{a, b, a, b} {
				lock.Acquire(t)
				Expect(lock.Release(t)).To(Succeed(), "the holder releases the lock")
			}
			tl := lock.Timeline()
			Expect(tl.Events).To(HaveLen(3), "the first three events are kept")
			Expect(tl.Omitted).To(Equal(5), "eight events happened: the last five are counted, not kept")
			Expect(tl.Untimed()).To(HaveSuffix("  ... and 5 more events, not kept"), "a rendering says that events are missing")
			Expect(lock.Switches()).To(Equal(3), "the lock counts every switch, kept or not")
			Expect(tl.Check()).To(Succeed(), "what is kept is a true beginning of the timeline")
		})

		It("keeps none when MaxEvents is negative, for benchmarks", func() {
			lock := &gil.Old{MaxEvents: -1}
			a := vm.New(vm.Config{Lock: lock}).NewThread("A")
			lock.Acquire(a)
			Expect(lock.Release(a)).To(Succeed(), "the holder releases the lock")
			Expect(lock.Timeline().Events).To(BeEmpty(), "nothing is recorded")
			Expect(lock.Timeline().Untimed()).To(Equal("  (no events)"), "an empty timeline says so")
			Expect(lock.Timeline().Chart(time.Millisecond)).To(BeEmpty(), "and draws nothing")
		})
	})

	When("a lock is printed with fmt", func() {
		It("shows none of its timeline, whose times would tell a spec's fake clock from a real one", func() {
			for _, lock := range []vm.Lock{&gil.Old{}, &gil.New{}} {
				a := vm.New(vm.Config{Lock: lock}).NewThread("A")
				lock.Acquire(a)
				Expect(lock.Release(a)).To(Succeed(), "the holder releases the lock")
				Expect(fmt.Sprintf("%+v", lock)).NotTo(ContainSubstring("events"),
					"a lesson's code may print a lock it holds; the timeline's clock must not come out with it")
			}
		})
	})

	It("names every kind of event", func() {
		for k, name := range map[gil.Kind]string{gil.Acquired: "acquired", gil.Released: "released", gil.Waiting: "waiting",
			gil.Requested: "requested", gil.AwaitingSwitch: "awaiting switch", 0: "kind(0)"} {
			Expect(k.String()).To(Equal(name), "Kind.String names the kind")
		}
	})
})
