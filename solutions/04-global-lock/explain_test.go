package globallock

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/onsi/gomega/gcustom"
	"github.com/onsi/gomega/types"

	"github.com/racekit/racekit/pkg/interleave"
	"github.com/racekit/racekit/pkg/vm"
)

// This file holds the specs' diagnostics: what a failed run shows, in the
// lesson's words, and the matchers the specs read with.

// stuckPhrase starts the description of a run in which a thread never came
// back to the scheduler.
const stuckPhrase = "a thread kept running without ever coming back to the scheduler"

// livelockPhrase starts the description of a run that went on for more
// steps than a correct lock needs because a thread waited without blocking.
const livelockPhrase = "a thread waiting in Acquire spins"

// recordOwner says where a lock records its owner.
const recordOwner = "Record the owner once the lock is yours (after any wait in Acquire), clear it in Release, and change it nowhere else."

var touchedWithout = regexp.MustCompile(`object (\S+) touched by thread (\S+) without holding the GIL(?: \(thread (\S+) holds it\))?`)

// explain is the teaching description of a failed run: what the lock let
// happen, in the lesson's words, and where to look next.
func explain(f *interleave.Failure) string {
	if f == nil {
		return ""
	}
	var msg string
	switch f.Kind {
	case interleave.Panicked:
		p := panicOf(f.Trace)
		switch m := touchedWithout.FindStringSubmatch(p); {
		case m != nil && m[3] != "":
			msg = fmt.Sprintf("global interpreter lock: two threads held it at once. %[3]s's Acquire returned while %[2]s still held the lock "+
				"and was in the middle of running bytecode, so the VM took %[3]s for the holder, and its debug check stopped %[2]s at its "+
				"next touch of %[1]s. Acquire must block while another thread holds the lock.", m[1], m[2], m[3])
			if w, ok := wokenIn(f.Trace); ok {
				msg += " " + w.String()
			} else {
				msg += " Next: HINTS.md, hint 1."
			}
		case m != nil:
			msg = fmt.Sprintf("global interpreter lock: two threads held it at once. Another thread's Acquire returned while %[2]s still held "+
				"the lock and was in the middle of running bytecode; that thread ran, released the lock, and the VM's debug check stopped %[2]s "+
				"at its next touch of %[1]s, which it made without the lock. Acquire must block while another thread holds the lock.", m[1], m[2])
			if w, ok := wokenIn(f.Trace); ok {
				msg += " " + w.String()
			} else {
				msg += " Next: HINTS.md, hint 1."
			}
		case strings.Contains(p, "could not release the GIL"):
			if w, ok := wokenIn(f.Trace); ok {
				msg = "global interpreter lock: two threads held it at once, and in the end the lock would not let one of them release it. " + w.String()
			} else if lr, ok := findLateRelease(f.Trace); ok {
				msg = lr.explain(f.Trace, panicked(f.Trace))
			} else if o := overlapped(f.Trace); o != "" {
				msg = "global interpreter lock: two threads ran bytecode at once. " + o + ", and in the end " +
					"the lock would not let one of them release it. Acquire must block while another thread holds the lock. Next: HINTS.md, hint 1."
			} else {
				msg = "global interpreter lock: the thread that holds it could not release it, because the lock had not recorded it as its owner: " +
					"it named another thread, or nobody. Either the owner is written at the wrong moment, or a second thread took the lock while " +
					"this one held it (a thread woken in Acquire must look again whether the lock is free: wait in a for loop, not behind an if). " +
					recordOwner + " Next: HINTS.md, hint 2."
			}
		case strings.Contains(p, "unlock of unlocked"):
			msg = "global interpreter lock: Release unlocked a lock that nobody held: it must check the holder before anything else, also while " +
				"the GIL is free, and a Release by a thread that does not hold the GIL (nobody does) must change nothing. Outside the specs' " +
				"scheduler this is a fatal error that ends the whole program. Next: HINTS.md, hint 3."
		case strings.Contains(p, "used after it was freed"), strings.Contains(p, "freed twice"):
			msg = "global interpreter lock: two threads ran bytecode at once, and between them they freed an object that was still in use. " +
				"Acquire must block while another thread holds the lock. Next: HINTS.md, hint 1."
		default:
			msg = "global interpreter lock: a thread panicked while the lock was in use; the trace below ends where. Next: HINTS.md, hint 3."
		}
	case interleave.Deadlock:
		if e, ok := holderWait(f.Trace); ok {
			msg = fmt.Sprintf("global interpreter lock: Holder waits for the GIL itself: %[1]s's Holder %[2]s, and that lock stays locked for "+
				"as long as a thread holds the GIL. A thread that asks Holder while it holds the GIL (a builtin asking who runs, from running "+
				"bytecode) waits for itself, for ever, and any other thread waits until the GIL is free, to hear \"nobody\". Holder must "+
				"only read the note of who holds the GIL, under a small lock that is held for a moment (or from an atomic), and never "+
				"take the lock that a thread keeps while it runs. Next: HINTS.md, hint 2.", e.G, e.Label)
			break
		}
		msg = "global interpreter lock: deadlock. Every thread left waits for the lock and none will ever get it, although no thread is " +
			"running bytecode: a Release did not let go of the lock, or did not wake a thread waiting in Acquire. Next: HINTS.md, hint 3."
	case interleave.Stuck:
		msg = "global interpreter lock: " + stuckPhrase + ". Does Acquire spin in a loop " +
			"while the lock is taken? A waiting thread must block (in sync.Mutex.Lock, a channel receive or sync.Cond.Wait), so that " +
			"the holder can run and let go. Next: HINTS.md, hint 3."
	case interleave.Livelock:
		msg = "global interpreter lock: livelock: " + livelockPhrase + ", trying again and again without ever blocking, so " +
			"the scheduler never sees it wait, and a schedule that keeps running it never ends. A waiting thread must block (in " +
			"sync.Mutex.Lock, a channel receive or sync.Cond.Wait), so that the holder can run and let go; a spinning one burns a " +
			"processor the holder may need. Next: HINTS.md, hint 3."
	default:
		if s := splitUpdates(f.Trace); len(s) > 0 && overlapped(f.Trace) != "" {
			msg = "global interpreter lock: two threads ran bytecode at once. " + s[0].String() + ", so one of the two updates is lost. " +
				"Between a thread's Acquire and its Release no other thread may run bytecode: Acquire must block while another thread " +
				"holds the lock. Next: HINTS.md, hint 1."
		} else {
			msg = "global interpreter lock: the lock broke a promise; the lines after the trace say which. Next: HINTS.md, hint 2."
		}
	}
	if vr := valueReceivers(); len(vr) > 0 {
		msg += fmt.Sprintf(" Also: %s has a value receiver, so each call works on its own copy of the GIL (its lock and its holder included), "+
			"and the copy keeps nobody out. Use pointer receivers: func (g *GIL) %s(...).", vr[0], vr[0])
	}
	return msg
}

