// Command racekit is the companion of the racekit course: it shows where a
// learner is, checks a lesson, watches it, gives hints, resets a lesson to
// its starter, shows a solution, grades a submission for an instructor or
// CI, verifies the kit itself, and runs the source material's experiments
// (lab).
//
// Run it from anywhere inside a racekit checkout:
//
//	go run ./pkg/cmd/racekit            the course table and what to do next
//	go run ./pkg/cmd/racekit check 1    run lesson 1's spec under -race
//	go run ./pkg/cmd/racekit help       every command
//
// Exit status: 0 when the command did what was asked and, for check, grade
// and verify, everything passed; 1 when a lesson failed; 2 for bad usage or
// when the command could not run at all.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"

	"golang.org/x/text/language"

	"github.com/racekit/racekit/pkg/internal/i18n"
)

// command is one racekit subcommand.
type command struct {
	name    string
	args    string // the argument synopsis: "[lesson]"
	summary string // one line for the command list
	// run carries out the command with its arguments (flags included). It
	// returns errFailed (possibly wrapped) when a lesson failed, a
	// *usageError for bad input, and any other error when it could not run.
	run func(ctx context.Context, e *env, args []string) error
}

// commands is every subcommand, in the order help lists them. It is set in
// init, since the commands' own usage text reads it.
var commands []command

func init() {
	commands = []command{
		{"status", "", "the course table and the next command (also: racekit with no arguments)", runStatus},
		{"check", "[lesson] [--timeout D] [-v]", "run a lesson's spec under -race and explain the result", runCheck},
		{"watch", "[lesson] [--poll]", "check a lesson again whenever one of its files is saved", runWatch},
		{"hint", "[lesson] [--again]", "show the next hint of a lesson", runHint},
		{"reset", "<lesson>", "restore a lesson's starter files (yours are backed up first)", runReset},
		{"solution", "<lesson> [--force]", "show a lesson's solution as a diff against your files", runSolution},
		{"replay", "<lesson> <schedule> [--scenario TEXT]", "run one schedule of a lesson's scenario against your code and print its numbered trace", runReplay},
		{"play", "<lesson> [scenario] [--replay SCHEDULE]", "be the scheduler: pick which goroutine moves next in a lesson's scenario, on your code, until it breaks", runPlay},
		{"warm", "[lesson...]", "build every lesson under -race ahead of time, so that no first check waits minutes (for a workshop room)", runWarm},
		{"grade", "[--submission DIR | --class DIR [--out DIR]] [--json F] [--junit F] [--timeout D] [--build-timeout D] [--memory M] [--build-memory M] [--threads N] [--lessons L] [--points L=P,...|--points-file F] [--classroom]", "grade every lesson of a submission, or of a whole class (for instructors and CI)", runGrade},
		{"verify", "[--runs N] [--fixture-runs N] [lesson...]", "check the kit itself: every starter fails for its reason, every solution and fixture does as it should", runVerify},
		{"lab", "[experiment...] [--quick] [--cpython] [--svg DIR] [--json F]", "run the source material's experiments on the VM (and CPython) and compare with the seeds' figures", runLab},
		{"help", "[command]", "show this list, or one command's flags", nil},
	}
}

// errFailed marks a command that ran but whose lesson or grade failed: the
// exit status is 1 and the command has already said why.
var errFailed = errors.New("failed")

// usageError is bad input from the user: the exit status is 2. Its
// message is format and args, kept apart so that run can print it in the
// learner's language.
type usageError struct {
	format string
	args   []any
}

func (u *usageError) Error() string { return fmt.Sprintf(u.format, u.args...) }

// usagef returns a *usageError with a formatted message.
func usagef(format string, args ...any) error {
	return &usageError{format, args}
}

