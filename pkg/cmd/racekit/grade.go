package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/racekit/racekit/pkg/internal/course"
	"github.com/racekit/racekit/pkg/internal/grade"
	"github.com/racekit/racekit/pkg/internal/testrun"
)

// runGrade carries out racekit grade.
func runGrade(ctx context.Context, e *env, args []string) error {
	fs := e.flags("grade")
	submission := fs.String("submission", e.root, "the submission's folder: a racekit checkout with the learner's lessons/ (default: this checkout)")
	jsonPath := fs.String("json", "", "write the result as JSON to this file")
	junitPath := fs.String("junit", "", "write the result as JUnit XML to this file")
	timeout := fs.Duration("timeout", grade.DefaultTimeout, "how long each lesson's specs may run")
	buildTimeout := fs.Duration("build-timeout", grade.DefaultBuildTimeout, "how long each lesson's build may take")
	memory := byteSize(grade.DefaultMemory)
	fs.Var(&memory, "memory", "the most memory each lesson's test binary may use (512MiB, 2GiB)")
	buildMemory := byteSize(grade.DefaultBuildMemory)
	fs.Var(&buildMemory, "build-memory", "the most memory each lesson's build may use, the go command and its compilers together")
	threads := fs.Int("threads", grade.DefaultThreads, "the most threads each lesson's test binary may have")
	only := fs.String("lessons", "", "grade only these lessons, by number or slug, comma-separated (default: every lesson in the kit)")
	pointsList := fs.String("points", "", "what each lesson is worth, lesson=points comma-separated (1=10,deadlock=20); every lesson graded must be named (default: 1 point each)")
	pointsFile := fs.String("points-file", "", "read what each lesson is worth from this file: one lesson = points a line, # starts a comment")
	class := fs.String("class", "", "grade a whole class: every folder in DIR is one learner's racekit checkout")
	outDir := fs.String("out", "", "with --class, write class.md, class.csv and each learner's NAME.json here (default: DIR-grades beside the class folder)")
	classroom := fs.Bool("classroom", false, "print the points last as GitHub Classroom's reporter does: the notices \"Points X/Y\" and {\"totalPoints\":X,\"maxPoints\":Y}")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected arguments %q: name the submission with --submission DIR, or a class with --class DIR", strings.Join(fs.Args(), " "))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *class != "" {
		for _, name := range []string{"submission", "json", "junit", "classroom"} {
			if set[name] {
				return usagef("--%s grades one submission; with --class, the reports go to --out", name)
			}
		}
	} else if set["out"] {
		return usagef("--out is for --class; for one submission, use --json and --junit")
	}
	for _, f := range []struct {
		name string
		ok   bool
		got  any
	}{
		{"--timeout", *timeout > 0, *timeout}, {"--build-timeout", *buildTimeout > 0, *buildTimeout},
		{"--memory", memory > 0, &memory}, {"--build-memory", buildMemory > 0, &buildMemory}, {"--threads", *threads > 0, *threads},
	} {
		if !f.ok {
			return usagef("%s must be positive, got %v", f.name, f.got)
		}
	}
	lessons := course.InKit()
	if *only != "" {
		var names []string
		for _, name := range strings.Split(*only, ",") {
			names = append(names, strings.TrimSpace(name))
		}
		var err error
		if lessons, err = e.lessons(names); err != nil {
			return fmt.Errorf("--lessons: %w", err)
		}
	}
	points, err := readPoints(*pointsList, *pointsFile, lessons)
	if err != nil {
		return err
	}
	g := grade.Grader{
		Kit: e.root, Timeout: *timeout, BuildTimeout: *buildTimeout,
		Memory: int64(memory), BuildMemory: int64(buildMemory), Threads: *threads,
	}
	limits := fmt.Sprintf("with the kit's specs (-race, at most %s, %s and %d threads each; builds at most %s and %s)\nlimits enforced by %s",
		*timeout, testrun.FormatBytes(int64(memory)), *threads, *buildTimeout, testrun.FormatBytes(int64(buildMemory)), testrun.HowLimited())
	if *class != "" {
		return e.gradeClass(ctx, g, *class, *outDir, lessons, points, limits)
	}
	sub, err := filepath.Abs(*submission)
	if err != nil {
		return err
	}
	if st, err := os.Stat(sub); err != nil || !st.IsDir() {
		return usagef("--submission %s: no such folder", *submission)
	}
	if st, err := os.Stat(filepath.Join(sub, "lessons")); err != nil || !st.IsDir() {
		return usagef("--submission %s has no lessons/ folder: give the root of the learner's racekit checkout", *submission)
	}
	// Try the output files first, so that a bad path fails now and not
	// after every lesson has run.
	for _, p := range []string{*jsonPath, *junitPath} {
		if p == "" {
			continue
		}
		if err := probeWritable(p); err != nil {
			return usagef("cannot write %v", err)
		}
	}

	g.Graded = func(lr grade.Lesson) {
		// The message carries a submission's text (a panic's): printed
		// as it is, its escapes could redraw this line as a pass.
		e.out.printf("  %-22s %s  %s\n", lr.Lesson.Dir(), e.out.statusWord(lr.Status), indent(printable(lr.Message), "  "+strings.Repeat(" ", 22+1+5+2)))
	}
	// A lesson's message is the submission's text, and the Actions runner
	// takes a line of it that starts with "::" for a workflow command: a
	// crash could print Classroom's notices with full marks. So with
	// --classroom the runner ignores commands (GitHub's stop-commands, with
	// a token no submission can know) until grading is done.
	var token string
	if *classroom {
		token = rand.Text()
		e.out.printf("::stop-commands::%s\n", token)
		defer func() {
			if token != "" {
				e.out.printf("::%s::\n", token)
			}
		}()
	}
	e.out.printf("grading %s of %s %s\n\n", plural(len(lessons), "lesson"), sub, limits)
	if err := e.warmForGrading(ctx, lessons); err != nil {
		return err
	}
	r, err := g.Grade(ctx, sub, lessons)
	if err != nil {
		return err
	}
	if points != nil {
		r = r.Weigh(points)
		e.out.printf("\nscore: %d of %d lessons passed (%s), %d of %d points\n", r.Score, r.MaxScore, r.Status, r.Points, r.MaxPoints)
	} else {
		e.out.printf("\nscore: %d of %d lessons passed (%s)\n", r.Score, r.MaxScore, r.Status)
	}

	if *jsonPath != "" {
		var b bytes.Buffer
		if err := grade.WriteJSON(&b, r); err != nil {
			return err
		}
		if err := os.WriteFile(*jsonPath, b.Bytes(), 0o644); err != nil {
			return err
		}
		e.out.printf("wrote %s\n", *jsonPath)
	}
	if *junitPath != "" {
		if err := grade.WriteJUnit(*junitPath, r); err != nil {
			return err
		}
		e.out.printf("wrote %s\n", *junitPath)
	}
	if path := os.Getenv("GITHUB_STEP_SUMMARY"); path != "" {
		f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return fmt.Errorf("GITHUB_STEP_SUMMARY: %w", err)
		}
		werr := grade.WriteSummary(f, r)
		if err := errors.Join(werr, f.Close()); err != nil {
			return fmt.Errorf("GITHUB_STEP_SUMMARY: %w", err)
		}
	}
	if *classroom {
		// Last of all, as Classroom's reporter prints them.
		var b bytes.Buffer
		if err := grade.WriteClassroomNotices(&b, r); err != nil {
			return err
		}
		e.out.printf("::%s::\n%s", token, b.String())
		token = ""
	}
	if r.Status != grade.Pass {
		return errFailed
	}
	return nil
}

