// Package course is the catalogue of racekit's lessons and the layout of
// the kit on disk: which lessons exist, in what order, what each teaches,
// and where a lesson's starter, solution, specs and fixtures live.
//
// Everything here is read-only data and pure functions of the file system;
// it is safe for concurrent use.
package course

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Lesson is one lesson of the course.
type Lesson struct {
	Number  int    // its place in the course, from 1
	Slug    string // "lost-update"
	Title   string // "Lost update"
	Package string // the Go package name, a topic word: "lostupdate"
	// Concept is the phrase every failure of the lesson's starter prints,
	// and the one the kit's own tests look for ("lost update").
	Concept string
	// Teaches says in one line what the learner learns.
	Teaches string
	// InKit reports whether the lesson ships in this version of the kit.
	InKit bool
}

// Dir is the lesson's folder name below lessons/ and solutions/:
// "01-lost-update".
func (l Lesson) Dir() string { return fmt.Sprintf("%02d-%s", l.Number, l.Slug) }

// LessonDir is the starter's folder, below the kit's root.
func (l Lesson) LessonDir(root string) string { return filepath.Join(root, "lessons", l.Dir()) }

// SolutionDir is the solution's folder, below the kit's root.
func (l Lesson) SolutionDir(root string) string { return filepath.Join(root, "solutions", l.Dir()) }

// StarterDir holds a pristine copy of the lesson's starter exercise files
// (every non-test .go file of its lessons/ folder as the kit ships it),
// below the kit's root, in testdata/ so the go tool ignores it. racekit
// reset restores a lesson's starter from here, since the learner edits
// the copy in lessons/.
func (l Lesson) StarterDir(root string) string {
	return filepath.Join(root, "testdata", "starters", l.Dir())
}

// FixturesDir holds the lesson's wrong fixes and correct alternatives,
// below the kit's root (in testdata/, which the go tool ignores).
func (l Lesson) FixturesDir(root string) string {
	return filepath.Join(root, "testdata", "fixtures", l.Dir())
}

// Lessons is the whole course in order, including lessons not yet in the
// kit (InKit false).
var Lessons = []Lesson{
	{1, "lost-update", "Lost update", "lostupdate", "lost update",
		"reference counts race: a lost decrement leaks the object; fix it with a per-object mutex", true},
	{2, "premature-free", "Premature free", "prematurefree", "premature free",
		"a lost increment frees a live object; decide the free inside the critical section", true},
	{3, "deadlock", "Deadlock", "deadlock", "deadlock",
		"a lock per object invites deadlock; take locks in one global order, or use one lock", true},
	{4, "global-lock", "The global interpreter lock", "globallock", "global interpreter lock",
		"one lock for the whole interpreter, like CPython's GIL", true},
	{5, "cpu-bound", "CPU-bound threads", "cpubound", "cpu-bound",
		"CPU-bound threads don't scale under a GIL; one interpreter per job instead", true},
	{6, "io-release", "Releasing the GIL for I/O", "iorelease", "blocking i/o",
		"blocking I/O releases the GIL; touch no object while it is released", true},
	{7, "convoy", "The convoy effect", "convoy", "convoy",
		"the 3.2 new GIL: drop requests and forced switching", true},
	{8, "gil-is-not-a-lock", "The GIL is not your lock", "gilnotlock", "lost update",
		"the GIL switches between bytecodes, so x = x + f() still races; take a lock of your own", true},
	{9, "free-threading", "Free threading", "freethreading", "free threading",
		"no GIL: atomic and biased reference counting (PEP 703)", true},
}

// InKit returns the lessons that ship in this version of the kit, in order.
func InKit() []Lesson {
	var out []Lesson
	for _, l := range Lessons {
		if l.InKit {
			out = append(out, l)
		}
	}
	return out
}

// Find returns the lesson named by arg: its number ("1", "01"), its slug
// ("lost-update") or its folder name ("01-lost-update"). An unknown name
// gets an error that lists the valid ones.
func Find(arg string) (Lesson, error) {
	arg = strings.TrimSuffix(strings.TrimSpace(arg), "/")
	arg = filepath.Base(arg)
	for _, l := range Lessons {
		if n, err := strconv.Atoi(arg); err == nil && n == l.Number {
			return l, nil
		}
		if arg == l.Slug || arg == l.Dir() {
			return l, nil
		}
	}
	var valid []string
	for _, l := range InKit() {
		valid = append(valid, fmt.Sprintf("%d or %s", l.Number, l.Slug))
	}
	return Lesson{}, fmt.Errorf("course: no lesson %q; the lessons are: %s", arg, strings.Join(valid, ", "))
}

// ErrNoRoot is returned by Root outside a racekit checkout.
var ErrNoRoot = errors.New("course: not inside a racekit checkout (no go.mod with a lessons/ folder above the working directory)")

// Root finds the kit's root folder: the nearest folder at or above the
// working directory that holds go.mod and lessons/.
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if isFile(filepath.Join(dir, "go.mod")) && isDir(filepath.Join(dir, "lessons")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", ErrNoRoot
		}
		dir = parent
	}
}

// SpecFiles lists the names of the *_test.go files in dir, sorted. Like
// the go command, it skips names that start with "." or "_".
func SpecFiles(dir string) ([]string, error) { return goFiles(dir, true) }

// ExerciseFiles lists the names of the .go files in dir that are not
// tests, sorted: the files a learner edits. Like the go command, it skips
// names that start with "." or "_".
func ExerciseFiles(dir string) ([]string, error) { return goFiles(dir, false) }

func goFiles(dir string, tests bool) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		name := e.Name()
		// Like the go command, skip names starting with "." or "_" (an
		// editor's lock or backup file, say).
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
			continue
		}
		if strings.HasSuffix(name, "_test.go") == tests {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out, nil
}

func isFile(p string) bool { st, err := os.Stat(p); return err == nil && !st.IsDir() }
func isDir(p string) bool  { st, err := os.Stat(p); return err == nil && st.IsDir() }
