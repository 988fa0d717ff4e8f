// Package verify holds the kit's checks that the course works: that a
// lesson's starter fails for the reason the lesson teaches, that a run
// passed for real, and the fixtures (wrong fixes and correct alternatives)
// that every lesson's spec is tried against.
//
// The checks of a run (FailsForItsReason, ShowsRealOutput, Passed,
// Fixture.Check) are pure functions of its exit code and output. Lesson
// builds a lesson's starter, solution and fixtures with pkg/internal/testrun and
// lists its checks; with KitChecks, that is the one list the kit's own
// tests (one spec per check) and racekit verify (one line per check) both
// run. Everything here is safe for concurrent use, within the limits
// Lesson's doc gives.
package verify

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/racekit/racekit/pkg/internal/course"
)

var (
	numberedStep = regexp.MustCompile(`(?m)^\s+1\. \S+\s+\S+`)
	buildFailure = regexp.MustCompile(`(?m)(\[build failed\]|\[setup failed\]|^# [\w./-]+( \[[^\]]+\])?$)`)
	specsRan     = regexp.MustCompile(`Ran (\d+) of (\d+) Specs?`)
)

// FailsForItsReason checks the exit code and output of a run of a lesson's
// starter: it must fail, not because it did not build, and print the
// lesson's concept phrase, a numbered interleaving, the schedule that
// replays it and a pointer to HINTS.md. The error says what is missing.
func FailsForItsReason(l course.Lesson, exitCode int, output string) error {
	var missing []string
	if exitCode == 0 {
		missing = append(missing, "a non-zero exit status (it passed)")
	}
	if buildFailure.MatchString(output) {
		return fmt.Errorf("%s failed to build instead of failing its specs:\n%s", l.Dir(), tail(output, 20))
	}
	if !strings.Contains(strings.ToLower(output), strings.ToLower(l.Concept)) {
		missing = append(missing, fmt.Sprintf("the concept phrase %q", l.Concept))
	}
	if !numberedStep.MatchString(output) {
		missing = append(missing, "a numbered interleaving (a line like \"  1. A  IncRef  reads ...\")")
	}
	if !strings.Contains(output, "replay this schedule:") {
		missing = append(missing, "the schedule that replays it (\"replay this schedule: ...\")")
	}
	if !strings.Contains(output, "HINTS.md") {
		missing = append(missing, "a pointer to HINTS.md")
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s's starter should fail for its reason, but the run lacks %s; its output ends:\n%s",
			l.Dir(), strings.Join(missing, ", "), tail(output, 30))
	}
	return nil
}

var (
	fence     = regexp.MustCompile("(?s)```[a-z]*\n(.*?)```")
	traceLine = regexp.MustCompile(`(?m)^\s+\d+\. \S+\s{2,}\S.*$`)
	spaces    = regexp.MustCompile(`\s+`)
)

// ShowsRealOutput checks that every numbered trace line quoted in a
// lesson's README (inside a fenced block) appears in the output of a run of
// its starter, so that the README shows what the learner will really see.
// Whitespace is compared loosely.
func ShowsRealOutput(readme, output string) error {
	out := spaces.ReplaceAllString(output, " ")
	var missing []string
	quoted := 0
	for _, block := range fence.FindAllStringSubmatch(readme, -1) {
		for _, line := range traceLine.FindAllString(block[1], -1) {
			quoted++
			if l := strings.TrimSpace(spaces.ReplaceAllString(line, " ")); !strings.Contains(out, l) {
				missing = append(missing, l)
			}
		}
	}
	if quoted == 0 {
		return errors.New("the README quotes no numbered trace lines from the starter's failing output")
	}
	if len(missing) > 0 {
		return fmt.Errorf("the README quotes trace lines the starter no longer prints:\n  %s", strings.Join(missing, "\n  "))
	}
	return nil
}

