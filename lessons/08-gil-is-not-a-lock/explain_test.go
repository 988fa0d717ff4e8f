package gilnotlock

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/racekit/racekit/pkg/interleave"
)

// explain says, in a learner's words, what a failed run shows and which
// hint to read, followed by the run itself: the numbered trace and the
// schedule that replays it.
func explain(f *interleave.Failure, o *outcome) string {
	if f == nil {
		return ""
	}
	var why string
	switch f.Kind {
	case interleave.Deadlock:
		why = explainDeadlock(f.Message)
	case interleave.Panicked:
		why = explainPanic(f.Message)
	case interleave.Broken:
		switch {
		case strings.Contains(f.Message, "an update was lost"):
			why = explainLost(f.Trace, o)
		case strings.Contains(f.Message, "called one()"):
			why = "the program no longer does the lesson's update (below)."
		case strings.Contains(f.Message, "Acquire changed counter"), strings.Contains(f.Message, "not None:"),
			strings.Contains(f.Message, "bound by Go code"),
			strings.Contains(f.Message, "does not hold l"):
			why = "Acquire did something else than take the lock (below): it must wait for l, take it, and return None, " +
				"and leave the update to the program."
		case strings.Contains(f.Message, "acquire(l) takes the lock that setup() made"):
			why = "acquire was called with something else than a lock (below)."
		case strings.Contains(f.Message, "setup() did not make"):
			why = "the threads took a lock that setup() did not make (below)."
		case strings.Contains(f.Message, "without taking the GIL back"):
			why = "a builtin returned without taking the GIL back (the VM noticed and raised the error below). Every path " +
				"out of Acquire that released the GIL must first call t.AcquireGIL(). Next: HINTS.md, hint 3."
		case strings.Contains(f.Message, "release unlocked lock"):
			why = "release(l) was called on a lock nobody holds (below): every release needs the acquire before it, " +
				"on the same lock. Next: HINTS.md, hint 3."
		default:
			why = "the threads finished, but not as they should have (below). Next: HINTS.md, hint 3."
		}
	case interleave.Livelock:
		why = explainSpin(f.Trace)
	default:
		why = "the run did not finish normally; the message below says why. Next: HINTS.md, hint 3."
	}
	return why + " (The run below replays with interleave.Replay and the schedule on its last line.)"
}

// explainSpin says what a thread that ran on and on without finishing was
// doing, from the last steps of the trace: trying a lock again and again
// in Acquire, or reading a global of its own, waiting for another thread
// to change it.
func explainSpin(t interleave.Trace) string {
	const spin = "livelock: %s kept running without finishing and without waiting: it spins, %s. Under the specs' " +
		"scheduler a thread that spins can spin for ever; on a real machine it burns the CPU that the thread it waits for needs. "
	g, tries, reads := "", 0, ""
	for i := len(t) - 1; i >= 0 && i >= len(t)-20; i-- {
		e := t[i]
		if g == "" {
			g = e.G
		}
		switch {
		case e.G != g:
		case strings.HasPrefix(e.Label, "tries to acquire"):
			tries++
		case e.Kind == interleave.Read && reads == "":
			reads = e.Cell
		}
	}
	if tries > 0 {
		return fmt.Sprintf(spin, g, "trying l again and again (TryAcquire in a loop)") + "Acquire must wait for the lock, " +
			"l.Acquire(t), with the GIL released: the scheduler then knows it waits, and the holder can run to its " +
			"release(l). Next: HINTS.md, hint 2."
	}
	if reads != "" && reads != "counter" {
		return fmt.Sprintf(spin, g, "reading the global "+reads+" until another thread changes it") + "A global flag " +
			"is not a lock: the GIL can change hands between the load of the flag and the store that sets it, and then " +
			"two threads both find it free. Use the program's own lock, lock(), acquire(l) and release(l). Next: HINTS.md, hint 1."
	}
	return fmt.Sprintf(spin, g, "waiting for something without telling the scheduler") + "Wait for the lock with l.Acquire(t), " +
		"with the GIL released. Next: HINTS.md, hint 2."
}

