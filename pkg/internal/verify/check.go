package verify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/racekit/racekit/pkg/internal/course"
	"github.com/racekit/racekit/pkg/internal/testrun"
)

// Check is one of the kit's checks of itself, as the kit's tests and
// racekit verify both run it. KitChecks and Lesson.Checks make them; the
// zero Check has no Run and is not usable.
type Check struct {
	// Name reads as a sentence after its subject, the lesson's folder
	// ("01-lost-update has specs byte-identical to its solution's") or
	// "the course".
	Name string
	// Why says what the check protects, for a test's failure description.
	Why string
	// Run carries out the check; its error says what is wrong.
	Run func(ctx context.Context) error
}

// KitChecks are the checks of the kit as a whole, rooted at root: the
// lessons/ folder and testdata/starters hold one folder per lesson of the
// catalogue in the kit, and no other. They read files only.
func KitChecks(root string) []Check {
	return []Check{
		{
			Name: "has every lesson of the catalogue that is in the kit, and no other",
			Why:  "lessons/ and the catalogue in pkg/internal/course must list the same lessons",
			Run:  func(context.Context) error { return sameLessons(filepath.Join(root, "lessons"), true) },
		},
		{
			Name: "has a pristine starter in testdata/starters for every lesson in the kit, and no other",
			Why:  "racekit reset restores a lesson's starter from testdata/starters",
			Run: func(context.Context) error {
				return sameLessons(filepath.Join(root, "testdata", "starters"), false)
			},
		},
		{
			Name: "has the root README in Korean, with the English one's code blocks",
			Why:  "README.ko.md is the course's front page for Korean learners; its commands and output are the English README's, byte for byte",
			Run: func(context.Context) error {
				return SameCode(filepath.Join(root, "README.md"), filepath.Join(root, "README.ko.md"), "README.ko.md")
			},
		},
	}
}

// sameLessons checks that dir holds one entry per lesson in the kit, named
// as its folder in lessons/, and no other entry (no other folder, when
// dirsOnly).
func sameLessons(dir string, dirsOnly bool) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	var want, got []string
	for _, l := range course.InKit() {
		want = append(want, l.Dir())
	}
	for _, e := range entries {
		if e.IsDir() || !dirsOnly {
			got = append(got, e.Name())
		}
	}
	var missing, extra []string
	for _, name := range want {
		if !slices.Contains(got, name) {
			missing = append(missing, name)
		}
	}
	for _, name := range got {
		if !slices.Contains(want, name) {
			extra = append(extra, name)
		}
	}
	var problems []string
	if len(missing) > 0 {
		problems = append(problems, "it lacks "+strings.Join(missing, ", "))
	}
	if len(extra) > 0 {
		problems = append(problems, "it has "+strings.Join(extra, ", ")+", which the catalogue in pkg/internal/course does not list as in the kit")
	}
	if len(problems) > 0 {
		return fmt.Errorf("verify: %s must hold one folder per lesson in the kit, but %s", dir, strings.Join(problems, "; "))
	}
	return nil
}

// RunsEach is how many times the repeated checks run a starter or a
// solution at each GOMAXPROCS, and pinned to one CPU, by default: a spec
// that fails or passes by luck shows up here. (The verdicts come from the
// controlled scheduler, not from luck; the repeats are the check of that.)
const RunsEach = 2

// MaxProcs are the GOMAXPROCS values the repeated checks run at by
// default: the ones the course's rules for lesson specs name.
var MaxProcs = []int{1, 2, 8}

// RunTimeout is how long one run of a lesson's test binary may take by
// default before it is stopped (see testrun.Options.Timeout).
const RunTimeout = 2 * time.Minute

// parallel is how many builds, and how many runs of a repeated check, go
// at once: linking a test binary, and a lesson's suite under -race, each
// keep a core busy.
const parallel = 2