// Passed checks that a run of a lesson's specs passed for real: exit status
// zero, Ginkgo ran every spec it found and no data race was reported.
func Passed(exitCode int, output string) error {
	if exitCode != 0 {
		return fmt.Errorf("exit status %d; the output ends:\n%s", exitCode, tail(output, 40))
	}
	if strings.Contains(output, "WARNING: DATA RACE") {
		return fmt.Errorf("the race detector reported a data race:\n%s", tail(output, 40))
	}
	m := specsRan.FindStringSubmatch(output)
	if m == nil {
		return fmt.Errorf("exit status 0, but Ginkgo did not report running any specs (did something exit early?):\n%s", tail(output, 20))
	}
	if m[1] != m[2] || m[1] == "0" {
		return fmt.Errorf("only %s of %s specs ran", m[1], m[2])
	}
	return nil
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Fixture is a variant of a lesson's exercise files: a wrong fix its spec
// must reject, or a correct alternative it must accept, as read from its
// folder of testdata/fixtures. It is plain data.
type Fixture struct {
	Lesson course.Lesson
	Name   string // the fixture's folder name: "lock-incref-only"
	Dir    string // the folder holding the replacement files and expect.txt
	About  string // what the fix is, from expect.txt's comment
	Pass   bool   // whether the spec must pass on it
	// Race reports that the fixture is built with -race: a correct
	// alternative, whose pass includes the race detector's, or a wrong fix
	// whose expect.txt says "race: yes", which only the race detector
	// rejects. Every other wrong fix is built without -race, so that the
	// spec's deterministic parts (replays and explorations) must reject it
	// on their own.
	Race   bool
	Output []string // substrings the run's output must contain
	Files  []string // the replacement files' names
}

// ExpectFile is the name of a fixture's expectations file.
const ExpectFile = "expect.txt"

// ParseExpect reads a fixture's expect.txt:
//
//	# lock only IncRef: DecRef still races with DecRef
//	result: fail
//	output: lost update
//
// "result" (pass or fail) is required and given once; "output" may repeat;
// "race: yes" builds a wrong fix with -race, for one only the race
// detector rejects (see Fixture.Race); comment lines start with '#'.
// Errors name the line.
func ParseExpect(text string) (about string, pass bool, output []string, race bool, err error) {
	seenResult := false
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "":
		case strings.HasPrefix(line, "#"):
			if about == "" {
				about = strings.TrimSpace(strings.TrimPrefix(line, "#"))
			}
		default:
			key, value, ok := strings.Cut(line, ":")
			value = strings.TrimSpace(value)
			switch {
			case !ok:
				return "", false, nil, false, fmt.Errorf("line %d: want \"result: pass|fail\" or \"output: TEXT\", got %q", n, line)
			case key == "result" && seenResult:
				return "", false, nil, false, fmt.Errorf("line %d: result given twice", n)
			case key == "result" && (value == "pass" || value == "fail"):
				seenResult, pass = true, value == "pass"
			case key == "result":
				return "", false, nil, false, fmt.Errorf("line %d: result must be pass or fail, got %q", n, value)
			case key == "output" && value != "":
				output = append(output, value)
			case key == "output":
				return "", false, nil, false, fmt.Errorf("line %d: output needs the text to look for", n)
			case key == "race" && (value == "yes" || value == "no"):
				race = value == "yes"
			case key == "race":
				return "", false, nil, false, fmt.Errorf("line %d: race must be yes or no, got %q", n, value)
			default:
				return "", false, nil, false, fmt.Errorf("line %d: unknown key %q (want result, output or race)", n, key)
			}
		}
	}
	if !seenResult {
		return "", false, nil, false, errors.New("no \"result: pass|fail\" line")
	}
	return about, pass, output, race, nil
}

// Fixtures lists a lesson's fixtures, sorted by name. A lesson without a
// fixtures folder has none.
func Fixtures(root string, l course.Lesson) ([]Fixture, error) {
	base := l.FixturesDir(root)
	entries, err := os.ReadDir(base)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Fixture
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		f := Fixture{Lesson: l, Name: e.Name(), Dir: filepath.Join(base, e.Name())}
		text, err := os.ReadFile(filepath.Join(f.Dir, ExpectFile))
		if err != nil {
			return nil, fmt.Errorf("fixture %s/%s: %w", l.Dir(), f.Name, err)
		}
		if f.About, f.Pass, f.Output, f.Race, err = ParseExpect(string(text)); err != nil {
			return nil, fmt.Errorf("fixture %s/%s/%s: %w", l.Dir(), f.Name, ExpectFile, err)
		}
		f.Race = f.Race || f.Pass
		if f.Files, err = course.ExerciseFiles(f.Dir); err != nil {
			return nil, err
		}
		if len(f.Files) == 0 {
			return nil, fmt.Errorf("fixture %s/%s has no .go files to put over the lesson's", l.Dir(), f.Name)
		}
		out = append(out, f)
	}
	return out, nil
}

// Package is the fixture's folder as a package path relative to the kit's
// root, "./testdata/fixtures/01-lost-update/lock-incref-only": with the
// overlay WriteOverlay writes, the lesson's package with the fixture's
// files over its own.
func (f Fixture) Package(root string) (string, error) {
	rel, err := filepath.Rel(root, f.Dir)
	if err != nil || !filepath.IsLocal(rel) {
		return "", fmt.Errorf("verify: the fixture %s is not below the kit's root %s", f.Dir, root)
	}
	return "./" + filepath.ToSlash(rel), nil
}

// WriteOverlay writes a `go build -overlay` file at path that puts, into
// each fixture's folder, every file of the lesson's starter folder that the
// fixture does not replace: each folder is then a package of its own, the
// lesson's with the fixture's files over the starter's files of the same
// names, and one go command builds them all (see Fixture.Package). The
// files keep their names, so a trace of a test binary run in the fixture's
// folder names them as it would in the lesson's.
func WriteOverlay(root, path string, fixtures []Fixture) error {
	replace := map[string]string{}
	for _, f := range fixtures {
		lesson := f.Lesson.LessonDir(root)
		entries, err := os.ReadDir(lesson)
		if err != nil {
			return fmt.Errorf("verify: %w", err)
		}
		for _, e := range entries {
			if !e.Type().IsRegular() {
				continue
			}
			over := filepath.Join(f.Dir, e.Name())
			if _, err := os.Lstat(over); errors.Is(err, os.ErrNotExist) {
				replace[over] = filepath.Join(lesson, e.Name())
			} else if err != nil {
				return fmt.Errorf("verify: %w", err)
			}
		}
	}
	data, err := json.MarshalIndent(map[string]any{"Replace": replace}, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

// Check compares a run of the lesson's specs over the fixture with what the
// fixture expects.
func (f Fixture) Check(exitCode int, output string) error {
	if f.Pass {
		if err := Passed(exitCode, output); err != nil {
			return fmt.Errorf("%s should pass (%s), but: %w", f.Name, f.About, err)
		}
	} else if exitCode == 0 {
		return fmt.Errorf("%s should fail (%s), but the specs passed", f.Name, f.About)
	} else if buildFailure.MatchString(output) {
		return fmt.Errorf("%s should fail its specs, but it did not build:\n%s", f.Name, tail(output, 20))
	}
	for _, want := range f.Output {
		if !strings.Contains(output, want) {
			return fmt.Errorf("%s (%s): the output lacks %q; it ends:\n%s", f.Name, f.About, want, tail(output, 30))
		}
	}
	return nil
}
