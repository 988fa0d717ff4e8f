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
	"syscall"
	"time"

	"github.com/racekit/racekit/pkg/internal/course"
	"github.com/racekit/racekit/pkg/internal/grade"
	"github.com/racekit/racekit/pkg/internal/testrun"
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
//   - link (repeatable): "PATH -> TARGET": PATH, relative to the
//     submission's root, is removed and made a symbolic link to TARGET,
//     after the deletions. "{kit}" in TARGET stands for the kit's root; a
//     relative TARGET is relative to the link's folder. (Links are made
//     while assembling: the repository holds none.)
//   - fifo (repeatable): PATH is made a named pipe, after the links.
//   - generate (repeatable): "PATH SIZE": PATH is made a Go file of SIZE
//     (as testrun.ParseBytes reads it: 64MiB) in the lesson's package, all
//     comments, after the links (so that the repository holds no big file).
//   - timeout (once): Grader.Timeout, as time.ParseDuration reads it.
//   - build-timeout (once): Grader.BuildTimeout, likewise.
//   - build-memory, memory (once each): Grader.BuildMemory and
//     Grader.Memory, as testrun.ParseBytes reads them: 256MiB.
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
	Links    [][2]string // {path, target}
	Fifos    []string
	Generate []generated
	Timeout  time.Duration
	// BuildTimeout, BuildMemory and Memory are the Grader's fields of
	// those names; zero leaves the Grader's default.
	BuildTimeout time.Duration
	BuildMemory  int64
	Memory       int64
	Status       grade.Status
	Score        []int // nil, or {score, max score}
	Messages     []string
	Specs        []specExpectation
	NoSpecs      []string
}

// generated is a generate line of expect.txt: a file to write of a size.
type generated struct {
	Path string
	Size int64
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
		once := map[string]bool{"base": true, "lessons": true, "timeout": true, "status": true, "score": true,
			"build-timeout": true, "build-memory": true, "memory": true}
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
			err = localPath(key, value)
			c.Delete = append(c.Delete, value)
		case "link":
			from, to, ok := strings.Cut(value, " -> ")
			from, to = strings.TrimSpace(from), strings.TrimSpace(to)
			if !ok || !filepath.IsLocal(from) || to == "" {
				err = fmt.Errorf("link needs \"PATH -> TARGET\" with PATH inside the submission, got %q", value)
			}
			c.Links = append(c.Links, [2]string{from, to})
		case "fifo":
			err = localPath(key, value)
			c.Fifos = append(c.Fifos, value)
		case "generate":
			path, size, _ := strings.Cut(value, " ")
			g := generated{Path: path}
			if g.Size, err = testrun.ParseBytes(size); err == nil && !filepath.IsLocal(path) {
				err = fmt.Errorf("generate needs a path inside the submission, got %q", value)
			}
			c.Generate = append(c.Generate, g)
		case "timeout":
			c.Timeout, err = time.ParseDuration(value)
		case "build-timeout":
			c.BuildTimeout, err = time.ParseDuration(value)
		case "build-memory":
			c.BuildMemory, err = testrun.ParseBytes(value)
		case "memory":
			c.Memory, err = testrun.ParseBytes(value)
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

// localPath says that key needs a path inside the submission, unless
// value is one.
func localPath(key, value string) error {
	if filepath.IsLocal(value) {
		return nil
	}
	return fmt.Errorf("%s needs a path inside the submission, got %q", key, value)
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
	// replace removes what is at path and has put make something there.
	replace := func(path string, put func(at string) error) error {
		at := filepath.Join(dst, path)
		if err := errors.Join(os.RemoveAll(at), os.MkdirAll(filepath.Dir(at), 0o755)); err != nil {
			return err
		}
		return put(at)
	}
	for _, l := range c.Links {
		if err := replace(l[0], func(at string) error { return os.Symlink(strings.ReplaceAll(l[1], "{kit}", kit), at) }); err != nil {
			return err
		}
	}
	for _, f := range c.Fifos {
		if err := replace(f, func(at string) error { return syscall.Mkfifo(at, 0o644) }); err != nil {
			return err
		}
	}
	for _, g := range c.Generate {
		if err := generate(filepath.Join(dst, g.Path), g.Size); err != nil {
			return err
		}
	}
	return nil
}

// generate writes a Go file of size bytes at path: a package clause (of
// the package the folder's other files name) and comment lines.
func generate(path string, size int64) error {
	pkg := "main"
	if others, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "*.go")); len(others) > 0 {
		if data, err := os.ReadFile(others[0]); err == nil {
			for _, line := range strings.Split(string(data), "\n") {
				if name, ok := strings.CutPrefix(line, "package "); ok {
					pkg = strings.TrimSpace(name)
					break
				}
			}
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	head := "package " + pkg + "\n"
	w.WriteString(head)
	line := "// " + strings.Repeat("a comment that goes on ", 3) + "\n"
	for n := int64(len(head)); n < size; n += int64(len(line)) {
		w.WriteString(line[:min(int64(len(line)), size-n)])
	}
	return errors.Join(w.Flush(), f.Close())
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
// relative to the folder; folders and special files are listed with their
// mode alone, links with their target (never followed).
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
		switch {
		case info.Mode().IsRegular():
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			entry += "\n" + string(data)
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(path)
			if err != nil {
				return err
			}
			entry += " -> " + target
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