// explainOwner is the teaching description of a failed run of the specs
// about the lock's owner; hint is the hint that helps.
func explainOwner(f *interleave.Failure, hint int) string {
	if f == nil {
		return ""
	}
	if f.Kind != interleave.Broken {
		return explain(f)
	}
	if lr, ok := findLateRelease(f.Trace); ok && strings.Contains(f.Message, "Holder returned nobody") {
		return lr.explain(f.Trace, "")
	}
	return fmt.Sprintf("global interpreter lock: the lock does not keep track of its owner as it must; the lines below say how. "+
		"Next: HINTS.md, hint %d.", hint)
}

// explainHammerPanic is the teaching description of a panic of a thread
// that ran freely, with no scheduler to print the interleaving.
func explainHammerPanic(thread string, p any) string {
	s := fmt.Sprint(p)
	switch {
	case strings.Contains(s, "could not release the GIL"):
		return fmt.Sprintf("global interpreter lock: with threads really running at once, thread %s could not release the GIL it held (%s). "+
			"The lock had lost track of its owner: while %s held the GIL, another thread's Acquire or Release changed the holder, "+
			"and now no thread can release the GIL: every other thread waits for it for ever. %s Clear the holder in the same "+
			"critical section that lets go of the GIL. Next: HINTS.md, hint 2.", thread, s, thread, recordOwner)
	case touchedWithout.MatchString(s):
		return fmt.Sprintf("global interpreter lock: with threads really running at once, two threads held it at once, and the VM's debug "+
			"check stopped thread %s (%s). Acquire must block while another thread holds the lock. Next: HINTS.md, hint 1.", thread, s)
	}
	return fmt.Sprintf("global interpreter lock: with threads really running at once, thread %s panicked: %s. Next: HINTS.md, hint 3.", thread, s)
}

