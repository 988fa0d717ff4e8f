package convoy

import (
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/onsi/gomega/gcustom"
	"github.com/onsi/gomega/types"

	"github.com/racekit/racekit/pkg/interleave"
)

// This file holds the specs' diagnostics: what a run shows, in the
// lesson's words, and where to look next.

// kitGIL is the import path of the kit's reference locks.
const kitGIL = "github.com/racekit/racekit/pkg/gil"

// imports reports whether the Go source src imports path.
func imports(src, path string) bool {
	f, err := parser.ParseFile(token.NewFileSet(), "", src, parser.ImportsOnly)
	if err != nil {
		return false
	}
	for _, imp := range f.Imports {
		if p, _ := strconv.Unquote(imp.Path.Value); p == path {
			return true
		}
	}
	return false
}

// ImportTheKitsGIL succeeds when one of the lesson's files in an fs.FS
// (its .go files but the _test.go ones) imports pkg/gil, the kit's
// reference locks.
func ImportTheKitsGIL() types.GomegaMatcher {
	found := &struct{ Files string }{}
	return gcustom.MakeMatcher(func(code fs.FS) (bool, error) {
		files, err := importsKitGIL(code)
		found.Files = strings.Join(files, ", ")
		return len(files) > 0, err
	}).WithTemplate("Expected the lesson's files {{.To}} import "+kitGIL+", but {{if .Data.Files}}it is imported by {{.Data.Files}}{{else}}none does{{end}}", found)
}

// explainRun is the teaching description of a failed controlled run.
func explainRun(f *interleave.Failure) string {
	if f == nil {
		return ""
	}
	switch {
	case strings.Contains(f.Message, forcedPhrase):
		return "forced switching: in the schedule below, A said yes to B's drop request, released the GIL at an eval-breaker " +
			"check, and took it back itself before B could: B's request was wasted, and B waits another switch interval. " +
			"A thread that drops the GIL on request must wait, inside Release, until another thread has taken it (the " +
			"last holder changed), and only then return. A runtime.Gosched() or a time.Sleep in Release does not make it wait: " +
			"it only hopes that the waiter gets there first. Next: HINTS.md, hint 2."
	case f.Kind == interleave.Deadlock && strings.Contains(f.Message, "(Release)") && !strings.Contains(f.Message, "B, at"):
		return "deadlock: A's Release never returned, and no other thread will ever take the GIL (where A waits is below). " +
			"Only a thread that drops the GIL on request waits for the switch, because a waiter asked for the GIL and will " +
			"take it; a thread that lets go with nobody waiting, or before a blocking call, must return at once. Note " +
			"whether t was asked before you clear anything, and wait only then. Next: HINTS.md, hint 2."
	case f.Kind == interleave.Deadlock:
		return "deadlock: every thread waits, and none can wake another (where each waits is below). A thread that dropped " +
			"the GIL on request waits until another thread takes it: is the waiter that asked woken by the release, and " +
			"does its take wake the thread waiting for the switch? Next: HINTS.md, hint 3."
	case f.Kind == interleave.Livelock:
		return "livelock: the run went on far longer than a working GIL needs, the threads passing the GIL back and forth " +
			"or a waiter spinning. Is the drop request cleared when a thread takes the GIL? Next: HINTS.md, hint 2."
	case f.Kind == interleave.Panicked:
		return "a thread panicked (below). If the VM says an object was touched without the GIL, two threads held it at once. " +
			"Next: HINTS.md, hint 3."
	case f.Kind == interleave.Stuck:
		return "a thread never came back to the scheduler (below): does it wait for something outside the kit's sync, or " +
			"spin? Next: HINTS.md, hint 3."
	}
	return "the run did not end as it should (below). Next: HINTS.md, hint 3."
}

// explainTrouble says what went wrong in a fake-time run, other than its
// figures.
func explainTrouble(c convoyRun) string {
	all := strings.Join(c.Trouble(), "\n  ")
	switch {
	case c.Escaped != nil && strings.Contains(fmt.Sprint(c.Escaped), "deadlock"):
		return "deadlock: in the fake-time run every goroutine waits for another, so fake time cannot move on. A thread " +
			"that dropped the GIL on request waits until another thread takes it: does the waiter that asked wake up " +
			"when the GIL is released, and does its take wake the thread waiting for the switch? Next: HINTS.md, hint 3.\n  " + all
	case c.Raced:
		return "data race: the race detector reported one in the fake-time run (WARNING: DATA RACE above): every field of " +
			"the GIL is read and written under its mutex. Next: HINTS.md, hint 3.\n  " + all
	case c.Stopped:
		return fmt.Sprintf("the fake-time run went on for %v, and the spec stopped it: with a working GIL it takes %v. "+
			"Do the threads pass the GIL back and forth for ever? Next: HINTS.md, hint 2.\n  %s",
			c.Elapsed, time.Duration(c.Burns)*burnTime, all)
	case strings.Contains(all, "without holding the GIL"):
		return "global interpreter lock: two threads held the GIL at once, and the VM's debug check caught one touching " +
			"an object (below). Next: HINTS.md, hint 3.\n  " + all
	}
	return "the threads did not finish cleanly (below). Next: HINTS.md, hint 3.\n  " + all
}

