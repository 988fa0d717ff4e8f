package main

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/language"

	"github.com/racekit/racekit/pkg/internal/course"
	"github.com/racekit/racekit/pkg/internal/progress"
)

// env is what every command works with: the kit's root folder and where to
// write. A command that needs the root finds it set.
type env struct {
	root   string   // the kit's root folder (holds go.mod and lessons/)
	out    *printer // standard output: results
	errOut *printer // standard error: problems
	now    func() time.Time
	// checkTimeout is how long a check lets the specs run; zero means the
	// default, checkTimeout.
	checkTimeout time.Duration
	// verbose makes a check show each exploration's coverage and outcomes
	// (check -v).
	verbose bool
}

// newEnv finds the kit's root from the working directory; the command
// speaks lang.
func newEnv(stdout, stderr io.Writer, lang language.Tag) (*env, error) {
	root, err := course.Root()
	if err != nil {
		return nil, err
	}
	return &env{root: root, out: newPrinter(stdout, lang), errOut: newPrinter(stderr, lang), now: time.Now}, nil
}

// flags returns an empty flag set for the named command. Parse it with
// e.parse, which prints the command's usage for -h and turns bad flags into
// usage errors.
func (e *env) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("racekit "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parse parses args with fs. For -h it prints the command's usage and
// returns flag.ErrHelp; a bad flag is a *usageError.
func (e *env) parse(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if err == flag.ErrHelp {
		name := strings.TrimPrefix(fs.Name(), "racekit ")
		for _, c := range commands {
			if c.name == name {
				e.out.printf("usage: racekit %s %s\n\n%s\n", c.name, c.args, e.out.text(c.summary))
			}
		}
		fs.SetOutput(e.out)
		hasFlags := false
		fs.VisitAll(func(*flag.Flag) { hasFlags = true })
		if hasFlags {
			e.out.printf("\nflags:\n")
			fs.PrintDefaults()
		}
		return flag.ErrHelp
	}
	if err != nil {
		return usageText(err.Error())
	}
	return nil
}

// lesson returns the lesson named by the command's positional arguments.
// With none, it returns the first lesson not yet passed when optional is
// true, and a usage error when it is false. A lesson that is not in this
// version of the kit, or an unknown name, is a usage error listing the
// lessons there are.
func (e *env) lesson(args []string, optional bool) (course.Lesson, error) {
	switch {
	case len(args) > 1:
		return course.Lesson{}, usagef("one lesson at a time, got %q", strings.Join(args, " "))
	case len(args) == 0 && !optional:
		return course.Lesson{}, usagef("which lesson? name it by number or slug, e.g. 1 or %s", course.InKit()[0].Slug)
	case len(args) == 0:
		st, err := progress.Load(e.root)
		if err != nil {
			return course.Lesson{}, err
		}
		if l, ok := st.Next(course.InKit()); ok {
			return l, nil
		}
		kit := course.InKit()
		return kit[len(kit)-1], nil
	}
	l, err := course.Find(args[0])
	if err != nil {
		return course.Lesson{}, usageText(err.Error())
	}
	if !l.InKit {
		return course.Lesson{}, usagef("lesson %d (%s) is not in this version of the kit yet; the lessons are %s", l.Number, l.Slug, lessonList())
	}
	return l, nil
}

// lessons returns the lessons named, in the order first named, each once
// however many times or ways ("1", "lost-update", "01-lost-update") it is
// named. An unknown name is a usage error, as for lesson.
func (e *env) lessons(names []string) ([]course.Lesson, error) {
	var out []course.Lesson
	for _, name := range names {
		l, err := e.lesson([]string{name}, false)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	return out, nil
}

// lessonList names the lessons in the kit: "1 lost-update, 2 premature-free, ...".
func lessonList() string {
	var names []string
	for _, l := range course.InKit() {
		names = append(names, fmt.Sprintf("%d %s", l.Number, l.Slug))
	}
	return strings.Join(names, ", ")
}