// lateRelease is a Release that went on after another thread's Acquire
// had returned: it still changed the lock's state after the GIL had become
// another thread's.
type lateRelease struct {
	releaser, taker string
	letGo           int   // the releaser's last operation before the taker's Acquire got anywhere
	took            []int // the taker's operations in Acquire after letGo
	went            int   // the taker's first event past its Acquire
	late            []int // the releaser's operations in that Release after went
}

// findLateRelease finds the first Release in t that let another thread's
// Acquire return and then went on operating on the kit's sync: a Release
// that lets go of the GIL in one critical section and is not done with it.
func findLateRelease(t interleave.Trace) (lateRelease, bool) {
	for i, x := range t {
		if doing(x) != "Release" || (previous(t, i) >= 0 && doing(t[previous(t, i)]) == "Release") {
			continue // not the first event of a Release
		}
		end := i
		for j := i + 1; j < len(t); j++ {
			if t[j].G != x.G {
				continue
			}
			if doing(t[j]) != "Release" {
				break
			}
			end = j
		}
		for k := i + 1; k < end; k++ {
			y := t[k]
			if y.G == x.G || doing(y) != "Acquire" || y.Kind != interleave.Sync {
				continue
			}
			// y's Acquire got somewhere at k: after x had let go, if x
			// had done anything in this Release yet.
			lr := lateRelease{releaser: x.G, taker: y.G, letGo: -1, went: -1}
			for j := i; j < k; j++ {
				if t[j].G == x.G && t[j].Kind == interleave.Sync {
					lr.letGo = j
				}
			}
			if lr.letGo >= 0 && !lettingGo(t[lr.letGo]) {
				lr.letGo = -1 // y did not get in because of x
			}
			for m := k; m >= 0 && m < end; m = next(t, m) {
				if doing(t[m]) != "Acquire" {
					lr.went = m
					break
				}
				if t[m].Kind == interleave.Sync {
					lr.took = append(lr.took, m)
				}
			}
			if lr.letGo < 0 || lr.went < 0 {
				break // x had not let go, or y's Acquire had not returned before x's Release ended
			}
			for n := lr.went + 1; n <= end; n++ {
				if t[n].G == x.G && t[n].Kind == interleave.Sync {
					lr.late = append(lr.late, n)
				}
			}
			if len(lr.late) > 0 {
				return lr, true
			}
			break
		}
	}
	return lateRelease{}, false
}