// Lesson checks one lesson of the kit: that it has its README, hints and
// pristine starter, that its specs are the solution's, that its starter
// fails for the reason the lesson teaches on every run and its solution
// passes on every run, with and without -race, and that each of its
// fixtures fails or passes as it expects.
//
// Set Root and Lesson, call Prepare, then run the checks (Checks lists
// them); Close removes the binaries. The zero value is not usable. Once
// Prepare has returned, the checks may run concurrently with one another:
// they only read the Lesson, and each starts processes of its own. A Lesson
// must not be copied after Prepare.
type Lesson struct {
	Root   string        // the kit's root folder
	Lesson course.Lesson // the lesson to check
	// Runs is how many times the repeated checks run the binary at each
	// GOMAXPROCS; zero means RunsEach.
	Runs int
	// MaxProcs are the GOMAXPROCS values of the repeated checks; nil means
	// the package's MaxProcs. The repeated checks also run the binary
	// pinned to one CPU (testrun.Options.Pin), unless NoPin is set.
	MaxProcs []int
	// NoPin leaves out the repeated checks' runs pinned to one CPU.
	NoPin bool
	// FixtureRuns is how many times each fixture's check runs it at each
	// GOMAXPROCS (and pinned, unless NoPin is set), as the repeated checks
	// run the starter and the solution; zero runs each fixture once, at the
	// machine's GOMAXPROCS, which is what the kit's tests do.
	FixtureRuns int
	// Timeout is how long one run may take; zero means RunTimeout.
	Timeout time.Duration

	fixturesOnce sync.Once
	fixtures     []Fixture // read once, by Fixtures
	fixturesErr  error     // why fixtures could not be read

	work     string              // the temporary folder Prepare compiles into; Close removes it
	bins     map[binary]builtBin // set by Prepare, read-only after
	prepared bool
}

// binary names one of the test binaries Prepare builds.
type binary struct {
	solution bool // the solution's package, not the starter's
	race     bool
	fixture  int // 1 + the fixture's index; 0 for the lesson's own files
}

// builtBin is where Prepare wrote a binary, or why it could not.
type builtBin struct {
	path string
	err  error
}

// String is "the starter (with -race)", "the solution (without -race)"
// or "the fixture (with -race)".
func (b binary) String() string {
	s := "the starter"
	switch {
	case b.fixture > 0:
		s = "the fixture"
	case b.solution:
		s = "the solution"
	}
	return s + " (" + raceWords(b.race) + ")"
}

// Fixtures returns the lesson's fixtures (see the package function
// Fixtures), read once.
func (v *Lesson) Fixtures() ([]Fixture, error) {
	v.fixturesOnce.Do(func() { v.fixtures, v.fixturesErr = Fixtures(v.Root, v.Lesson) })
	return v.fixtures, v.fixturesErr
}

func (v *Lesson) runs() int {
	if v.Runs > 0 {
		return v.Runs
	}
	return RunsEach
}

func (v *Lesson) maxProcs() []int {
	if v.MaxProcs != nil {
		return v.MaxProcs
	}
	return MaxProcs
}

func (v *Lesson) timeout() time.Duration {
	if v.Timeout > 0 {
		return v.Timeout
	}
	return RunTimeout
}

// Prepare compiles every test binary the lesson's checks run into a
// temporary folder: the starter and the solution, with and without -race,
// one go command each, and the fixtures in two go commands, those built
// with -race and the others (see WriteOverlay); two commands at a time.
// Its error joins the build errors of the starter and the solution, which
// must compile; a fixture that does not compile is reported by that
// fixture's check instead. Call it once.
func (v *Lesson) Prepare(ctx context.Context) error {
	if v.prepared {
		return errors.New("verify: Prepare called twice")
	}
	fixtures, _ := v.Fixtures()
	work, err := os.MkdirTemp("", "racekit-verify-"+v.Lesson.Dir()+"-")
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	v.work, v.prepared = work, true
	own := []binary{{race: true}, {}, {solution: true, race: true}, {solution: true}}
	v.bins = map[binary]builtBin{}
	var mu sync.Mutex // guards v.bins while the builds run
	builds := []func(){}
	for i, b := range own {
		builds = append(builds, func() {
			built := v.build(ctx, i, b)
			mu.Lock()
			defer mu.Unlock()
			v.bins[b] = built
		})
	}
	for _, race := range []bool{false, true} {
		var batch []int // indexes in fixtures
		for i, f := range fixtures {
			if f.Race == race {
				batch = append(batch, i)
			}
		}
		if len(batch) > 0 {
			builds = append(builds, func() {
				built := v.buildFixtures(ctx, race, fixtures, batch)
				mu.Lock()
				defer mu.Unlock()
				maps.Copy(v.bins, built)
			})
		}
	}
	slots := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for _, build := range builds {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			build()
		})
	}
	wg.Wait()
	var errs []error
	for _, b := range own {
		if err := v.bins[b].err; err != nil {
			errs = append(errs, fmt.Errorf("verify: %s: %s does not build: %w", v.Lesson.Dir(), b, err))
		}
	}
	return errors.Join(errs...)
}

