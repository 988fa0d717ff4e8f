package grade

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/racekit/racekit/pkg/course"
	"github.com/racekit/racekit/pkg/testrun"
)

// DefaultTimeout is how long a lesson's specs may run when Grader.Timeout
// is zero. A correct lesson takes well under two seconds under -race; the
// specs give up on a hung call after ten.
const DefaultTimeout = time.Minute

// Grader grades submissions against the kit checked out at Kit. The zero
// value is not usable: Kit is required. A Grader holds no state between
// calls, so one may grade several submissions at once.
type Grader struct {
	// Kit is the root of a pristine racekit checkout: its solutions/
	// folders hold the specs every lesson is graded with, and its pkg/
	// folder the machinery the specs use.
	Kit string
	// Timeout is how long each lesson's specs may run; zero means
	// DefaultTimeout.
	Timeout time.Duration
	// Parallel is how many lessons Grade builds and runs at once, taken
	// up in the order asked for; zero or less means runtime.GOMAXPROCS(0).
	// Lessons are judged from Ginkgo's report and the race detector, not
	// from how long they took; only a lesson close to Timeout (or to a
	// spec's own limit on a hung call) could tell lessons running side by
	// side from one alone.
	Parallel int
	// Graded, when not nil, is called with each lesson's outcome as Grade
	// has it, in the order the lessons were asked for, from the goroutine
	// that called Grade: a command can show progress with it.
	Graded func(Lesson)
}

// Grade grades lessons of the submission rooted at submission (a folder
// shaped like a racekit checkout: lessons/NN-slug/...). It returns an error
// only when grading itself cannot go on (the go command is missing, say);
// everything wrong with the submission is in the Result.
func (g Grader) Grade(ctx context.Context, submission string, lessons []course.Lesson) (Result, error) {
	if st, err := os.Stat(submission); err != nil || !st.IsDir() {
		return Result{}, fmt.Errorf("grade: the submission %s is not a folder", submission)
	}
	ctx, cancel := context.WithCancel(ctx)
	var (
		wg       sync.WaitGroup
		failOnce sync.Once
		failed   error // the first error of any lesson; read after wg.Wait
	)
	defer func() { cancel(); wg.Wait() }()    // stop the lessons still running
	done := make([]chan Lesson, len(lessons)) // each lesson's outcome, or closed on an error
	parallel := g.Parallel
	if parallel <= 0 {
		parallel = runtime.GOMAXPROCS(0)
	}
	slots := make(chan struct{}, parallel)
	for i := range done {
		done[i] = make(chan Lesson, 1)
	}
	wg.Go(func() {
		// Start the lessons in order, each once a slot is free.
		for i, l := range lessons {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				for _, d := range done[i:] {
					close(d)
				}
				return
			}
			wg.Go(func() {
				defer func() { <-slots }()
				lr, err := g.Lesson(ctx, submission, l)
				if err != nil {
					failOnce.Do(func() { failed = err; cancel() })
					close(done[i])
					return
				}
				done[i] <- lr
			})
		}
	})
	var r Result
	for i := range lessons {
		lr, ok := <-done[i]
		if !ok {
			cancel()
			wg.Wait()
			return r, cmp.Or(failed, ctx.Err())
		}
		if g.Graded != nil {
			g.Graded(lr)
		}
		r.Add(lr)
	}
	return r, nil
}