// explain says what the late Release did, and what it led to: who is the
// thread that then could not release the GIL, or "" when it was a Holder
// that named nobody.
func (lr lateRelease) explain(t interleave.Trace, refused string) string {
	var did []string
	for _, n := range lr.late {
		did = append(did, t[n].Label)
	}
	const hang = ". In a real program every thread then waits for ever for a GIL that nobody can release"
	what, symptom := "cleared", ""
	switch refused {
	case "":
		symptom = fmt.Sprintf("when %[1]s then asked, Holder named nobody, though %[1]s held the GIL: %[2]s's late Release had cleared the "+
			"holder, which was %[1]s by then, and %[1]s's own Release was refused", lr.taker, lr.releaser) + hang
	case lr.taker:
		symptom = fmt.Sprintf("when %[1]s then released the GIL it held, the lock refused and named nobody as the holder: %[2]s's late "+
			"Release had cleared the holder, which was %[1]s by then", lr.taker, lr.releaser) + hang
	default:
		what = "checked"
		symptom = fmt.Sprintf("it found %[1]s recorded as the holder and refused, so %[2]s could not release the GIL it had held: it "+
			"let go of the GIL before it checked the holder, and %[1]s got in meanwhile", lr.taker, lr.releaser)
	}
	return fmt.Sprintf("global interpreter lock: the holder is %[1]s in a second critical section, after the GIL is let go. %[2]s's "+
		"Release let go of the GIL (step %[4]s: %[5]s), and before it returned, %[3]s took the GIL (%[6]s) and went on (step %[7]s). "+
		"Only then did %[2]s's Release go on, in a second critical section (%[8]s: %[9]s); %[10]s. Check and clear the holder in the critical section that lets go of "+
		"the GIL, before it lets go: once another thread can get in, Release must not touch the GIL again. Next: HINTS.md, hint 2.",
		what, lr.releaser, lr.taker, stepOf(t, lr.letGo), t[lr.letGo].Label, steps(t, lr.took), stepOf(t, lr.went),
		steps(t, lr.late), strings.Join(did, ", "), symptom)
}

// lettingGo reports whether e is an operation that can let another
// thread's Acquire go on: an unlock, a signal, a store.
func lettingGo(e interleave.Event) bool {
	for _, verb := range []string{"unlocks ", "read-unlocks ", "signals ", "broadcasts ", "stores ", "compares and swaps ", "swaps "} {
		if strings.HasPrefix(e.Label, verb) {
			return true
		}
	}
	return false
}

// steps names the trace lines of the events at idx: "step 4" or "steps 4 to 7".
func steps(t interleave.Trace, idx []int) string {
	if len(idx) == 1 {
		return "step " + stepOf(t, idx[0])
	}
	return "steps " + stepOf(t, idx[0]) + " to " + stepOf(t, idx[len(idx)-1])
}

// woken is a thread that was woken in Acquire and took the GIL while
// another thread held it.
type woken struct {
	g, on, holder string
	at            int // the last event of g's Acquire
	t             interleave.Trace
}

func (w woken) String() string {
	return fmt.Sprintf("%[1]s had waited on %[2]s and was woken, and its Acquire returned (step %[4]s) while %[3]s held the GIL: "+
		"it took the GIL without looking again whether it was free. A thread woken in Acquire must look again: wait in a for loop, "+
		"not behind an if. After a Broadcast every waiter wakes, and after any wake-up another thread may have taken the GIL first. "+
		"Next: HINTS.md, hint 3.", w.g, w.on, w.holder, stepOf(w.t, w.at))
}

// hold is a stretch of the trace in which a thread held the GIL, as far
// as the trace shows: from the last event of an Acquire that returned (the
// thread's next event is not in Acquire) to the first operation of its next
// Release (not a wait for one), or the end.
type hold struct {
	g        string
	from, to int
	wokenOn  string // the object the thread was woken on in that Acquire, if it was
}

// holds lists the stretches in which each thread held the GIL.
func holds(t interleave.Trace) []hold {
	var out []hold
	var names []string
	for _, e := range t {
		if !slices.Contains(names, e.G) {
			names = append(names, e.G)
		}
	}
	for _, g := range names {
		var idx []int
		for i, e := range t {
			if e.G == g {
				idx = append(idx, i)
			}
		}
		for p := 0; p < len(idx); p++ {
			if doing(t[idx[p]]) != "Acquire" {
				continue
			}
			h := hold{g: g, to: len(t)}
			q := p
			for ; q < len(idx) && doing(t[idx[q]]) == "Acquire"; q++ {
				if e := t[idx[q]]; e.Kind == interleave.Sync && strings.HasPrefix(e.Label, "wakes on ") {
					h.wokenOn = e.Cell
				}
			}
			if q == len(idx) {
				break // the trace does not show the Acquire return
			}
			h.from = idx[q-1]
			for r := q; r < len(idx); r++ {
				if doing(t[idx[r]]) == "Release" && t[idx[r]].Kind == interleave.Sync {
					h.to = idx[r]
					break
				}
			}
			out = append(out, h)
			p = q - 1
		}
	}
	return out
}