// firstBuilds makes the first build of each kind in the process, with
// -race and without, run alone. On a cold build cache that build compiles
// the standard library, Ginkgo and Gomega for its kind, a minute's work on
// two cores; the go command shares finished work through its cache but
// not work in progress, so every build of the same kind started beside it
// would compile them all again. (Two lessons prepared at once would
// compile them four times over.)
var firstBuilds [2]struct {
	mu   sync.Mutex
	done bool
}

// firstAlone runs build, alone if it is the first build of its kind, race
// or not, in the process: later builds of that kind wait until the first
// has ended.
func firstAlone(race bool, build func()) {
	g := &firstBuilds[0]
	if race {
		g = &firstBuilds[1]
	}
	g.mu.Lock()
	if g.done {
		g.mu.Unlock()
		build()
		return
	}
	defer g.mu.Unlock()
	build()
	g.done = true
}

// build compiles the starter's or the solution's binary b, the i-th, into
// v.work.
func (v *Lesson) build(ctx context.Context, i int, b binary) builtBin {
	kind := "lessons"
	if b.solution {
		kind = "solutions"
	}
	out := builtBin{path: filepath.Join(v.work, fmt.Sprintf("%02d.test", i))}
	firstAlone(b.race, func() {
		out.err = testrun.Compile(ctx, testrun.Build{
			Dir:     v.Root,
			Package: "./" + kind + "/" + v.Lesson.Dir(),
			Race:    b.race,
			// Vet the starter and the solution once, in their -race builds:
			// vet reads the same code without -race, and a cold cache would
			// work out its facts for every package of the build a second time.
			NoVet:  !b.race,
			Output: out.path,
		})
	})
	return out
}

// buildFixtures compiles the binaries of the fixtures whose indexes are in
// batch, all built with -race or all without, into a folder of v.work with
// one go command. A fixture whose binary that command did not write (it
// does not compile, or the go command named its binary otherwise) is built
// again alone, so that its error is its own.
func (v *Lesson) buildFixtures(ctx context.Context, race bool, fixtures []Fixture, batch []int) map[binary]builtBin {
	name := "plain"
	if race {
		name = "race"
	}
	dir := filepath.Join(v.work, "fixtures-"+name)
	overlay := dir + ".overlay.json"
	out := map[binary]builtBin{}
	var (
		pkgs  []string
		some  []Fixture
		pkgOf = map[int]string{} // a fixture's index -> its package
	)
	for _, i := range batch {
		pkg, err := fixtures[i].Package(v.Root)
		if err != nil {
			out[binary{race: race, fixture: i + 1}] = builtBin{err: err}
			continue
		}
		pkgs, some, pkgOf[i] = append(pkgs, pkg), append(some, fixtures[i]), pkg
	}
	if len(pkgs) == 0 {
		return out
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		return fail(out, race, batch, fmt.Errorf("verify: %w", err))
	}
	if err := WriteOverlay(v.Root, overlay, some); err != nil {
		return fail(out, race, batch, err)
	}
	// Fixtures are the kit's own wrong fixes and correct alternatives, not
	// a learner's code: go test's vet checks are left out.
	b := testrun.Build{Dir: v.Root, Race: race, Overlay: overlay, NoVet: true}
	firstAlone(race, func() { _ = testrun.CompileEach(ctx, b, dir, pkgs...) })
	for _, i := range batch {
		key := binary{race: race, fixture: i + 1}
		if _, ok := out[key]; ok {
			continue
		}
		path := testrun.Binary(dir, pkgOf[i])
		if _, err := os.Stat(path); err == nil {
			out[key] = builtBin{path: path}
			continue
		}
		b.Package, b.Output = pkgOf[i], filepath.Join(dir, fmt.Sprintf("%02d.alone.test", i+1))
		out[key] = builtBin{path: b.Output, err: testrun.Compile(ctx, b)}
	}
	return out
}

// fail records err as the build error of every fixture of batch.
func fail(out map[binary]builtBin, race bool, batch []int, err error) map[binary]builtBin {
	for _, i := range batch {
		out[binary{race: race, fixture: i + 1}] = builtBin{err: err}
	}
	return out
}

