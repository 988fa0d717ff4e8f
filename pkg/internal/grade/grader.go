package grade

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/racekit/racekit/pkg/internal/course"
	"github.com/racekit/racekit/pkg/internal/testrun"
)

// DefaultTimeout is how long a lesson's specs may run when Grader.Timeout
// is zero. A correct lesson takes well under two seconds under -race; the
// specs give up on a hung call after ten.
const DefaultTimeout = time.Minute

// The limits a Grader applies when its fields leave them zero. A lesson's
// race-enabled build takes 3 s and 250 MB warm (the standard library's
// race build, cold, takes a minute or two on two cores); its test binary
// runs in under 2 s in 55 MB and a dozen threads.
const (
	DefaultBuildTimeout = 5 * time.Minute // Grader.BuildTimeout
	DefaultBuildMemory  = 3 << 30         // Grader.BuildMemory, in bytes: 3 GiB
	DefaultMemory       = 1 << 30         // Grader.Memory, in bytes: 1 GiB
	DefaultThreads      = 500             // Grader.Threads
)

// The limits on what grading reads of a submission, which no Grader field
// changes. A lesson's code is a few kilobytes.
const (
	// MaxExerciseFile is the largest exercise file graded, in bytes: a
	// larger one makes the lesson an error before anything reads it.
	MaxExerciseFile = course.MaxFile
	// MaxExerciseTotal is the most bytes of exercise files a lesson may
	// hold together.
	MaxExerciseTotal = 4 << 20
	// MaxEntries is the most files and folders a lesson's folder may hold,
	// at every depth.
	MaxEntries = 1000
	// MaxMessage is the longest message, spec name or other text of a
	// Lesson and of its Report, in bytes; a longer one keeps its first and
	// last halves and says how much it left out.
	MaxMessage = 16 << 10
)

