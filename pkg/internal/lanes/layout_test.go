package lanes_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/gil"
	"github.com/racekit/racekit/pkg/internal/lanes"
)

var _ = Describe("lanes.Lay", func() {
	It("gives each thread a lane, in the order the threads first appear", func() {
		l := lanes.Lay(newGIL(), 60*time.Millisecond, 600)
		Expect(l.Lanes).To(HaveLen(2), "A and B")
		Expect(l.Lanes[0].Thread).To(Equal("A"), "A took the lock first")
		Expect(l.Lanes[1].Thread).To(Equal("B"))
		Expect(l.Columns).To(Equal(600))
		Expect(l.Ends).To(Equal(600), "the timeline goes on past the window")
	})

	It("paints each turn of the new GIL where it falls, with the waits, requests and switches between", func() {
		// One column every 100 µs: A holds 0-5.1 ms, B 5.1-10.1 ms, and so on.
		l := lanes.Lay(newGIL(), 20*time.Millisecond, 200)
		a, b := l.Lanes[0], l.Lanes[1]
		Expect(a.Holds).To(Equal([]lanes.Run{{0, 51}, {101, 151}}), "A holds from its take to its drop on request")
		Expect(b.Holds).To(Equal([]lanes.Run{{51, 101}, {151, 200}}), "B's last turn runs to the window's end")
		Expect(b.Waits).To(Equal([]lanes.Run{{0, 51}, {101, 151}}), "B waits from 10 µs until it takes the lock")
		Expect(a.Waits).To(Equal([]lanes.Run{{51, 101}, {151, 200}}), "A waits from its drop on request, through forced switching, to its next take")
		Expect(a.Requests).To(Equal([]int{100}), "A asks for a drop at 10 ms")
		Expect(b.Requests).To(Equal([]int{50, 150}), "B asks at 5 ms and 15 ms")
		Expect(l.Switches).To(Equal([]int{51, 101, 151}), "the lock changes hands at 5.1, 10.1 and 15.1 ms")
	})

	It("merges what is shorter than a column, so the old GIL's thousand retakes are one bar", func() {
		l := lanes.Lay(oldGIL(), 60*time.Millisecond, 60)
		Expect(len(oldGIL().Events)).To(BeNumerically(">", 1500), "A drops and retakes the lock every 50 µs")
		a, b := l.Lanes[0], l.Lanes[1]
		Expect(a.Holds).To(Equal([]lanes.Run{{0, 40}, {45, 55}}), "A's 800 holds before B's turn merge into one run")
		Expect(b.Holds).To(Equal([]lanes.Run{{40, 45}}))
		Expect(b.Waits).To(Equal([]lanes.Run{{0, 40}}), "B waits the first 40 ms")
		Expect(a.Waits).To(Equal([]lanes.Run{{40, 45}}))
		Expect(l.Switches).To(Equal([]int{40, 45}), "the lock changed hands twice")
	})

	It("stops at the window, and says where a shorter timeline ends", func() {
		tl := (&events{}).at(0, "A", gil.Acquired, "").at(1_000, "B", gil.Waiting, "A").at(3_000, "A", gil.Released, "").
			hold(3_000, 4_000, "B", "A").at(9_000, "C", gil.Acquired, "B").checked()
		l := lanes.Lay(tl, 2*time.Millisecond, 20)
		Expect(l.Lanes).To(HaveLen(3), "C has a lane though it first acts after the window")
		Expect(l.Lanes[0].Holds).To(Equal([]lanes.Run{{0, 20}}), "A's hold is cut at the window's end")
		Expect(l.Lanes[1].Waits).To(Equal([]lanes.Run{{10, 20}}), "B's wait too")
		Expect(l.Lanes[1].Holds).To(BeEmpty(), "B's take comes after the window")
		Expect(l.Lanes[2].Holds).To(BeEmpty())
		Expect(l.Switches).To(BeEmpty())
		Expect(l.Ends).To(Equal(20))

		l = lanes.Lay(tl, 20*time.Millisecond, 20)
		Expect(l.Ends).To(Equal(9), "the timeline's last event is at 9 ms")
		Expect(l.Switches).To(Equal([]int{3, 9}))
		Expect(l.Lanes[2].Holds).To(Equal([]lanes.Run{{9, 10}}), "C's take, never released, is drawn where the timeline stops")
	})

	It("lays out an empty timeline as no lanes", func() {
		l := lanes.Lay(gil.Timeline{}, time.Millisecond, 10)
		Expect(l.Lanes).To(BeEmpty())
		Expect(l.Ends).To(BeZero())
	})

	It("panics on a window or a column count that is not positive", func() {
		Expect(func() { lanes.Lay(newGIL(), 0, 10) }).To(PanicWith(ContainSubstring("positive window")))
		Expect(func() { lanes.Lay(newGIL(), time.Millisecond, 0) }).To(PanicWith(ContainSubstring("column count")))
	})
})