// Close removes the binaries Prepare built. It is safe to call when
// Prepare was not, and more than once.
func (v *Lesson) Close() error {
	if v.work == "" {
		return nil
	}
	err := os.RemoveAll(v.work)
	v.work = ""
	return err
}

// bin returns the path of a binary Prepare built, or an error saying why
// there is none.
func (v *Lesson) bin(b binary) (string, error) {
	if !v.prepared {
		return "", errors.New("verify: the lesson's binaries are not built: call Prepare first")
	}
	built := v.bins[b]
	if built.err != nil && b.fixture == 0 {
		return "", fmt.Errorf("verify: %s: %s did not build, so it could not run", v.Lesson.Dir(), b)
	}
	return built.path, built.err
}

// Checks lists the lesson's checks in the order they should run, the
// files' checks first.
func (v *Lesson) Checks() []Check {
	configs := len(v.maxProcs())
	where := "at GOMAXPROCS " + andList(v.maxProcs())
	if !v.NoPin {
		configs++
		where += " and pinned to one CPU"
	}
	repeated := fmt.Sprintf("%d runs out of %d %s", v.runs()*configs, v.runs()*configs, where)
	checks := []Check{
		{Name: "has a README.md and a HINTS.md", Why: "the README teaches the lesson and HINTS.md helps a learner who is stuck",
			Run: func(context.Context) error { return v.Docs() }},
		{Name: "has README.ko.md and HINTS.ko.md, with the English files' code and as many hints", Why: "the course speaks Korean beside English, and a translation must not go stale",
			Run: func(context.Context) error { return v.KoreanDocs() }},
		{Name: "has specs byte-identical to its solution's", Why: "the solution proves the very specs the learner runs can pass",
			Run: func(context.Context) error { return v.SpecsMatchSolution() }},
		{Name: "keeps a byte-identical copy of its starter in testdata/starters", Why: "racekit reset restores a lesson's starter from there",
			Run: func(context.Context) error { return v.PristineStarter() }},
		{Name: "fails on the starter for the reason the lesson teaches, as its README shows", Why: "a lesson's README pastes the real failing output",
			Run: v.StarterFails},
	}
	for _, race := range []bool{true, false} {
		checks = append(checks, Check{
			Name: "fails on the starter " + repeated + ", " + raceWords(race),
			Why:  "a starter must fail every run, never by luck",
			Run:  func(ctx context.Context) error { return v.StarterFailsEveryRun(ctx, race) },
		})
	}
	for _, race := range []bool{true, false} {
		checks = append(checks, Check{
			Name: "passes on the solution " + repeated + ", " + raceWords(race),
			Why:  "a correct fix must pass every run",
			Run:  func(ctx context.Context) error { return v.SolutionPassesEveryRun(ctx, race) },
		})
	}
	fixtures, err := v.Fixtures()
	if err != nil {
		checks = append(checks, Check{Name: "has readable fixtures", Why: "a fixture is a wrong fix the spec must reject, or a correct one it must accept",
			Run: func(context.Context) error { return err }})
	}
	fixtureRuns := ""
	if v.FixtureRuns > 0 {
		fixtureRuns = fmt.Sprintf(" %d runs out of %d %s", v.FixtureRuns*configs, v.FixtureRuns*configs, where)
	}
	for i, f := range fixtures {
		verb := "rejects"
		if f.Pass {
			verb = "accepts"
		}
		checks = append(checks, Check{
			Name: fmt.Sprintf("%s the fixture %s (%s)%s", verb, f.Name, f.About, fixtureRuns),
			Why:  "a spec must reject the wrong fixes a learner is likely to try, and accept the correct ones",
			Run:  func(ctx context.Context) error { return v.Fixture(ctx, i) },
		})
	}
	return checks
}

// Docs checks that the lesson has a README.md and a HINTS.md, neither
// empty.
func (v *Lesson) Docs() error {
	for _, name := range []string{"README.md", "HINTS.md"} {
		data, err := os.ReadFile(filepath.Join(v.Lesson.LessonDir(v.Root), name))
		if err != nil {
			return fmt.Errorf("verify: every lesson needs a %s: %w", name, err)
		}
		if len(bytes.TrimSpace(data)) == 0 {
			return fmt.Errorf("verify: lessons/%s/%s is empty", v.Lesson.Dir(), name)
		}
	}
	return nil
}