// Grader grades submissions against the kit checked out at Kit. The zero
// value is not usable: Kit is required. A Grader holds no state between
// calls, so one may grade several submissions at once.
//
// A submission is untrusted: grading refuses a lesson folder holding links
// or special files before reading any of them, reads at most
// MaxExerciseFile of each exercise file, bounds the build by BuildTimeout
// and BuildMemory and the test binary by Timeout, Memory and Threads (see
// testrun.Limits for how), runs the test binary with testrun.MinimalEnv,
// and bounds every text of the result by MaxMessage. Each limit a lesson
// crosses is that lesson's error; the other lessons are graded as usual.
type Grader struct {
	// Kit is the root of a pristine racekit checkout: its solutions/
	// folders hold the specs every lesson is graded with, and its pkg/
	// folder the machinery the specs use.
	Kit string
	// Timeout is how long each lesson's specs may run; zero means
	// DefaultTimeout.
	Timeout time.Duration
	// BuildTimeout is how long each lesson's build may take, the go
	// command's compilers and linker included; zero means
	// DefaultBuildTimeout.
	BuildTimeout time.Duration
	// BuildMemory is the most resident memory, in bytes, each lesson's
	// build may use (the go command and every compiler it starts, together);
	// zero means DefaultBuildMemory, less than zero no limit.
	BuildMemory int64
	// Memory is the most resident memory, in bytes, each lesson's test
	// binary may use (with anything it starts); zero means DefaultMemory,
	// less than zero no limit.
	Memory int64
	// Threads is the most threads each lesson's test binary may have (with
	// anything it starts); zero means DefaultThreads, less than zero no
	// limit.
	Threads int
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
	// Env is added to the environment of each lesson's test binary (see
	// testrun.Options.Env): racekit replay asks the specs to show a
	// schedule with it (interleave.EnvReplaySchedule). Grading leaves it
	// empty.
	Env []string
	// Verdicts, when not nil, remembers every lesson's verdict, and a
	// lesson whose code was graded before with this Grader's settings
	// takes that verdict (marked Reused) instead of being built and run:
	// give one Verdicts to the gradings of a whole class.
	Verdicts *Verdicts
	// Exec, when not nil, is handed the lesson's test binary, built and
	// checked as for grading, in place of the specs' run: racekit play
	// runs it on the learner's terminal. dir is the lesson's folder, where
	// the binary should run; the binary is removed once Exec returns.
	// Lesson then returns with the lesson's Status empty and Exec's error,
	// unless the lesson could not be built or was turned away (Error or
	// Fail, as when grading).
	Exec func(ctx context.Context, bin, dir string) error
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

// Lesson grades one lesson of the submission rooted at submission. Like
// Grade, it returns an error only when grading itself cannot go on.
func (g Grader) Lesson(ctx context.Context, submission string, l course.Lesson) (Lesson, error) {
	out, err := g.lesson(ctx, submission, l)
	return out.bounded(), err
}

// lesson is Lesson, before the result's texts are bounded.
func (g Grader) lesson(ctx context.Context, submission string, l course.Lesson) (Lesson, error) {
	kitDir := l.LessonDir(g.Kit)
	out := Lesson{Slug: l.Slug, Title: l.Title, MaxScore: 1, Lesson: l, Dir: kitDir}
	subDir := l.LessonDir(submission)
	// Nothing of the folder is read before every entry is known to be a
	// plain file or folder: a link could lead to /dev/zero, a pipe, or a
	// folder of the grading host.
	sizes, msg := plainFolder(submission, l)
	if msg != "" {
		return out.error(msg, ""), nil
	}
	exercise, err := course.ExerciseFiles(subDir)
	switch {
	case err != nil:
		return out.error(fmt.Sprintf("the submission's lessons/%s folder cannot be read: %v", l.Dir(), err), ""), nil
	case len(exercise) == 0:
		return out.error(fmt.Sprintf("the submission's lessons/%s folder has none of the lesson's code (no .go file but its tests)", l.Dir()), ""), nil
	}
	if msg := tooBig(sizes, exercise); msg != "" {
		return out.error(msg, ""), nil
	}
	// The pristine specs come from the kit's solution, whose spec files
	// are byte-identical to the lesson's.
	specs, err := course.SpecFiles(l.SolutionDir(g.Kit))
	if err != nil || len(specs) == 0 {
		return out, fmt.Errorf("grade: the kit at %s has no specs for %s (solutions/%s)", g.Kit, l.Dir(), l.Dir())
	}
	if out.Ignored, err = ignoredTests(subDir, l.SolutionDir(g.Kit), specs); err != nil {
		return out, err
	}
	diff, err := course.CompareFiles(course.ExerciseFiles, l.SolutionDir(g.Kit), subDir)
	out.SameAsSolution = err == nil && diff == nil
	rules := breakRules(subDir, filepath.Join("lessons", l.Dir()), exercise)
	if msg := rules.message(); msg != "" {
		return out.refuse(msg), nil
	}
	if out.Code, err = course.Fingerprint(course.ExerciseFiles, subDir); err != nil {
		return out.error(fmt.Sprintf("the submission's lessons/%s folder cannot be read: %v", l.Dir(), err), ""), nil
	}
	if g.Verdicts == nil {
		return g.run(ctx, out, subDir, exercise, specs, rules)
	}
	return g.Verdicts.reach(ctx, g.verdictKey(out), func() (Lesson, error) {
		return g.run(ctx, out, subDir, exercise, specs, rules)
	})
}

// run builds the lesson's exercise files, subDir's exercise, with the
// kit's specs and runs them: the part of grading a lesson that Verdicts
// saves, since it depends on nothing but the exercise files' bytes and
// out's notes once the checks before it have passed.
func (g Grader) run(ctx context.Context, out Lesson, subDir string, exercise, specs []string, rules ruleCheck) (Lesson, error) {
	l := out.Lesson
	timeout := cmp.Or(g.Timeout, DefaultTimeout)
	kitDir := l.LessonDir(g.Kit)
	work, err := os.MkdirTemp("", "racekit-grade-"+l.Dir()+"-")
	if err != nil {
		return out, fmt.Errorf("grade: %w", err)
	}
	defer os.RemoveAll(work)
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
	build := testrun.Build{
		Dir: g.Kit, Package: "./lessons/" + l.Dir(), Race: true, Overlay: overlay, Output: bin,
		Timeout: cmp.Or(g.BuildTimeout, DefaultBuildTimeout), Limits: testrun.Limits{Memory: limit(g.BuildMemory, DefaultBuildMemory)},
	}
	err = testrun.Compile(ctx, build)
	var (
		be *testrun.BuildError
		le *testrun.LimitError
	)
	switch {
	case errors.As(err, &le) && ctx.Err() == nil:
		return out.error(buildLimitMessage(le), ""), nil
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
	// The second build, without the specs, finds the exercise code's uses
	// of names the spec files declare; code that spells none of them uses
	// none (see ruleCheck.mayNameAny), so the build is left out for it.
	specNames, err := declaredNames(l.SolutionDir(g.Kit), specs)
	if err != nil {
		return out, err
	}
	if rules.mayNameAny(specNames) {
		if msg, err := g.specsOutOfReach(ctx, build, work, l); err != nil {
			if errors.As(err, &le) && ctx.Err() == nil {
				return out.error(buildLimitMessage(le), ""), nil
			}
			return out, err
		} else if msg != "" {
			return out.refuse(msg), nil
		}
	}
	if g.Exec != nil {
		return out, g.Exec(ctx, bin, kitDir)
	}
	run, err := testrun.Run(ctx, bin, testrun.Options{
		Dir: kitDir, Timeout: timeout, Report: filepath.Join(work, "report.json"), Env: g.Env,
		Limits: testrun.Limits{Memory: limit(g.Memory, DefaultMemory), Threads: int(limit(int64(g.Threads), DefaultThreads))},
	})
	if err != nil {
		return out, fmt.Errorf("grade: %w", err)
	}
	if ctx.Err() != nil {
		return out, ctx.Err()
	}
	return judge(out, run, timeout), nil
}

// specsOutOfReach builds the lesson's code without its specs, as
// testrun.CompileAlone does, and returns a refusal naming every place the
// compiler found a name missing, or "" when it builds: the lesson's code
// built with its specs, so a name it lacks alone is one a spec file
// declares, and an init that changes one changes what the specs check. The
// build is build's, with its limits; a *testrun.LimitError comes back as
// the error.
func (g Grader) specsOutOfReach(ctx context.Context, build testrun.Build, work string, l course.Lesson) (string, error) {
	err := testrun.CompileAlone(ctx, build)
	var be *testrun.BuildError
	switch {
	case err == nil:
		return "", nil
	case errors.As(err, &be) && ctx.Err() == nil:
		_, problems, _ := strings.Cut(buildMessage(be, g.Kit, work, l), "\n")
		return "the lesson's code breaks the rules for exercise files, so its specs were not run: it builds with its " +
			"specs but not without them, so it uses names that a spec file declares, and exercise code may not touch " +
			"the specs' own names (an init that changes one changes what the specs check):\n" + problems +
			"\n(what a lesson's code may use: the kit's README.md, \"How a lesson works\", step 3)", nil
	}
	return "", err
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
		data, err := course.ReadPlain(from, MaxExerciseFile)
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
		b, err := os.ReadFile(filepath.Join(pristineDir, name))
		if err != nil {
			return nil, fmt.Errorf("grade: %w", err)
		}
		// Only compared with the kit's: a byte more than the kit's copy
		// is enough to tell it was edited.
		a, err := course.ReadPlain(filepath.Join(subDir, name), int64(len(b))+1)
		if err != nil && !errors.Is(err, course.ErrTooBig) {
			return nil, fmt.Errorf("grade: %w", err)
		}
		if err != nil || !bytes.Equal(a, b) {
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

// limit is a limit field's value: def when it is zero, 0 (no limit) when
// it is negative.
func limit(v, def int64) int64 {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}

// plainFolder checks the submission's folder for lesson l, without
// following a link or reading a file: lessons/ and lessons/NN-slug must be
// folders, and everything below the latter plain files and folders, at
// most MaxEntries of them. It returns the size of each file directly in
// the folder, or a message saying what is wrong.
func plainFolder(submission string, l course.Lesson) (map[string]int64, string) {
	shown := "lessons/" + l.Dir()
	for _, rel := range []string{"lessons", shown} {
		st, err := os.Lstat(filepath.Join(submission, rel))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Sprintf("the submission has no %s folder", shown)
		case err != nil:
			return nil, fmt.Sprintf("the submission's %s folder cannot be read: %v", rel, err)
		case st.Mode()&fs.ModeSymlink != 0:
			return nil, fmt.Sprintf("the submission's %s is a link, not a folder: grading reads only plain files in plain folders "+
				"(a link could lead anywhere on the grading machine); copy the lesson's files into a folder of its own", rel)
		case !st.IsDir():
			return nil, fmt.Sprintf("the submission's %s is not a folder (%s)", rel, kind(st.Mode()))
		}
	}
	sizes := map[string]int64{}
	var bad []string
	entries := 0
	var walk func(dir, rel string) string
	walk = func(dir, rel string) string {
		f, err := os.Open(dir)
		if err != nil {
			return fmt.Sprintf("the submission's %s folder cannot be read: %v", path.Join(shown, rel), err)
		}
		defer f.Close()
		for {
			// In batches, so that a folder of a million entries is not
			// read whole before it is refused.
			batch, err := f.ReadDir(100)
			for _, e := range batch {
				if entries++; entries > MaxEntries {
					return fmt.Sprintf("the submission's %s folder holds more than %d files and folders; a lesson holds about ten", shown, MaxEntries)
				}
				name := path.Join(rel, e.Name())
				switch t := e.Type(); {
				case t.IsDir():
					if msg := walk(filepath.Join(dir, e.Name()), name); msg != "" {
						return msg
					}
				case t.IsRegular():
					if rel == "" {
						info, err := e.Info()
						if err != nil {
							return fmt.Sprintf("the submission's %s cannot be read: %v", path.Join(shown, name), err)
						}
						sizes[name] = info.Size()
					}
				default:
					bad = append(bad, fmt.Sprintf("%s: not a plain file (%s)", name, kind(t)))
				}
			}
			if err == io.EOF {
				return ""
			}
			if err != nil {
				return fmt.Sprintf("the submission's %s folder cannot be read: %v", path.Join(shown, rel), err)
			}
		}
	}
	if msg := walk(filepath.Join(submission, shown), ""); msg != "" {
		return nil, msg
	}
	if len(bad) > 0 {
		slices.Sort(bad)
		return nil, fmt.Sprintf("the submission's %s folder holds what is not a plain file, so none of it was read:\n  %s\n"+
			"a lesson's folder may hold only plain files and folders: a link could lead anywhere on the grading machine "+
			"(/dev/zero, a folder of the grader); replace each link by a copy of the file it points to, and remove the rest "+
			"(an editor's lock file .#name is a link: save and close the file)", shown, strings.Join(bad, "\n  "))
	}
	return sizes, ""
}

// kind names a file mode that is not a plain file's, for a message.
func kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "a link"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m.IsDir():
		return "a folder"
	}
	return "not a plain file"
}

// tooBig returns a message naming the exercise files larger than
// MaxExerciseFile, or all of them when together they are larger than
// MaxExerciseTotal, or "" when neither is.
func tooBig(sizes map[string]int64, exercise []string) string {
	var big []string
	var total int64
	for _, name := range exercise {
		total += sizes[name]
		if sizes[name] > MaxExerciseFile {
			big = append(big, fmt.Sprintf("%s is %s", name, testrun.FormatBytes(sizes[name])))
		}
	}
	switch {
	case len(big) > 0:
		return fmt.Sprintf("too large to grade: %s; an exercise file may be at most %s (a lesson's code is a few kilobytes), so none was read",
			strings.Join(big, ", "), testrun.FormatBytes(MaxExerciseFile))
	case total > MaxExerciseTotal:
		return fmt.Sprintf("too large to grade: the lesson's exercise files are %s together; at most %s, so none was read",
			testrun.FormatBytes(total), testrun.FormatBytes(MaxExerciseTotal))
	}
	return ""
}

// buildLimitMessage says that the lesson's build went over a limit.
func buildLimitMessage(le *testrun.LimitError) string {
	if le.Limit == "time" {
		return fmt.Sprintf("does not build within %s, the build's time limit, so the go command was stopped; "+
			"a build this slow usually comes from generic code instantiated with ever larger types", le.Max)
	}
	return fmt.Sprintf("does not build within the build's %s limit of %s, so the go command and its compiler were stopped; "+
		"a build this large usually comes from generic code instantiated with ever larger types", le.Limit, le.Max)
}