// Lesson grades one lesson of the submission rooted at submission.
func (g Grader) Lesson(ctx context.Context, submission string, l course.Lesson) (Lesson, error) {
	timeout := g.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	kitDir := l.LessonDir(g.Kit)
	out := Lesson{Slug: l.Slug, Title: l.Title, MaxScore: 1, Lesson: l, Dir: kitDir}
	subDir := l.LessonDir(submission)
	exercise, err := course.ExerciseFiles(subDir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return out.error(fmt.Sprintf("the submission has no lessons/%s folder", l.Dir()), ""), nil
	case err != nil:
		return out.error(fmt.Sprintf("the submission's lessons/%s folder cannot be read: %v", l.Dir(), err), ""), nil
	case len(exercise) == 0:
		return out.error(fmt.Sprintf("the submission's lessons/%s folder has none of the lesson's code (no .go file but its tests)", l.Dir()), ""), nil
	}
	work, err := os.MkdirTemp("", "racekit-grade-"+l.Dir()+"-")
	if err != nil {
		return out, fmt.Errorf("grade: %w", err)
	}
	defer os.RemoveAll(work)

	// The pristine specs come from the kit's solution, whose spec files
	// are byte-identical to the lesson's.
	specs, err := course.SpecFiles(l.SolutionDir(g.Kit))
	if err != nil || len(specs) == 0 {
		return out, fmt.Errorf("grade: the kit at %s has no specs for %s (solutions/%s)", g.Kit, l.Dir(), l.Dir())
	}
	if out.Ignored, err = ignoredTests(subDir, l.SolutionDir(g.Kit), specs); err != nil {
		return out, err
	}
	if msg := notRegular(subDir, exercise); msg != "" {
		return out.error(msg, ""), nil
	}
	out.SameAsSolution = sameFiles(subDir, l.SolutionDir(g.Kit), exercise)
	rules := breakRules(subDir, filepath.Join("lessons", l.Dir()), exercise)
	if msg := rules.message(); msg != "" {
		return out.refuse(msg), nil
	}
	src := map[string]string{} // file name in the lesson -> file to copy
	for _, name := range exercise {
		src[name] = filepath.Join(subDir, name)
	}
	for _, name := range specs {
		src[name] = filepath.Join(l.SolutionDir(g.Kit), name)
	}
	overlay, err := writeOverlay(work, kitDir, src)
	if err != nil {
		return out, err
	}

	bin := filepath.Join(work, l.Package+".test")
	err = testrun.Compile(ctx, testrun.Build{Dir: g.Kit, Package: "./lessons/" + l.Dir(), Race: true, Overlay: overlay, Output: bin})
	var be *testrun.BuildError
	switch {
	case errors.As(err, &be):
		out.Output = strings.ReplaceAll(be.Output, filepath.Join(work, "files")+string(filepath.Separator), "")
		return out.error(buildMessage(be, g.Kit, work, l), out.Output), nil
	case err != nil:
		return out, fmt.Errorf("grade: %w", err)
	case len(rules.Unparsed) > 0:
		// A file go/parser gave up on (it stops at a nesting depth the
		// compiler does not), yet the compiler built: nothing checked it.
		return out.refuse("the lesson's code builds, but the rules for exercise files could not be checked on " +
			strings.Join(rules.Unparsed, ", ") + ", so its specs were not run"), nil
	}
	if msg, err := g.specsOutOfReach(ctx, work, overlay, l, src, specs); err != nil {
		return out, err
	} else if msg != "" {
		return out.refuse(msg), nil
	}
	run, err := testrun.Run(ctx, bin, testrun.Options{Dir: kitDir, Timeout: timeout, Report: filepath.Join(work, "report.json")})
	if err != nil {
		return out, fmt.Errorf("grade: %w", err)
	}
	if ctx.Err() != nil {
		return out, ctx.Err()
	}
	return judge(out, run, timeout), nil
}

// specsOutOfReach type-checks the lesson as it was built and returns a
// refusal naming every place its exercise files use a name a spec file
// declares, or "" when they use none. src maps the lesson's files to where
// they came from; writeOverlay copied them into work/files.
func (g Grader) specsOutOfReach(ctx context.Context, work, overlay string, l course.Lesson, src map[string]string, specs []string) (string, error) {
	exports, err := exportData(ctx, g.Kit, "./lessons/"+l.Dir(), overlay)
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", fmt.Errorf("grade: %s built, but its imports cannot be listed to check its code: %w", l.Dir(), err)
	}
	files := map[string]string{}
	for name := range src {
		files[name] = filepath.Join(work, "files", name)
	}
	used, err := specNamesUsed(files, specs, exports, filepath.Join("lessons", l.Dir()))
	switch {
	case err != nil:
		return "the lesson's code builds, but it could not be checked for names of the specs (" + firstLine(err.Error()) + "), so its specs were not run", nil
	case len(used) > 0:
		return ruleCheck{Broken: used}.message(), nil
	}
	return "", nil
}