// story tells the run's figures in a few lines, with the chart.
func story(c convoyRun, f figures) string {
	return fmt.Sprintf("  B asked for the GIL %d times (at its start and after each I/O call); its calls of Acquire that found the GIL held waited %s\n"+
		"  A %s %v in %v of fake time; DropRequested said yes %s; A released the GIL right after a yes %s, and took it straight back %s while B waited; "+
		"the GIL changed hands %s\n%s",
		f.Calls, durations(f.Waits), map[bool]string{true: "computed", false: "had to compute"}[c.Finished], time.Duration(c.Burns)*burnTime, c.Elapsed, times(f.Yeses), times(f.Drops), times(f.Retakes), times(f.Switches), indent(c.chart()))
}

// explainConvoy is the failure of a run in which B waited longer than one
// switch interval and the rest of A's burn.
func explainConvoy(c convoyRun, f figures, bound time.Duration) string {
	head := fmt.Sprintf("convoy: B came back from I/O and waited up to %v for the GIL, while A computed; with a switch "+
		"interval of %v it should wait %v at most: the interval, then until A's next eval-breaker check (the rest of A's 1 ms burn). ",
		maxOf(f.Waits), c.Interval, bound)
	var why string
	switch {
	case f.FreeWhile > 0:
		why = fmt.Sprintf("For %v of B's waits the GIL was free, and B did not take it: B did not wake up when A released "+
			"the GIL. A waiter must wait on the condition variable that Release signals, with a timeout "+
			"(free.WaitTimeout(interval)), not sleep in time.Sleep and look again. Next: HINTS.md, hint 1.", f.FreeWhile)
	case f.Yeses > 2*f.Calls:
		why = fmt.Sprintf("DropRequested said yes %d times, at every eval-breaker check, whether or not anyone waited, and "+
			"A dropped the GIL each time and took it straight back: %d times while B waited, A got there first. That is the "+
			"old GIL: a release wakes the waiters but hands the GIL to nobody, and the thread that let go is still running. "+
			"Let a waiter wait one switch interval (free.WaitTimeout), then ask the holder to drop the GIL, and let "+
			"DropRequested say yes only to a holder that was asked. Next: HINTS.md, hint 1.", f.Yeses, f.Retakes)
	case f.Yeses == 0:
		why = "DropRequested never said yes: B never asked A to drop the GIL, so A kept it until it had nothing left to compute. " +
			"A waiter must not wait for ever: wait one switch interval at a time (free.WaitTimeout(interval)), and when a " +
			"round times out with the GIL still held by the same thread (no switch meanwhile), ask the holder to drop it. " +
			"Next: HINTS.md, hint 1."
	case f.Retakes > 0:
		why = fmt.Sprintf("A was asked to drop the GIL and dropped it (%d times), but took it straight back before B could "+
			"(%d times while B waited), so B had to ask again. Forced switching: a thread that drops the GIL on request waits, "+
			"inside Release, until another thread has taken it. Next: HINTS.md, hint 2.", f.Drops, f.Retakes)
	default:
		why = "Next: HINTS.md, hint 2."
	}
	return head + why + "\n" + story(c, f) + "\n" + convoySteps()
}

// convoySteps shows the convoy in the scheduler's steps: the hand-off
// scenario run without preemptions, except that B starts as soon as A
// holds the GIL. With the old GIL, A drops it at every check and takes it
// straight back while B waits.
func convoySteps() string {
	sc := handOff()
	res, err := interleave.Replay("", sc, controlled)
	if err != nil {
		return ""
	}
	cut := ""
	for _, e := range res.Trace {
		if e.G == "A" && e.Kind == interleave.Label && strings.HasSuffix(e.Label, "A holds the GIL") {
			cut = res.Schedule[:e.Step].String() + " B"
			break
		}
	}
	if cut == "" {
		return ""
	}
	if res, err = interleave.Replay(cut, sc, controlled); err != nil {
		return ""
	}
	var b strings.Builder
	b.WriteString("  the same in the scheduler's steps: B asks for the GIL while A holds it, and A goes on until B is let in\n  ")
	b.WriteString(sc.Name + "\n")
	lines := res.Trace.Lines()
	for i, e := range res.Trace {
		b.WriteString(lines[i] + "\n")
		if e.G == "B" && e.Kind == interleave.Label && strings.HasSuffix(e.Label, "B holds the GIL") {
			if i+1 < len(lines) {
				b.WriteString(fmt.Sprintf("    ... and %d more lines, as B makes its I/O call and both threads finish\n", len(lines)-i-1))
			}
			break
		}
	}
	b.WriteString("  replay this schedule: " + res.Schedule.String())
	return b.String()
}

