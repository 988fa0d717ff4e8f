package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/racekit/racekit/pkg/internal/course"
)

// This file holds what the learner's commands (status, hint, reset,
// solution) share.

// racekitRun is how a learner runs racekit from the kit's root, as the
// README says.
const racekitRun = "go run ./pkg/cmd/racekit"

// cmdline returns the racekit command line with args:
// cmdline("check", 2) is "go run ./pkg/cmd/racekit check 2".
func cmdline(args ...any) string {
	words := []string{racekitRun}
	for _, a := range args {
		words = append(words, fmt.Sprint(a))
	}
	return strings.Join(words, " ")
}

// suggest is cmdline painted as a command for standard output.
func (e *env) suggest(args ...any) string { return e.out.paint(cyan, cmdline(args...)) }

// parseInterspersed parses args with fs, allowing flags after positional
// arguments ("solution 1 --force" as well as "solution --force 1"), and
// returns the positional arguments. Everything after "--" is positional.
func (e *env) parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := e.parse(fs, args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		// flag stops at "--" and drops it: whatever follows is positional.
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(positional, rest...), nil
		}
		if len(rest) == 0 {
			return positional, nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// parseLesson parses args with fs (flags may come before or after the
// lesson) and returns the lesson named, as e.lesson does.
func (e *env) parseLesson(fs *flag.FlagSet, args []string, optional bool) (course.Lesson, error) {
	rest, err := e.parseInterspersed(fs, args)
	if err != nil {
		return course.Lesson{}, err
	}
	return e.lesson(rest, optional)
}

// display returns path as the learner should read it: relative to the
// kit's root when racekit runs there (the README's commands assume so),
// absolute otherwise.
func (e *env) display(path string) string {
	if wd, err := os.Getwd(); err == nil && sameDir(wd, e.root) {
		if rel, err := filepath.Rel(e.root, path); err == nil && !strings.HasPrefix(rel, "..") {
			return rel
		}
	}
	return path
}

// sameDir reports whether a and b name the same folder.
func sameDir(a, b string) bool {
	sa, err := os.Stat(a)
	if err != nil {
		return false
	}
	sb, err := os.Stat(b)
	return err == nil && os.SameFile(sa, sb)
}