// SpecsMatchSolution checks that the lesson has spec files and that its
// solution has the same ones, byte for byte.
func (v *Lesson) SpecsMatchSolution() error {
	l := v.Lesson
	return sameFiles(course.SpecFiles, "spec", l.LessonDir(v.Root), "lessons/"+l.Dir(), l.SolutionDir(v.Root), "solutions/"+l.Dir())
}

// PristineStarter checks that testdata/starters holds a copy of the
// lesson's exercise files (its .go files that are not tests) and nothing
// else, byte for byte.
func (v *Lesson) PristineStarter() error {
	l := v.Lesson
	dir := l.StarterDir(v.Root)
	if err := sameFiles(course.ExerciseFiles, "exercise", l.LessonDir(v.Root), "lessons/"+l.Dir(), dir, "testdata/starters/"+l.Dir()); err != nil {
		return err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			return fmt.Errorf("verify: testdata/starters/%s/%s is not an exercise file: the folder holds only the starter's non-test .go files, since reset restores all of them", l.Dir(), e.Name())
		}
	}
	return nil
}

// sameFiles checks that the files list finds in the folder want (named
// wantName in errors) are there and the same as in got, byte for byte.
func sameFiles(list func(string) ([]string, error), kind, want, wantName, got, gotName string) error {
	wantFiles, err := list(want)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	if len(wantFiles) == 0 {
		return fmt.Errorf("verify: %s has no %s files", wantName, kind)
	}
	if _, err := list(got); err != nil {
		return fmt.Errorf("verify: %s must hold a copy of %s's %s files: %w", gotName, wantName, kind, err)
	}
	diff, err := course.CompareFiles(list, want, got)
	switch {
	case err != nil:
		return fmt.Errorf("verify: %w", err)
	case diff == nil:
		return nil
	case diff.File == "":
		return fmt.Errorf("verify: %s has the %s files %s, but %s has %s: they must be the same",
			wantName, kind, strings.Join(diff.Want, ", "), gotName, strings.Join(diff.Got, ", "))
	default:
		return fmt.Errorf("verify: %s/%s must be a byte-identical copy of %s/%s, but it differs", gotName, diff.File, wantName, diff.File)
	}
}

// StarterFails runs the starter once, with -race, and checks that it fails
// for its reason (FailsForItsReason) and prints the trace lines its README
// quotes (ShowsRealOutput).
func (v *Lesson) StarterFails(ctx context.Context) error {
	bin, err := v.bin(binary{race: true})
	if err != nil {
		return err
	}
	dir := v.Lesson.LessonDir(v.Root)
	r, err := v.run(ctx, bin, dir, -1)
	if err != nil {
		return err
	}
	if err := FailsForItsReason(v.Lesson, r.code, r.out); err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	for _, name := range []string{"README.md", Korean("README.md")} {
		readme, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return fmt.Errorf("verify: %w", err)
		}
		if err := ShowsRealOutput(string(readme), r.out); err != nil {
			return fmt.Errorf("verify: lessons/%s/%s: %w", v.Lesson.Dir(), name, err)
		}
	}
	return nil
}

// StarterFailsEveryRun runs the starter, with or without -race, Runs times
// at each of MaxProcs, and checks that every run fails for its reason. The
// error counts the runs that did not and shows the first.
func (v *Lesson) StarterFailsEveryRun(ctx context.Context, race bool) error {
	return v.everyRun(ctx, binary{race: race}, v.runs(), "fail for its reason", func(r outcome) error {
		return FailsForItsReason(v.Lesson, r.code, r.out)
	})
}

// SolutionPassesEveryRun runs the solution, with or without -race, Runs
// times at each of MaxProcs, and checks that every run passed (Passed).
// The error counts the runs that did not and shows the first.
func (v *Lesson) SolutionPassesEveryRun(ctx context.Context, race bool) error {
	return v.everyRun(ctx, binary{solution: true, race: race}, v.runs(), "pass", func(r outcome) error {
		return Passed(r.code, r.out)
	})
}