// wokenIn finds the thread whose Acquire, after a wake-up, returned first
// while another thread held the GIL.
func wokenIn(t interleave.Trace) (woken, bool) {
	hs := holds(t)
	var found *woken
	for _, w := range hs {
		if w.wokenOn == "" || (found != nil && found.at < w.from) {
			continue
		}
		for _, h := range hs {
			if h.g != w.g && h.from < w.from && w.from < h.to {
				found = &woken{g: w.g, on: w.wokenOn, holder: h.g, at: w.from, t: t}
				break
			}
		}
	}
	if found == nil {
		return woken{}, false
	}
	return *found, true
}

// previous and next are the indexes of the events of t[i]'s goroutine
// before and after t[i], or -1.
func previous(t interleave.Trace, i int) int {
	for j := i - 1; j >= 0; j-- {
		if t[j].G == t[i].G {
			return j
		}
	}
	return -1
}

func next(t interleave.Trace, i int) int {
	for j := i + 1; j < len(t); j++ {
		if t[j].G == t[i].G {
			return j
		}
	}
	return -1
}

// holderWait finds, in a deadlocked trace, a thread that waits in Holder.
func holderWait(t interleave.Trace) (interleave.Event, bool) {
	for i := len(t) - 1; i >= 0; i-- {
		if t[i].Kind == interleave.Block && doing(t[i]) == "Holder" {
			return t[i], true
		}
	}
	return interleave.Event{}, false
}

// overlapped says how a trace shows two threads running bytecode at once,
// or returns "": another thread's step between two steps of one thread,
// with no drop of the GIL by the first thread in between. (A thread blocked
// in Acquire is waiting, not running, and the lock's own steps are not
// bytecode, so neither counts.)
func overlapped(t interleave.Trace) string {
	running := func(e interleave.Event) bool {
		return e.Kind == interleave.Read || e.Kind == interleave.Write || e.Kind == interleave.Panic ||
			(e.Kind == interleave.Label && e.Label != "drops the GIL")
	}
	for i, e := range t {
		if !running(e) {
			continue
		}
		for j := i + 1; j < len(t); j++ {
			o := t[j]
			if o.G == e.G {
				break // e's thread went on (or dropped the GIL) before anyone else ran
			}
			if !running(o) {
				continue
			}
			for k := j + 1; k < len(t); k++ {
				if t[k].G == e.G && t[k].Kind == interleave.Label && t[k].Label == "drops the GIL" {
					break
				}
				if t[k].G == e.G && running(t[k]) {
					return fmt.Sprintf("%s ran %s (step %s) while %s, between its steps %s and %s, still held the lock",
						o.G, doing(o), stepOf(t, j), e.G, stepOf(t, i), stepOf(t, k))
				}
			}
			break
		}
	}
	return ""
}

// doing names what a trace event's thread was running.
func doing(e interleave.Event) string {
	if e.Doing != "" {
		return e.Doing
	}
	return e.At.ShortFunc()
}

// stepOf is the number of the trace line that shows event i, as
// interleave.Trace.Lines numbers them (a read merged with the write that
// follows it is one line).
func stepOf(t interleave.Trace, i int) string {
	n := 0
	for j := 0; j <= i && j < len(t); j++ {
		n++
		if t[j].Kind == interleave.Read && j+1 < len(t) && t[j+1].Kind == interleave.Write && t[j+1].G == t[j].G && t[j+1].Cell == t[j].Cell {
			if j+1 == i {
				return fmt.Sprint(n)
			}
			j++
		}
	}
	return fmt.Sprint(n)
}

