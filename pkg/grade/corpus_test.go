package grade_test

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/racekit/racekit/pkg/course"
	"github.com/racekit/racekit/pkg/grade"
)

// corpusDir is the corpus of submissions, below the kit's root: a folder
// per case, each with an expect.txt and the files in which the submission
// differs from its base, at lessons/NN-slug/<file>.
var corpusDir = filepath.Join("testdata", "submissions")

// A corpusCase is one submission of the corpus and what grading it must
// say, as its expect.txt describes it:
//
//	# the learner's DecRef spins forever
//	base: starter
//	lessons: 1
//	timeout: 5s
//	status: error
//	message: hangs
//	spec: error Object when one goroutine
//	spec-message: DecRef
//
// Keys, one a line ('#' starts a comment; the first comment is the case's
// description):
//
//   - base (once, required): the submission's files before the case's own
//     are laid over them. "starter" is every lesson's starter exercise
//     files (testdata/starters/NN-slug) with the kit's specs;
//     "solution" is every lesson's solution (solutions/NN-slug).
//   - lessons (once, required): the lessons graded, by number,
//     comma-separated, or "all" for every lesson in the kit.
//   - fixture (repeatable): a fixture of testdata/fixtures,
//     "01-lost-update/refcount-unlocked", whose .go files are laid over
//     that lesson's folder too.
//   - delete (repeatable): a path, relative to the submission's root,
//     removed from it after everything else was laid down.
//   - timeout (once): Grader.Timeout, as time.ParseDuration reads it.
//   - status (once, required): the status of every lesson graded, and so
//     of the whole result.
//   - score (once): the whole result's score, "6 of 6".
//   - message (repeatable): text every graded lesson's Message contains;
//     "{concept}" in it stands for the lesson's concept phrase.
//   - spec (repeatable): "STATUS TEXT": every graded lesson has a Spec
//     with that status whose name contains TEXT.
//   - spec-message (repeatable): text the Message of the spec named on
//     the nearest spec line above contains.
//   - no-spec (repeatable): text no Spec name of a graded lesson contains.
type corpusCase struct {
	Name     string // the case's folder name
	Dir      string // the case's folder
	About    string
	Base     string
	Lessons  []course.Lesson
	Fixtures []string
	Delete   []string
	Timeout  time.Duration
	Status   grade.Status
	Score    []int // nil, or {score, max score}
	Messages []string
	Specs    []specExpectation
	NoSpecs  []string
}

// specExpectation is a spec line of expect.txt with its spec-message lines.
type specExpectation struct {
	Status   grade.Status
	Name     string
	Messages []string
}

// parseCase reads a case's expect.txt. Errors name the line.
func parseCase(text string) (corpusCase, error) {
	var c corpusCase
	seen := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "#") {
			if c.About == "" {
				c.About = strings.TrimSpace(strings.TrimPrefix(line, "#"))
			}
			continue
		}
		key, value, ok := strings.Cut(line, ":")
		value = strings.TrimSpace(value)
		if !ok || value == "" {
			return c, fmt.Errorf("line %d: want \"key: value\", got %q", n, line)
		}
		once := map[string]bool{"base": true, "lessons": true, "timeout": true, "status": true, "score": true}
		if once[key] && seen[key] {
			return c, fmt.Errorf("line %d: %s given twice", n, key)
		}
		seen[key] = true
		var err error
		switch key {
		case "base":
			if value != "starter" && value != "solution" {
				err = fmt.Errorf("base must be starter or solution, got %q", value)
			}
			c.Base = value
		case "lessons":
			c.Lessons, err = parseLessonList(value)
		case "fixture":
			c.Fixtures = append(c.Fixtures, value)
		case "delete":
			if !filepath.IsLocal(value) {
				err = fmt.Errorf("delete needs a path inside the submission, got %q", value)
			}
			c.Delete = append(c.Delete, value)
		case "timeout":
			c.Timeout, err = time.ParseDuration(value)
		case "status":
			c.Status, err = parseStatus(value)
		case "score":
			var got, of int
			if _, serr := fmt.Sscanf(value, "%d of %d", &got, &of); serr != nil {
				err = fmt.Errorf("score must read \"N of M\", got %q", value)
			}
			c.Score = []int{got, of}
		case "message":
			c.Messages = append(c.Messages, value)
		case "spec":
			status, name, _ := strings.Cut(value, " ")
			s := specExpectation{Name: strings.TrimSpace(name)}
			if s.Status, err = parseStatus(status); err == nil && s.Name == "" {
				err = errors.New("spec needs a status and the text of the spec's name")
			}
			c.Specs = append(c.Specs, s)
		case "spec-message":
			if len(c.Specs) == 0 {
				err = errors.New("spec-message needs a spec line above it")
			} else {
				last := &c.Specs[len(c.Specs)-1]
				last.Messages = append(last.Messages, value)
			}
		case "no-spec":
			c.NoSpecs = append(c.NoSpecs, value)
		default:
			err = fmt.Errorf("unknown key %q", key)
		}
		if err != nil {
			return c, fmt.Errorf("line %d: %w", n, err)
		}
	}
	for _, key := range []string{"base", "lessons", "status"} {
		if !seen[key] {
			return c, fmt.Errorf("no %q line", key)
		}
	}
	return c, sc.Err()
}

