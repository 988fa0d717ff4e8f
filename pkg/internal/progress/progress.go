// Package progress keeps a learner's progress through the course in a small
// JSON file in the working tree (.racekit/progress.json below the kit's
// root, which .gitignore leaves out): the result of each lesson's last
// check and how many of its hints have been shown.
//
// A State is a plain value: it is not safe for concurrent use, and two
// racekit processes saving at once keep whichever saved last. Save replaces
// the file atomically, so a reader never sees half a file.
package progress

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/racekit/racekit/pkg/internal/course"
)

// Dir is the folder, below the kit's root, where racekit keeps what it
// writes for the learner: this state file and reset's backups.
const Dir = ".racekit"

// FileName is the state file's name inside Dir.
const FileName = "progress.json"

// Status is the result of a lesson's last check.
type Status string

// The statuses a lesson can have.
const (
	NotRun  Status = "not yet run" // never checked (the zero Lesson's status reads as this)
	Passed  Status = "passed"      // the last check passed
	Failing Status = "failing"     // the last check failed, did not build or hung
)

// Lesson is the progress on one lesson. Its zero value is a lesson never
// checked, with no hints shown.
type Lesson struct {
	Status     Status    `json:"status,omitempty"`
	CheckedAt  time.Time `json:"checked_at,omitzero"`
	HintsShown int       `json:"hints_shown,omitempty"`
}

// State is the progress on every lesson, keyed by the lesson's folder name
// ("01-lost-update"). Its zero value is a learner who has done nothing yet.
type State struct {
	Lessons map[string]Lesson `json:"lessons"`
}

// Path is the state file's path below root.
func Path(root string) string { return filepath.Join(root, Dir, FileName) }

// Load reads the state below root. A missing file is a fresh start, not an
// error; a file that is not valid JSON, or that records a negative number
// of hints shown, gets an error that names it and says how to put it right.
func Load(root string) (*State, error) {
	s := &State{Lessons: map[string]Lesson{}}
	data, err := os.ReadFile(Path(root))
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("progress: %w", err)
	}
	if err := json.Unmarshal(data, s); err != nil {
		return nil, fmt.Errorf("progress: %s is not a racekit progress file (%v); delete it to start the progress record afresh (your code is not touched)", Path(root), err)
	}
	if s.Lessons == nil {
		s.Lessons = map[string]Lesson{}
	}
	for _, name := range slices.Sorted(maps.Keys(s.Lessons)) {
		if n := s.Lessons[name].HintsShown; n < 0 {
			return nil, fmt.Errorf("progress: %s says %d hints of %s were shown, and a count of hints cannot be negative; set its hints_shown to 0, or delete the file to start the progress record afresh (your code is not touched)", Path(root), n, name)
		}
	}
	return s, nil
}

// Save writes the state below root, creating the folder if needed. It
// writes a temporary file and renames it over the old one.
func (s *State) Save(root string) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("progress: %w", err)
	}
	dir := filepath.Join(root, Dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("progress: %w", err)
	}
	tmp, err := os.CreateTemp(dir, FileName+".*")
	if err != nil {
		return fmt.Errorf("progress: %w", err)
	}
	_, werr := tmp.Write(append(data, '\n'))
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("progress: %w", err)
	}
	if err := os.Rename(tmp.Name(), Path(root)); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("progress: %w", err)
	}
	return nil
}

// Of returns the progress on lesson l; a lesson never recorded has the zero
// Lesson, whose Status reads NotRun.
func (s *State) Of(l course.Lesson) Lesson {
	p := s.Lessons[l.Dir()]
	if p.Status == "" {
		p.Status = NotRun
	}
	return p
}

// Set records the progress on lesson l.
func (s *State) Set(l course.Lesson, p Lesson) {
	if s.Lessons == nil {
		s.Lessons = map[string]Lesson{}
	}
	s.Lessons[l.Dir()] = p
}

// Checked records the result of a check of lesson l at time at, keeping
// the hints shown.
func (s *State) Checked(l course.Lesson, passed bool, at time.Time) {
	p := s.Of(l)
	p.Status, p.CheckedAt = Failing, at
	if passed {
		p.Status = Passed
	}
	s.Set(l, p)
}

// Next returns the first of lessons whose last check did not pass, and
// false when every one of them has passed.
func (s *State) Next(lessons []course.Lesson) (course.Lesson, bool) {
	for _, l := range lessons {
		if s.Of(l).Status != Passed {
			return l, true
		}
	}
	return course.Lesson{}, false
}
