package freethreading

import (
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/racekit/racekit/pkg/interleave"
)

// The lesson's diagnostics: what a failed run means, in a learner's words.

// countingSteps is how many steps of goroutine g in t may have changed a
// count: a write of an interleave.Int, or an operation of the kit's sync
// or atomic packages. Reads do not count: a count kept in a plain field,
// beside an interleave.Int that is only read, must not pass for one the
// scheduler sees (and CPython reads an immortal object's count too, to
// see that it is immortal).
func countingSteps(t interleave.Trace, g string) int {
	n := 0
	for _, e := range t {
		if e.G == g && (e.Kind == interleave.Write || e.Kind == interleave.Sync) {
			n++
		}
	}
	return n
}

// syncSteps is how many operations of the kit's sync or atomic packages
// goroutine g made in t.
func syncSteps(t interleave.Trace, g string) int {
	n := 0
	for _, e := range t {
		if e.G == g && e.Kind == interleave.Sync {
			n++
		}
	}
	return n
}

// isPointer reports whether v is a non-nil pointer, which Run.Name can
// name.
func isPointer(v any) bool {
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && !rv.IsNil()
}

// explain says what went wrong in a failed run, and what to do about it.
func explain(f *interleave.Failure) string {
	if f == nil {
		return ""
	}
	switch f.Kind {
	case interleave.Deadlock:
		return "deadlock: every thread waits for a lock that nobody will release. The counts need no lock at all (atomics do " +
			"it), but if you use one, every Lock needs its Unlock on every path. Next: HINTS.md, hint 3."
	case interleave.Panicked:
		return explainPanic(f.Message)
	case interleave.DataRace:
		return explainRace(f.Trace)
	case interleave.Broken:
	default:
		return "the run did not finish normally; the message below says why. Next: HINTS.md, hint 3."
	}
	if strings.Contains(f.Message, immortalFreed) {
		return "immortal objects: the VM freed an object that lives for ever, because your DecRef said so. The VM hands out " +
			"None, True, False and the small ints without taking a reference (as CPython 3.12 and later do), so a counter that " +
			"counts them sees their counts fall to zero. PEP 703 makes Py_INCREF and Py_DECREF no-ops for immortal objects: " +
			"leave objects with o.Immortal() alone. Next: HINTS.md, hint 3."
	}
	if strings.Contains(f.Message, ownerCameBack) {
		return "free threading: foo's owner gave foo up (its local count reached zero, and it merged), then took a reference " +
			"to foo again, and foo was miscounted. After the merge the owner has no references of its own left: CPython sets " +
			"the object's ob_tid to 0 then, so that the former owner counts any later reference in the shared count, like " +
			"every other thread. Counted in the local count again, it reaches zero a second time and merges twice. " +
			"Next: HINTS.md, hint 3."
	}
	if s, ok := splitUpdate(f.Trace); ok {
		return "free threading: there is no GIL any more to keep two threads' reference counting apart, and they run at the " +
			"same time. " + s + "Next: HINTS.md, hint 1."
	}
	return "free threading: foo's references were miscounted (the message below says how), though no update was lost in " +
		"between a read and a write. If the owner counts locally and the others in a shared count, foo may be freed only when " +
		"both counts say so, and exactly one thread may see that moment. Next: HINTS.md, hint 3."
}

// splitUpdate finds, in t, a count read by one goroutine and written back
// by it after another goroutine touched the count in between (a plain
// read and write, or an atomic load and store), and says so.
func splitUpdate(t interleave.Trace) (string, bool) {
	for i, r := range t {
		atomicLoad := r.Kind == interleave.Sync && strings.HasPrefix(r.Label, "loads ")
		if r.Kind != interleave.Read && !atomicLoad {
			continue
		}
		var other *interleave.Event
		for j := i + 1; j < len(t); j++ {
			e := t[j]
			touches := e.Cell == r.Cell && (e.Kind == interleave.Read || e.Kind == interleave.Write || e.Kind == interleave.Sync)
			if !touches {
				continue
			}
			if e.G != r.G {
				if other == nil {
					other = &t[j]
				}
				continue
			}
			written := e.Kind == interleave.Write || (e.Kind == interleave.Sync && strings.HasPrefix(e.Label, "stores "))
			if written && other != nil {
				return describeSplit(r, e, *other, atomicLoad), true
			}
			break
		}
	}
	return "", false
}