// usageText is a *usageError holding msg as it is, with nothing to format
// or translate (an error of another package, say).
func usageText(msg string) error { return &usageError{"%s", []any{msg}} }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run is racekit with its arguments, writing to stdout and stderr, and
// returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	args, lang, err := pickLang(args, os.Getenv)
	if err != nil {
		fmt.Fprintf(stderr, "racekit: --lang: %v\n", err)
		return 2
	}
	name := "status"
	if len(args) > 0 {
		name, args = args[0], args[1:]
	}
	if name == "help" || name == "-h" || name == "-help" || name == "--help" {
		return help(stdout, stderr, args, lang)
	}
	i := slices.IndexFunc(commands, func(c command) bool { return c.name == name })
	if i < 0 || commands[i].run == nil {
		fmt.Fprint(stderr, i18n.Sprintf(lang, "racekit: unknown command %q\n\n", name))
		usage(stderr, lang)
		return 2
	}
	e, err := newEnv(stdout, stderr, lang)
	if err != nil {
		fmt.Fprintf(stderr, "racekit: %v\n", err)
		return 2
	}
	err = commands[i].run(ctx, e, args)
	var ue *usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errFailed):
		return 1
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "racekit %s: %s\n", name, i18n.Sprintf(lang, ue.format, ue.args...))
		fmt.Fprint(stderr, i18n.Sprintf(lang, "run 'racekit help %s' for its usage\n", name))
		return 2
	default:
		fmt.Fprintf(stderr, "racekit %s: %v\n", name, err)
		return 2
	}
}

// help prints the command list, or one command's usage, in lang.
func help(stdout, stderr io.Writer, args []string, lang language.Tag) int {
	if len(args) == 0 {
		usage(stdout, lang)
		return 0
	}
	i := slices.IndexFunc(commands, func(c command) bool { return c.name == args[0] })
	if i < 0 || commands[i].run == nil {
		fmt.Fprint(stderr, i18n.Sprintf(lang, "racekit help: unknown command %q\n", args[0]))
		return 2
	}
	e := &env{out: newPrinter(stdout, lang), errOut: newPrinter(stderr, lang)}
	// Every command parses its flags with e.parse, which prints the
	// command's usage for -h.
	_ = commands[i].run(context.Background(), e, []string{"-h"})
	return 0
}

// usage prints every command with its summary, in lang.
func usage(w io.Writer, lang language.Tag) {
	p := newPrinter(w, lang)
	p.printf("racekit: the companion of the racekit course\n\n")
	p.printf("usage: go run ./pkg/cmd/racekit <command> [arguments]\n\n")
	for _, c := range commands {
		p.printf("  %s\n      %s\n", strings.TrimSpace(c.name+" "+c.args), p.text(c.summary))
	}
	p.printf("\nA lesson is named by its number (1) or its slug (lost-update).\n")
	p.printf("Add --lang ko for Korean, or --lang en for English (default: from LC_ALL, LC_MESSAGES or LANG).\n")
}

// pickLang takes --lang NAME (or --lang=NAME) out of args, wherever it is,
// and returns the rest with the language racekit is to speak: the flag's,
// else the environment's (i18n.Pick). Arguments after "--" are left alone.
func pickLang(args []string, getenv func(string) string) ([]string, language.Tag, error) {
	var rest []string
	flagValue := ""
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			rest = append(rest, args[i:]...)
			i = len(args)
		case a == "--lang" || a == "-lang":
			if i+1 == len(args) {
				return nil, i18n.English, errors.New("name a language: --lang en or --lang ko")
			}
			flagValue, i = args[i+1], i+1
		case strings.HasPrefix(a, "--lang=") || strings.HasPrefix(a, "-lang="):
			_, flagValue, _ = strings.Cut(a, "=")
			if flagValue == "" {
				return nil, i18n.English, errors.New("name a language: --lang en or --lang ko")
			}
		default:
			rest = append(rest, a)
		}
	}
	lang, err := i18n.Pick(flagValue, getenv)
	return rest, lang, err
}