// Fixture runs the lesson's specs over its i-th fixture, with -race when
// Fixture.Race says so, and checks the result against the fixture's
// expectations (Fixture.Check): once, or FixtureRuns times at each
// GOMAXPROCS and pinned, every run checked. The binary runs in the
// fixture's folder, the package Prepare built it as.
func (v *Lesson) Fixture(ctx context.Context, i int) error {
	fixtures, _ := v.Fixtures()
	if i < 0 || i >= len(fixtures) {
		return fmt.Errorf("verify: %s has no fixture %d", v.Lesson.Dir(), i)
	}
	f := fixtures[i]
	b := binary{race: f.Race, fixture: i + 1}
	bin, err := v.bin(b)
	if err != nil {
		return fmt.Errorf("verify: the fixture %s must compile (it fails or passes its specs, never its build): %w", f.Name, err)
	}
	if v.FixtureRuns > 0 {
		want := "fail"
		if f.Pass {
			want = "pass"
		}
		return v.everyRun(ctx, b, v.FixtureRuns, want, func(r outcome) error { return f.Check(r.code, r.out) })
	}
	r, err := v.run(ctx, bin, f.Dir, -1)
	if err != nil {
		return err
	}
	if err := f.Check(r.code, r.out); err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	return nil
}

// outcome is one run of a test binary: its exit status and output.
type outcome struct {
	code int
	out  string
}

// run runs a binary in dir (so traces name files relative to the lesson)
// at GOMAXPROCS procs, or pinned to one CPU when procs is 0, or as the
// machine has it when procs is negative. An error means it could not run
// at all.
func (v *Lesson) run(ctx context.Context, bin, dir string, procs int) (outcome, error) {
	o := testrun.Options{Dir: dir, Timeout: v.timeout(), Pin: procs == 0}
	if procs > 0 {
		o.Env = []string{"GOMAXPROCS=" + strconv.Itoa(procs)}
	}
	r, err := testrun.Run(ctx, bin, o)
	if err != nil {
		return outcome{}, fmt.Errorf("verify: %w", err)
	}
	if ctx.Err() != nil {
		return outcome{}, fmt.Errorf("verify: %w", ctx.Err())
	}
	if r.Killed {
		r.Output += fmt.Sprintf("\n(killed: it outlived its time limit of %s)", v.timeout())
	}
	return outcome{r.ExitCode, r.Output}, nil
}

// everyRun runs a binary runs times at each of MaxProcs (and pinned, unless
// NoPin), two at a time, in its package's folder, and checks every run with
// judge. want says what every run should do, for the error.
func (v *Lesson) everyRun(ctx context.Context, b binary, runs int, want string, judge func(outcome) error) error {
	bin, err := v.bin(b)
	if err != nil {
		return err
	}
	dir := v.Lesson.LessonDir(v.Root)
	if b.solution {
		dir = v.Lesson.SolutionDir(v.Root)
	}
	if b.fixture > 0 {
		fixtures, _ := v.Fixtures()
		dir = fixtures[b.fixture-1].Dir // the package's folder, as WriteOverlay makes it
	}
	type job struct {
		procs int   // GOMAXPROCS; 0: pinned to one CPU
		res   error // what judge said, or why the run could not happen
	}
	var jobs []job
	procs := v.maxProcs()
	if !v.NoPin {
		procs = append(slices.Clone(procs), 0)
	}
	for _, p := range procs {
		for range runs {
			jobs = append(jobs, job{procs: p})
		}
	}
	slots := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i := range jobs {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			r, err := v.run(ctx, bin, dir, jobs[i].procs)
			if err == nil {
				err = judge(r)
			}
			jobs[i].res = err
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	bad, first := 0, -1
	for i, j := range jobs {
		if j.res != nil {
			bad++
			if first < 0 {
				first = i
			}
		}
	}
	if bad == 0 {
		return nil
	}
	how := "pinned to one CPU"
	if p := jobs[first].procs; p > 0 {
		how = "at GOMAXPROCS=" + strconv.Itoa(p)
	}
	return fmt.Errorf("verify: %s: %s should %s every run, but %d of %d runs did not; the first, run %d %s: %w",
		v.Lesson.Dir(), b, want, bad, len(jobs), first+1, how, jobs[first].res)
}

// raceWords is "with -race" or "without -race".
func raceWords(race bool) string {
	if race {
		return "with -race"
	}
	return "without -race"
}

// andList is "1", "1 and 4", "1, 2 and 8".
func andList(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}