// explainThrash is the failure of a run in which the GIL changed hands, or
// was dropped on request, more often than B's calls can explain.
func explainThrash(c convoyRun, f figures) string {
	return fmt.Sprintf("the GIL changed hands %d times, and A dropped it on request %d times, for B's %d calls for it: "+
		"each call should cost at most one drop request and two switches (to B, and back to A). A drop request that is "+
		"not cleared when a thread takes the GIL stays set for the next holder too, and the threads pass the GIL back and "+
		"forth at every check (thrashing). Clear it when a thread takes the GIL, and say yes only to the holder that was "+
		"asked. Next: HINTS.md, hint 2.\n%s", f.Switches, f.Drops, f.Calls, story(c, f))
}

// explainEarly is the failure of a run in which B got the GIL before it had
// waited a whole switch interval.
func explainEarly(c convoyRun, f figures, bound time.Duration) string {
	return fmt.Sprintf("switch interval: B got the GIL after %v, before it had waited a whole switch interval (%v): with "+
		"A's checks on whole milliseconds, it should have waited exactly %v. A holder that drops the GIL as soon as someone "+
		"waits switches far more often than it needs to, and each switch costs; the switch interval is how long a waiter "+
		"lets the holder run before it asks. Ask only after a round of the interval timed out (free.WaitTimeout(interval) "+
		"returned true) and the GIL did not change hands meanwhile. Next: HINTS.md, hint 1.\n%s",
		minOf(f.Waits), c.Interval, bound, story(c, f))
}

// explainIdle is the failure of a run in which the GIL sat free while A
// still had work.
func explainIdle(c convoyRun, f figures) string {
	return fmt.Sprintf("the GIL was free for %v of fake time while A still had work to do: nobody ran. A computed %v in %v. "+
		"A thread that drops the GIL on request must wait for the switch (until another thread has taken the GIL), and then "+
		"ask for it back at once; a time.Sleep in Release keeps it away from the GIL for the whole sleep, whether or not "+
		"the other thread still wants it, which is not forced switching but lost time. Next: HINTS.md, hint 2.\n%s",
		f.Idle, time.Duration(c.Burns)*burnTime, c.Elapsed, story(c, f))
}

// explainAsleep is the failure of a run in which the GIL sat free while a
// thread waited for it.
func explainAsleep(c convoyRun, l letGo) string {
	return fmt.Sprintf("the GIL was free for %v in all while a thread waited for it, and nobody took it: first from %v "+
		"(A let go of it at 2ms, as it finished) to %v. A waiter must notice a release at once: wait on the condition variable that Release "+
		"signals, one switch interval at a time (free.WaitTimeout(interval)), not in time.Sleep, which sleeps its whole "+
		"time whatever happens meanwhile. Next: HINTS.md, hint 1.\n%s", l.Free, l.FreeFrom, l.FreeUntil, letGoStory(c))
}

// explainSaved is the failure of a run in which a holder was asked to drop
// the GIL before it had held it a whole switch interval.
func explainSaved(c convoyRun, l letGo) string {
	e := l.Early[0]
	return fmt.Sprintf("switch counting: %s took the GIL at %v and was asked to drop it at %v, %v later, before it had held "+
		"it a whole switch interval (%v). A waiter whose round of the interval began before the GIL changed hands (C's, "+
		"from 0.6ms, while A held it) must not ask when that round times out: the GIL has a new holder, which has not had "+
		"its interval yet. Remember the switch count before each round (saved := g.switches), and ask only when the round "+
		"timed out and the count has not changed (no switch meanwhile). Next: HINTS.md, hint 1.\n%s",
		e.th, e.took, e.yes, e.yes-e.took, c.Interval, letGoStory(c))
}

// explainSlow is the failure of a run in which a waiter waited longer than
// two switch intervals and a burn.
func explainSlow(c convoyRun, l letGo) string {
	w := l.Slow[0]
	return fmt.Sprintf("convoy: %s asked for the GIL at %v and got it only at %v, %v later: with a switch interval of %v it "+
		"waits %v at most. A round that saw the GIL change hands (A let go at 2ms) asks for nothing, the next round asks, "+
		"and the holder drops the GIL at its next check. Every waiter, not only the first, waits in rounds of the interval "+
		"(free.WaitTimeout(interval)) and asks when a round times out with no switch: a waiter in a plain Wait never asks, "+
		"and waits until the holder has nothing left to compute. Next: HINTS.md, hint 1.\n%s",
		w.th, w.asked, w.took, w.took-w.asked, c.Interval, 2*c.Interval+burnTime, letGoStory(c))
}

// letGoStory tells a run of letGoJobs in a line, with the chart.
func letGoStory(c convoyRun) string {
	return fmt.Sprintf("  A computed 2ms and finished; B asked for the GIL at 300µs, C at 600µs, and each then computed; the run "+
		"took %v of fake time\n%s", c.Elapsed, indent(c.chart()))
}

// times says "once", "twice" or "n times".
func times(n int) string {
	switch n {
	case 1:
		return "once"
	case 2:
		return "twice"
	}
	return fmt.Sprintf("%d times", n)
}

func maxOf(ds []time.Duration) time.Duration {
	var m time.Duration
	for _, d := range ds {
		m = max(m, d)
	}
	return m
}

func minOf(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	m := ds[0]
	for _, d := range ds {
		m = min(m, d)
	}
	return m
}