// explainLost finds, in the trace, the store that wrote over other
// threads' updates, and tells the story: who loaded counter, who stored
// in between, and where the GIL changed hands.
func explainLost(t interleave.Trace, o *outcome) string {
	lastRead := map[string]interleave.Event{} // per goroutine: its last load of counter
	var writes []interleave.Event             // every store of counter so far
	dropAt := map[string]string{}             // per goroutine: where it let go of the GIL since its last load
	for _, e := range t {
		switch {
		case e.Kind == interleave.Read && e.Cell == "counter":
			lastRead[e.G] = e
			delete(dropAt, e.G)
		case e.Kind == interleave.Label && strings.Contains(e.Label, "drops the GIL") && strings.HasPrefix(e.Doing, "CALL_BUILTIN"):
			if _, ok := lastRead[e.G]; ok && dropAt[e.G] == "" {
				dropAt[e.G] = e.Doing
			}
		case e.Kind == interleave.Label && strings.Contains(e.Label, "drops the GIL") && e.Doing != "drop_gil":
			if _, ok := lastRead[e.G]; ok && dropAt[e.G] == "" {
				dropAt[e.G] = e.Doing
			}
		case e.Kind == interleave.Write && e.Cell == "counter":
			r, ok := lastRead[e.G]
			var between []string
			stored := map[string][]string{} // per other goroutine: the values it stored since e.G's load
			for _, w := range writes {
				if ok && w.G != e.G && w.Step >= r.Step {
					if stored[w.G] == nil {
						between = append(between, w.G)
					}
					stored[w.G] = append(stored[w.G], fmt.Sprint(w.Value))
				}
			}
			for i, g := range between {
				between[i] = g + " stored " + strings.Join(stored[g], " and ")
			}
			writes = append(writes, e)
			if !ok || len(between) == 0 {
				continue
			}
			where := "between the two"
			if d := dropAt[e.G]; d != "" {
				where = "at " + d + ", between the two"
			}
			return fmt.Sprintf("lost update: %s loaded counter (%d) with LOAD_GLOBAL counter, and before its STORE_GLOBAL counter "+
				"wrote %d back, %s. %s's store wrote over %s: the GIL changed hands %s. The GIL keeps every instruction "+
				"whole, not your line of Python: counter = counter + one() is four instructions, and the GIL can be let go at "+
				"the eval-breaker check of any of them (at the call of one(), in CPython 3.10 and later; at almost any "+
				"instruction, up to 3.9). Take a lock of the program's own, lock() once in setup(), acquire(l) before the load "+
				"and release(l) after the store. Next: HINTS.md, hint 1.",
				e.G, r.Value, e.Value, strings.Join(between, ", and "), e.G, plural(len(writes)-1, "that update", "those updates"), where)
		}
	}
	if !slices.ContainsFunc(t, func(e interleave.Event) bool { return e.Kind == interleave.Write && e.Cell == "counter" }) {
		return "counter was never stored: count(n) must add one() to the global counter (LOAD_GLOBAL counter ... " +
			"STORE_GLOBAL counter), not to a local of the same name (STORE_FAST). Next: HINTS.md, hint 1."
	}
	return fmt.Sprintf("lost update: the threads' count(%d) calls did not all reach counter, so two of them updated it from "+
		"the same value. Take a lock of the program's own around the whole update. Next: HINTS.md, hint 1.", o.n)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// waitLine matches a line of a deadlock report: "A, at ... (Acquire),
// waits for l, which B holds (A is at CALL_BUILTIN acquire 1)".
var waitLine = regexp.MustCompile(`(?m)^\s*(\S+), at .*?, waits for (.+?), which (\S+) holds \((.+)\)$`)

// explainDeadlock tells which thread holds what and waits for what, from
// the scheduler's deadlock report.
func explainDeadlock(msg string) string {
	type wait struct{ g, what, holder, at string }
	var waits []wait
	userLockWait := false
	for _, m := range waitLine.FindAllStringSubmatch(msg, -1) {
		waits = append(waits, wait{m[1], m[2], m[3], m[4]})
		if m[2] != "the GIL" {
			userLockWait = true
		}
	}
	var parts []string
	for _, w := range waits {
		var holds []string
		for _, o := range waits {
			if o.holder == w.g {
				holds = append(holds, o.what)
			}
		}
		held := ""
		if len(holds) > 0 {
			held = "holds " + strings.Join(holds, " and ") + " and "
		}
		parts = append(parts, fmt.Sprintf("%s %swaits for %s (%s)", w.g, held, w.what, w.at))
	}
	if !userLockWait {
		return "deadlock: every thread waits, and none can wake another (the report below says who waits for what). " +
			"Next: HINTS.md, hint 3."
	}
	return "deadlock: " + strings.Join(parts, "; ") + ". The thread that holds the user lock needs the GIL to get to its " +
		"release(l), and the thread waiting in acquire(l) keeps the GIL while it waits: neither can go on. A builtin that " +
		"waits must let go of the GIL while it waits, as lesson 06's read did (Py_BEGIN_ALLOW_THREADS), and CPython's " +
		"lock.acquire() does: t.ReleaseGIL(), wait for the lock, t.AcquireGIL(). Next: HINTS.md, hint 2."
}

// explainPanic turns the VM's debug-check panics into what Acquire did
// wrong.
func explainPanic(msg string) string {
	switch {
	case strings.Contains(msg, "without holding the GIL") && strings.Contains(msg, "touched by"):
		return "object touched without the GIL: Acquire used its argument after it released the GIL (see the panic below). " +
			"Once a thread has let go of the GIL other threads run and change objects, so it must not touch any object " +
			"until it holds the GIL again: read the lock with t.UserLock(args[0]) before t.ReleaseGIL(), and keep only the " +
			"*vm.UserLock (a Go value, safe to use without the GIL) across the wait. Next: HINTS.md, hint 3."
	case strings.Contains(msg, "creates an object without holding the GIL"):
		return "object touched without the GIL: Acquire made an object while the GIL was released (see the panic below). " +
			"Take the GIL back with t.AcquireGIL() first. Next: HINTS.md, hint 3."
	case strings.Contains(msg, "which it does not hold"):
		return "Acquire released the GIL twice, or without holding it (see the panic below): each t.ReleaseGIL() needs " +
			"exactly one t.AcquireGIL() after it. Next: HINTS.md, hint 3."
	case strings.Contains(msg, "it already holds"):
		return "Acquire took the GIL while it already held it (see the panic below): call t.AcquireGIL() only after " +
			"t.ReleaseGIL(). Next: HINTS.md, hint 3."
	}
	return "a thread panicked (see below). Next: HINTS.md, hint 3."
}