// panicked names the thread that panicked in a trace, or returns "".
func panicked(t interleave.Trace) string {
	for _, e := range t {
		if e.Kind == interleave.Panic {
			return e.G
		}
	}
	return ""
}

// panicOf is the panic value in a trace, as text.
func panicOf(t interleave.Trace) string {
	for _, e := range t {
		if e.Kind == interleave.Panic {
			return e.Label
		}
	}
	return ""
}

// split is a read-modify-write of a cell that another goroutine's access
// came between.
type split struct {
	g, doing, cell string // who read the cell, running which instruction
	read, wrote    int    // what it read and what it wrote back
	other          interleave.Event
}

func (s split) String() string {
	did := fmt.Sprintf("read it too (-> %d)", s.other.Value)
	if s.other.Kind == interleave.Write {
		did = fmt.Sprintf("wrote %d to it", s.other.Value)
	}
	return fmt.Sprintf("%s's %s read %s -> %d, but before it wrote %d back, %s's %s %s",
		s.g, s.doing, s.cell, s.read, s.wrote, s.other.G, s.other.Doing, did)
}

// splitUpdates finds every read of a cell that is followed by another
// goroutine's access to the cell before the reader writes it back.
func splitUpdates(t interleave.Trace) []split {
	var out []split
	for i, r := range t {
		if r.Kind != interleave.Read {
			continue
		}
		var other *interleave.Event
		for j := i + 1; j < len(t); j++ {
			e := t[j]
			if e.Cell != r.Cell || (e.Kind != interleave.Read && e.Kind != interleave.Write) {
				continue
			}
			if e.G != r.G {
				if other == nil {
					other = &t[j]
				}
				continue
			}
			if e.Kind == interleave.Write && other != nil {
				out = append(out, split{g: r.G, doing: r.Doing, cell: r.Cell, read: r.Value, wrote: e.Value, other: *other})
			}
			break
		}
	}
	return out
}

// valueReceivers lists the GIL's methods declared on GIL rather than *GIL:
// each call of those gets its own copy of the lock.
func valueReceivers() []string {
	var out []string
	for _, m := range []string{"Acquire", "Release", "Holder"} {
		if _, ok := reflect.TypeFor[GIL]().MethodByName(m); ok {
			out = append(out, m)
		}
	}
	return out
}

// ShowWaiting succeeds for an interleave.Trace in which each goroutine
// named waits before it runs any bytecode: the trace shows it blocked (in
// a Lock, a Wait, a channel operation) before its first read or write of a
// cell.
func ShowWaiting(names ...string) types.GomegaMatcher {
	return gcustom.MakeMatcher(func(t interleave.Trace) (bool, error) {
		for _, name := range names {
			waited := false
			for _, e := range t {
				if e.G != name {
					continue
				}
				if e.Kind == interleave.Block {
					waited = true
				}
				if e.Kind == interleave.Block || e.Kind == interleave.Read || e.Kind == interleave.Write {
					break
				}
			}
			if !waited {
				return false, nil
			}
		}
		return true, nil
	}).WithTemplate("Expected each of {{.Data}} {{.To}} wait for the lock before running bytecode, but one of them did not:\n{{.Actual.String}}", strings.Join(names, " and "))
}

// HaveRefCount succeeds for a *vm.Object whose reference count is n and
// which was not freed. Call it when no thread of the object's interpreter
// runs.
func HaveRefCount(n int) types.GomegaMatcher {
	return gcustom.MakeMatcher(func(o *vm.Object) (bool, error) {
		return o.RefCount() == n && !o.Freed(), nil
	}).WithTemplate("Expected {{.Actual.Name}}.refcount {{.To}} be {{.Data}}, but it is {{.Actual.RefCount}}{{if .Actual.Freed}} and {{.Actual.Name}} was freed{{end}}", n)
}