// readPoints returns the weights --points (list) or --points-file (file)
// give, or nil when neither is set. Both at once, bad input, and a graded
// lesson the points leave out are usage errors: weights that miss a lesson
// are more likely a slip than a wish for one point.
func readPoints(list, file string, graded []course.Lesson) (grade.Points, error) {
	var (
		p      grade.Points
		err    error
		source = "--points"
	)
	switch {
	case list != "" && file != "":
		return nil, usagef("give --points or --points-file, not both")
	case list != "":
		if p, err = grade.ParsePoints(list); err != nil {
			return nil, usagef("--points: %v", err)
		}
	case file != "":
		source = "--points-file " + file
		f, err := os.Open(file)
		if err != nil {
			return nil, usagef("--points-file: %v", err)
		}
		p, err = grade.ReadPoints(f)
		f.Close()
		if err != nil {
			return nil, usagef("%s: %v", source, err)
		}
	default:
		return nil, nil
	}
	var missing []string
	for _, l := range graded {
		if _, ok := p[l.Slug]; !ok {
			missing = append(missing, l.Dir())
		}
	}
	if len(missing) > 0 {
		return nil, usagef("%s gives no points for %s: once points are given, every lesson graded needs them", source, strings.Join(missing, ", "))
	}
	return p, nil
}

// probeWritable reports why path cannot be written, or nil when it can. It
// leaves the file as it found it: an existing file keeps its contents (it
// is opened without truncating), and one that did not exist is removed
// again.
func probeWritable(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err == nil {
		f.Close()
		return os.Remove(path)
	}
	if !errors.Is(err, fs.ErrExist) {
		return err
	}
	if f, err = os.OpenFile(path, os.O_WRONLY, 0); err != nil {
		return err
	}
	return f.Close()
}

// indent puts prefix before every line of s but the first.
func indent(s, prefix string) string {
	return strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+prefix)
}

// statusWord is a grading status, padded and coloured.
func (p *printer) statusWord(s grade.Status) string {
	word := fmt.Sprintf("%-5s", s)
	switch s {
	case grade.Pass:
		return p.paint(green, word)
	case grade.Fail:
		return p.paint(red, word)
	default:
		return p.paint(yellow, word)
	}
}

// byteSize is a flag.Value holding a number of bytes, written as
// testrun.ParseBytes reads it ("512MiB", "2GiB", "1073741824").
type byteSize int64

// String writes the size for a person: "1 GiB".
func (b *byteSize) String() string { return testrun.FormatBytes(int64(*b)) }

// Set reads a size.
func (b *byteSize) Set(s string) error {
	n, err := testrun.ParseBytes(s)
	*b = byteSize(n)
	return err
}