// describeSplit says how read r and write w of goroutine r.G were split by
// other's access, and what to do.
func describeSplit(r, w, other interleave.Event, atomicLoad bool) string {
	fn := func(e interleave.Event) string { return e.At.ShortFunc() }
	did := func(e interleave.Event) string {
		switch e.Kind {
		case interleave.Read:
			return fmt.Sprintf("read it too (-> %d)", e.Value)
		case interleave.Write:
			return fmt.Sprintf("wrote %d to it", e.Value)
		}
		return e.Label
	}
	if atomicLoad {
		return fmt.Sprintf("%s's %s loaded %s and then stored the new count back, two atomic operations: between them, %s's %s %s, "+
			"so one of the two updates was lost. Each atomic operation is indivisible, a Load followed by a Store is not: "+
			"every IncRef and every DecRef must change the count in one operation, Add. ", r.G, fn(r), r.Cell, other.G, fn(other), did(other))
	}
	msg := fmt.Sprintf("%s's %s read %s -> %d, but before it wrote %d back, %s's %s %s, so one of the two updates was lost. ",
		r.G, fn(r), r.Cell, r.Value, w.Value, other.G, fn(other), did(other))
	if r.G == "A" || other.G == "A" {
		msg += "A owns foo (it made foo); B does not. "
	}
	return msg + "A count that two threads update with a plain read and write needs the GIL this interpreter no longer has. " +
		"Make each update one indivisible step, an atomic Add of the kit's sync/atomic (README.md, \"Step 1\"); later, a count " +
		"with plain reads and writes that only foo's owner ever touches (\"Step 2\"). "
}

// explainRace says which plain count two threads touched.
func explainRace(t interleave.Trace) string {
	races := t.Races()
	if len(races) == 0 {
		return "free threading: data race: see the message below. Next: HINTS.md, hint 2."
	}
	r := races[0]
	return fmt.Sprintf("free threading: data race: %s. A count read and written with plain Get and Set is safe only if one "+
		"thread alone ever touches it: the owner's local count is the owner's (o.Owner() == t), and every other thread "+
		"must count in the shared, atomic count. Next: HINTS.md, hint 2.", r)
}

// explainPanic says what a panic of the VM's debug checks means.
func explainPanic(msg string) string {
	switch {
	case immortalIn(msg) != "":
		return "immortal objects: the VM freed " + immortalIn(msg) + ", which lives for ever, because your DecRef said so, and a " +
			"thread then used it (" + firstLine(msg) + "). The VM hands out None, True, False and the small ints without " +
			"taking a reference (as CPython 3.12 and later do), so a counter that counts them sees their counts fall to zero. " +
			"PEP 703 makes Py_INCREF and Py_DECREF no-ops for immortal objects: leave objects with o.Immortal() alone. " +
			"Next: HINTS.md, hint 3."
	case strings.Contains(msg, "freed twice"):
		return "free threading: two DecRefs each said that foo's last reference was gone, and the VM freed it twice (" +
			firstLine(msg) + "). The owner's merge and another thread's last decrement can come at the same moment, and a " +
			"decision made in two steps (a flag set in one atomic operation, the count read in another) lets both threads see " +
			"\"zero\". Keep the count and the merged state in one word, changed in one atomic operation, so that exactly one " +
			"thread sees both reach zero. Next: HINTS.md, hint 3."
	case strings.Contains(msg, "used after it was freed"):
		return "free threading: the VM freed an object because your DecRef said so, while a thread still held a reference to " +
			"it, and that thread then used it (" + firstLine(msg) + "). If the owner's local count reaching zero frees the " +
			"object at once, the other threads' references in the shared count are forgotten: free only when both counts " +
			"are at zero, decided in one atomic step that exactly one thread sees (the merge). Next: HINTS.md, hint 3."
	}
	return "a thread panicked while taking or dropping a reference (" + firstLine(msg) + "); the trace below ends where. " +
		"Next: HINTS.md, hint 3."
}

// vmObject is how the VM's panics name an object: "vm: int 16 freed
// twice", "vm: bool True used after it was freed".
var vmObject = regexp.MustCompile(`vm: (NoneType None|bool True|bool False|int (-?[0-9]+)) `)

// immortalIn returns the immortal object a VM panic names ("the int 16"),
// or "".
func immortalIn(msg string) string {
	m := vmObject.FindStringSubmatch(msg)
	switch {
	case m == nil:
		return ""
	case m[2] == "":
		return strings.Fields(m[1])[1]
	}
	if n, err := strconv.Atoi(m[2]); err == nil && n >= -5 && n <= 256 {
		return "the int " + m[2]
	}
	return ""
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