// writeOverlay copies the files of src into work/files and writes a
// `go build -overlay` file that puts them in place of the kit's lesson
// folder kitDir, and hides every other .go file there. It returns the
// overlay file's path.
func writeOverlay(work, kitDir string, src map[string]string) (string, error) {
	files := filepath.Join(work, "files")
	if err := os.MkdirAll(files, 0o755); err != nil {
		return "", fmt.Errorf("grade: %w", err)
	}
	replace := map[string]string{}
	for name, from := range src {
		data, err := os.ReadFile(from)
		if err != nil {
			return "", fmt.Errorf("grade: %w", err)
		}
		to := filepath.Join(files, name)
		if err := os.WriteFile(to, data, 0o644); err != nil {
			return "", fmt.Errorf("grade: %w", err)
		}
		replace[filepath.Join(kitDir, name)] = to
	}
	entries, _ := os.ReadDir(kitDir)
	for _, e := range entries {
		if name := e.Name(); strings.HasSuffix(name, ".go") && src[name] == "" {
			replace[filepath.Join(kitDir, name)] = "" // not in the submission: deleted
		}
	}
	data, err := json.MarshalIndent(map[string]any{"Replace": replace}, "", "  ")
	if err != nil {
		return "", fmt.Errorf("grade: %w", err)
	}
	path := filepath.Join(work, "overlay.json")
	return path, os.WriteFile(path, data, 0o644)
}

// ignoredTests lists the submission's test files that grading does not
// use: ones the kit does not have, and edited copies of the kit's specs.
func ignoredTests(subDir, pristineDir string, specs []string) ([]string, error) {
	theirs, err := course.SpecFiles(subDir)
	if err != nil {
		return nil, fmt.Errorf("grade: %w", err)
	}
	var out []string
	for _, name := range theirs {
		if !slices.Contains(specs, name) {
			out = append(out, name+" (not one of the kit's specs)")
			continue
		}
		a, err1 := os.ReadFile(filepath.Join(subDir, name))
		b, err2 := os.ReadFile(filepath.Join(pristineDir, name))
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("grade: %w", err)
		}
		if !bytes.Equal(a, b) {
			out = append(out, name+" (edited; the kit's copy was used)")
		}
	}
	return out, nil
}

// buildMessage says that the lesson did not build and where, with paths
// as the learner knows them (lessons/NN-slug/file.go).
// The go command ran in kit and may print paths relative to it.
func buildMessage(be *testrun.BuildError, kit, work string, l course.Lesson) string {
	if len(be.Problems) == 0 {
		return "does not build:\n" + lastLines(be.Output, 10)
	}
	var lines []string
	for _, p := range be.Problems {
		file := p.File
		if !filepath.IsAbs(file) {
			file = filepath.Join(kit, file)
		}
		if rel, err := filepath.Rel(filepath.Join(work, "files"), file); err == nil && !strings.HasPrefix(rel, "..") {
			file = filepath.Join("lessons", l.Dir(), rel)
		} else if rel, err := filepath.Rel(kit, file); err == nil && !strings.HasPrefix(rel, "..") {
			file = rel
		}

		p.File = file
		lines = append(lines, "  "+p.String())
		if len(lines) == 10 && len(be.Problems) > 10 {
			lines = append(lines, fmt.Sprintf("  (and %d more)", len(be.Problems)-10))
			break
		}
	}
	return "does not build:\n" + strings.Join(lines, "\n")
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// notRegular returns a message naming exercise files that are not regular
// files (a symbolic link, a device), or "" when all are: grading reads
// them, and a link to /dev/zero would never finish reading.
func notRegular(dir string, files []string) string {
	var bad []string
	for _, name := range files {
		if st, err := os.Lstat(filepath.Join(dir, name)); err != nil || !st.Mode().IsRegular() {
			bad = append(bad, name)
		}
	}
	if len(bad) == 0 {
		return ""
	}
	return fmt.Sprintf("%s: not a plain file (a link?); the lesson's code must be plain files in its folder", strings.Join(bad, ", "))
}

// sameFiles reports whether dirs a and b hold the same named files, and
// b no other exercise file, byte for byte.
func sameFiles(a, b string, names []string) bool {
	theirs, err := course.ExerciseFiles(b)
	if err != nil || !slices.Equal(theirs, names) {
		return false
	}
	for _, name := range names {
		x, err1 := os.ReadFile(filepath.Join(a, name))
		y, err2 := os.ReadFile(filepath.Join(b, name))
		if err1 != nil || err2 != nil || !bytes.Equal(x, y) {
			return false
		}
	}
	return true
}