// parseStatus reads a lesson or spec status.
func parseStatus(s string) (grade.Status, error) {
	for _, st := range []grade.Status{grade.Pass, grade.Fail, grade.Error, grade.Skipped} {
		if s == string(st) {
			return st, nil
		}
	}
	return "", fmt.Errorf("a status is pass, fail, error or skipped, got %q", s)
}

// parseLessonList reads "1,3" or "all".
func parseLessonList(s string) ([]course.Lesson, error) {
	if s == "all" {
		return course.InKit(), nil
	}
	var out []course.Lesson
	for _, part := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil || n < 1 || n > len(course.Lessons) || !course.Lessons[n-1].InKit {
			return nil, fmt.Errorf("lessons: %q is not the number of a lesson in the kit", part)
		}
		out = append(out, course.Lessons[n-1])
	}
	return out, nil
}

// loadCorpus reads every case of the corpus below the kit's root kit.
func loadCorpus(kit string) ([]corpusCase, error) {
	root := filepath.Join(kit, corpusDir)
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	var out []corpusCase
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(root, e.Name())
		text, err := os.ReadFile(filepath.Join(dir, "expect.txt"))
		if err != nil {
			return nil, fmt.Errorf("case %s: %w", e.Name(), err)
		}
		c, err := parseCase(string(text))
		if err != nil {
			return nil, fmt.Errorf("%s/expect.txt: %w", filepath.Join(corpusDir, e.Name()), err)
		}
		c.Name, c.Dir = e.Name(), dir
		out = append(out, c)
	}
	return out, nil
}

// assemble writes the case's submission into dst: its base for every
// lesson in the kit, then the case's own files, its fixtures, and last its
// deletions.
func (c corpusCase) assemble(kit, dst string) error {
	for _, l := range course.InKit() {
		var err error
		if c.Base == "solution" {
			err = copyGoFiles(l.SolutionDir(kit), l.LessonDir(dst), nil)
		} else {
			err = errors.Join(
				copyGoFiles(l.StarterDir(kit), l.LessonDir(dst), nil),
				copyGoFiles(l.SolutionDir(kit), l.LessonDir(dst), func(name string) bool { return strings.HasSuffix(name, "_test.go") }))
		}
		if err != nil {
			return err
		}
	}
	own, err := os.ReadDir(filepath.Join(c.Dir, "lessons"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	for _, e := range own {
		if err := copyGoFiles(filepath.Join(c.Dir, "lessons", e.Name()), filepath.Join(dst, "lessons", e.Name()), nil); err != nil {
			return err
		}
	}
	for _, f := range c.Fixtures {
		lesson, _, _ := strings.Cut(f, "/")
		if err := copyGoFiles(filepath.Join(kit, "testdata", "fixtures", f), filepath.Join(dst, "lessons", lesson), nil); err != nil {
			return err
		}
	}
	for _, d := range c.Delete {
		if err := os.RemoveAll(filepath.Join(dst, d)); err != nil {
			return err
		}
	}
	return nil
}

// copyGoFiles copies the .go files of src that keep accepts (all when keep
// is nil) into dst, making dst if need be. A src with no .go file is an
// error: a case built on nothing tests nothing.
func copyGoFiles(src, dst string, keep func(string) bool) error {
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	copied := 0
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || keep != nil && !keep(name) {
			continue
		}
		data, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dst, name), data, 0o644); err != nil {
			return err
		}
		copied++
	}
	if copied == 0 {
		return fmt.Errorf("%s holds no .go file to copy", src)
	}
	return nil
}

// snapshot is every file below a folder: its mode and bytes, by path
// relative to the folder; folders are listed with their mode alone.
type snapshot map[string]string

// takeSnapshot records every file and folder below root.
func takeSnapshot(root string) (snapshot, error) {
	s := snapshot{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		entry := info.Mode().String()
		if !d.IsDir() {
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			entry += "\n" + string(data)
		}
		s[rel] = entry
		return nil
	})
	return s, err
}

// changes lists the paths that were added, removed or changed between s
// and later, sorted, each with what happened to it.
func (s snapshot) changes(later snapshot) []string {
	var out []string
	for path, before := range s {
		after, ok := later[path]
		switch {
		case !ok:
			out = append(out, path+" was removed")
		case before != after:
			out = append(out, path+" was changed")
		}
	}
	for path := range later {
		if _, ok := s[path]; !ok {
			out = append(out, path+" was added")
		}
	}
	slices.Sort(out)
	return out
}
