package lab

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/gil"
	"github.com/racekit/racekit/pkg/vm"
)

// The battle and the convoy run CPU-bound bytecode, which never blocks, so
// a testing/synctest bubble's clock could not move while they run: these
// specs run them small, on the real clock, and check their structure only.
var _ = Describe("the battle", func() {
	It("times one thread, then each lock and its longest wait, ratios to one thread, and keeps both timelines", func() {
		res, err := runBattle(context.Background(), Options{}, nil, cpuJob{program: countdownProgram, fn: "countdown", args: []any{20_000}}, 20_000)
		Expect(err).NotTo(HaveOccurred())
		var labels []string
		for _, r := range res.Rows {
			labels = append(labels, r.Label)
			Expect(r.Runtime).To(Equal(VM))
		}
		Expect(labels).To(Equal([]string{battleAlone, battleOld, battleOldWait, battleNew, battleNewWait}))
		Expect(res.Rows[0].Ratio).To(Equal(1.0), "one thread's time is the baseline")
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
		res, err := runConvoy(context.Background(), Options{}, nil, 10*time.Millisecond)
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

	It("fits each row's calls to the budget, five at least", func() {
		Expect(convoyCalls(time.Second, 0)).To(Equal(1000), "alone, a call is 1 ms")
		Expect(convoyCalls(time.Second, 4*time.Millisecond)).To(Equal(200), "a call that waits 4 ms for the GIL takes 5 ms")
		Expect(convoyCalls(100*time.Millisecond, 50*time.Millisecond)).To(Equal(5), "never fewer than five calls")
	})
})

// busyProgram is a CPU-bound thread for fake time: spin(n) calls busy(300)
// n times, and busy(µs) "computes" by sleeping while it holds the GIL:
// inside a testing/synctest bubble bytecode takes no time at all, so
// sleeping with the lock held is how a thread holds it for a while.
// 300 µs steps never end exactly on a 5 ms switch interval, so no two
// timers of the bubble ever fire at once.
var busyProgram = vm.MustAssemble("busy.asm", `
func spin(n)
loop:
    LOAD_CONST 300
    CALL_BUILTIN busy 1
    POP_TOP
    LOAD_FAST n
    LOAD_CONST 1
    BINARY_OP -
    STORE_FAST n
    LOAD_FAST n
    POP_JUMP_IF_TRUE loop
    LOAD_CONST None
    RETURN_VALUE
end
`)

// busy is the builtin busy(µs): it sleeps without letting go of the GIL,
// like C code that computes and never releases the lock.
func busy(t *vm.Thread, args []*vm.Object) (*vm.Object, error) {
	us, err := t.Int(args[0])
	if err != nil {
		return nil, err
	}
	time.Sleep(time.Duration(us) * time.Microsecond)
	return nil, nil
}

var _ = Describe("the battle in fake time", func() {
	// Each thread computes 100 steps of 300 µs, 30 ms, with an eval-breaker
	// check at every instruction, in a testing/synctest bubble: every time
	// below is exact.
	var res Result
	BeforeEach(func() {
		synctest.Test(suiteT, func(*testing.T) {
			var err error
			job := cpuJob{program: busyProgram, fn: "spin", args: []any{100}, builtins: map[string]vm.Builtin{"busy": busy}, checkInterval: 1}
			res, err = runBattle(context.Background(), Options{}, nil, job, 0)
			Expect(err).NotTo(HaveOccurred())
		})
	})
	row := func(label string) Row {
		r, ok := rowOf(res.Rows, label, VM)
		Expect(ok).To(BeTrue(), "the battle has the row %q", label)
		return r
	}

	It("takes 60 ms on one thread and on two, whichever the lock: one thread computes at a time", func() {
		Expect(row(battleAlone).Seconds).To(Equal(0.060), "two jobs of 30 ms one after the other")
		Expect(row(battleNew).Seconds).To(BeNumerically("~", 0.060, 0.0004), "the new GIL's turns add no time but a step's")
		Expect(row(battleOld).Seconds).To(BeNumerically("~", 0.060, 0.0004), "the old GIL's neither")
	})

	It("starves the waiter under the old GIL: the first thread keeps the lock to its end", func() {
		tl := res.Timelines["old GIL"]
		Expect(tl.Check()).To(Succeed())
		// At 0 s both threads start and either may take the lock first and
		// drop it at its first check before any time passes: count the
		// turns in which a thread computed.
		var turns []string
		for _, sp := range tl.Spans() {
			if sp.Duration() > 0 && (len(turns) == 0 || turns[len(turns)-1] != sp.Thread) {
				turns = append(turns, sp.Thread)
			}
		}
		Expect(turns).To(HaveLen(2), "one turn each: the holder takes the lock straight back every time it drops it, until its job is done")
		Expect(row(battleOldWait).Seconds).To(BeNumerically("~", 0.030, 0.0004), "the waiter waited the holder's whole 30 ms")
	})

	It("hands the lock over every switch interval under the new GIL", func() {
		tl := res.Timelines["new GIL"]
		Expect(tl.Check()).To(Succeed())
		var spans []gil.Span // as in the old GIL's spec, leave out a start that took no time
		for _, sp := range tl.Spans() {
			if sp.Duration() > 0 {
				spans = append(spans, sp)
			}
		}
		Expect(len(spans)).To(BeNumerically(">=", 11), "60 ms of turns of about 5 ms: %s", tl.SpanString())
		for _, s := range spans[:len(spans)-2] { // the last two turns end with their jobs
			Expect(s.Duration()).To(Equal(5100*time.Microsecond),
				"a holder gives the lock up at the first check after a waiter asked, 5 ms after it began to wait: the end of the step then running, at 5.1 ms: %s", tl.SpanString())
		}
		Expect(row(battleNewWait).Seconds).To(BeNumerically("~", 0.0051, 0.0004), "no waiter waits longer than one turn")
		Expect(res.Switches["new GIL"]).To(Equal(len(tl.Turns())-1), "a switch between every two turns")
	})
})
