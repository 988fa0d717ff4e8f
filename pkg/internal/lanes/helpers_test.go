package lanes_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/gil"
)

// epoch is where the specs' timelines start.
var epoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// events builds a timeline an event at a time, numbering them from 1.
type events struct{ tl gil.Timeline }

// at adds an event of thread at us microseconds after epoch.
func (b *events) at(us int, thread string, kind gil.Kind, other string) *events {
	b.tl.Events = append(b.tl.Events, gil.Event{
		Seq: len(b.tl.Events) + 1, Time: epoch.Add(time.Duration(us) * time.Microsecond),
		Thread: thread, Kind: kind, Other: other,
	})
	return b
}

// hold adds a take by thread at from µs (a switch from prev, "" for none)
// and its release at to µs.
func (b *events) hold(from, to int, thread, prev string) *events {
	return b.at(from, thread, gil.Acquired, prev).at(to, thread, gil.Released, "")
}

// oldGIL is the old GIL's battle in small: A takes the lock and drops and
// retakes it every 50 µs for 40 ms while B waits, B gets it once for 5 ms,
// then A again to 55 ms.
func oldGIL() gil.Timeline {
	b := &events{}
	b.at(0, "A", gil.Acquired, "").at(10, "B", gil.Waiting, "A").at(40, "A", gil.Released, "")
	for t := 50; t < 40_000; t += 50 {
		b.hold(t, t+40, "A", "")
	}
	b.at(40_000, "B", gil.Acquired, "A").at(40_010, "A", gil.Waiting, "B").at(45_000, "B", gil.Released, "")
	return b.hold(45_000, 55_000, "A", "B").checked()
}

// newGIL is the new GIL's battle in small: A and B take 5 ms turns for
// 60 ms, each waiter asking for a drop 5 ms after it began to wait.
func newGIL() gil.Timeline {
	b := &events{}
	b.at(0, "A", gil.Acquired, "").at(10, "B", gil.Waiting, "A")
	holder, waiter := "A", "B"
	for t := 5_000; t <= 60_000; t += 5_000 {
		b.at(t, waiter, gil.Requested, holder)
		b.tl.Events = append(b.tl.Events, gil.Event{Seq: len(b.tl.Events) + 1, Time: epoch.Add(time.Duration(t+100) * time.Microsecond), Thread: holder, Kind: gil.Released, OnRequest: true})
		b.at(t+100, holder, gil.AwaitingSwitch, "")
		b.at(t+100, waiter, gil.Acquired, holder)
		b.at(t+100, holder, gil.Waiting, waiter)
		holder, waiter = waiter, holder
	}
	return b.at(62_000, holder, gil.Released, "").checked()
}

// checked returns the timeline built, which must describe a lock.
func (b *events) checked() gil.Timeline {
	GinkgoHelper()
	Expect(b.tl.Check()).To(Succeed(), "the spec's timeline describes a lock")
	return b.tl
}
