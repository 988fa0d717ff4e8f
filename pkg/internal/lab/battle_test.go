package lab

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/gil"
)

// The battle and the convoy run CPU-bound bytecode, which never blocks, so
// a testing/synctest bubble's clock could not move while they run: these
// specs run them small, on the real clock, and check their structure only.
var _ = Describe("the battle", func() {
	It("times each lock and its longest wait, ratios to the old GIL, and keeps both timelines", func() {
		res, err := runBattle(context.Background(), Options{}, nil, 20_000)
		Expect(err).NotTo(HaveOccurred())
		var labels []string
		for _, r := range res.Rows {
			labels = append(labels, r.Label)
			Expect(r.Runtime).To(Equal(VM))
		}
		Expect(labels).To(Equal([]string{battleOld, battleOldWait, battleNew, battleNewWait}))
		Expect(res.Rows[0].Ratio).To(Equal(1.0), "the old GIL's time is the baseline")
		Expect(res.Timelines).To(HaveKey("old GIL"))
		Expect(res.Timelines).To(HaveKey("new GIL"))
		for name, tl := range res.Timelines {
			Expect(tl.Check()).To(Succeed(), "the %s timeline describes a lock", name)
			Expect(tl.Turns()).To(ContainElements("A", "B"), "both threads held the %s", name)
			Expect(res.Switches).To(HaveKeyWithValue(name, tl.Switches()), "the %s's switch count is its timeline's", name)
		}
		Expect(res.Reading).To(ContainSubstring("changed hands"))
	})

	It("measures a waiter's longest wait from its timeline, to its take or to the end", func() {
		t0 := time.Unix(0, 0)
		at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
		tl := gil.Timeline{Events: []gil.Event{
			{Seq: 1, Time: at(0), Thread: "A", Kind: gil.Acquired},
			{Seq: 2, Time: at(1), Thread: "B", Kind: gil.Waiting, Other: "A"},
			{Seq: 3, Time: at(6), Thread: "A", Kind: gil.Released},
			{Seq: 4, Time: at(6), Thread: "B", Kind: gil.Acquired, Other: "A"},
			{Seq: 5, Time: at(7), Thread: "A", Kind: gil.Waiting, Other: "B"},
			{Seq: 6, Time: at(9), Thread: "B", Kind: gil.Released},
		}}
		Expect(longestWait(tl)).To(Equal(5*time.Millisecond), "B waited from 1 ms to 6 ms")
		tl.Events = append(tl.Events, gil.Event{Seq: 7, Time: at(20), Thread: "B", Kind: gil.Acquired})
		Expect(longestWait(tl)).To(Equal(13*time.Millisecond), "A, still waiting at the end, waited from 7 ms to 20 ms")
		Expect(longestWait(gil.Timeline{})).To(BeZero())
	})
})

var _ = Describe("the convoy", func() {
	It("times an I/O call alone, beside a CPU-bound thread under the old GIL and the new one at four intervals", func() {
		res, err := runConvoy(context.Background(), Options{}, nil, 3, 20_000)
		Expect(err).NotTo(HaveOccurred())
		var labels []string
		for _, r := range res.Rows {
			labels = append(labels, r.Label)
			Expect(r.Seconds).To(BeNumerically(">", 0), "%s took some time", r.Label)
		}
		Expect(labels).To(Equal([]string{convoyAlone, convoyOld,
			convoyNew(100 * time.Microsecond), convoyNew(time.Millisecond), convoyNew(5 * time.Millisecond), convoyNew(50 * time.Millisecond)}))
		Expect(labels[2:]).To(Equal([]string{
			"I/O call beside a CPU-bound thread, new GIL at 100µs", "I/O call beside a CPU-bound thread, new GIL at 1ms",
			"I/O call beside a CPU-bound thread, new GIL at 5ms", "I/O call beside a CPU-bound thread, new GIL at 50ms"}))
		Expect(res.Rows[0].Ratio).To(Equal(1.0), "the call alone is the baseline")
		Expect(res.Rows[0].Seconds).To(BeNumerically(">=", 0.001), "a call sleeps 1 ms at least")
		Expect(res.Reading).To(ContainSubstring("switch interval"))
	})
})
