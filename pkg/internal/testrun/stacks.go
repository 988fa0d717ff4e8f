package testrun

import (
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// Frame is one line of a stack trace: a function and where it was.
type Frame struct {
	Func string // as printed, without arguments: "github.com/x/lesson.(*Object).IncRef"
	File string // absolute, as printed
	Line int
	// Created marks the go statement that started the goroutine (a
	// dump's "created by F in goroutine N" line): Func is F, and the frame
	// is where F started the goroutine, not a call on the goroutine's stack.
	Created bool
}

// ShortFunc is the function's name without its package path:
// "(*Object).IncRef", "init.func1.4.1".
func (f Frame) ShortFunc() string {
	name := strings.TrimSuffix(f.Func, "(...)") // as Ginkgo's progress reports print an elided call
	name = name[strings.LastIndex(name, "/")+1:]
	if i := strings.Index(name, "."); i >= 0 {
		name = name[i+1:]
	}
	return name
}

// Where names the frame's function for a learner: its short name, or "in
// the spec" for a closure of a _test.go file's spec tree; a Created frame
// says "started by" that.
func (f Frame) Where() string {
	name := f.ShortFunc()
	if strings.HasSuffix(f.File, "_test.go") && strings.HasPrefix(name, "init.func") {
		name = "in the spec"
	}
	if f.Created {
		return "started by " + name
	}
	return name
}

// Stack is one goroutine's trace, as a race report, a panic or a goroutine
// dump prints it.
type Stack struct {
	Header string  // the line above the frames: "goroutine 7 [chan receive]:", "Write at 0x00c0 by goroutine 9:"
	Frames []Frame // innermost first
}

// Goroutine returns the goroutine number the header names, or 0.
func (s Stack) Goroutine() int {
	m := goroutineNumber.FindStringSubmatch(s.Header)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// Wait returns the state in a goroutine dump's header ("chan receive",
// "sync.Mutex.Lock", "running"), without the minutes blocked, or "".
func (s Stack) Wait() string {
	m := waitState.FindStringSubmatch(s.Header)
	if m == nil {
		return ""
	}
	state, _, _ := strings.Cut(m[1], ",")
	return state
}

// In returns the frames whose file is in dir or one of its subfolders.
func (s Stack) In(dir string) []Frame {
	var out []Frame
	for _, f := range s.Frames {
		if inDir(f.File, dir) {
			out = append(out, f)
		}
	}
	return out
}

// inDir reports whether file is below dir.
func inDir(file, dir string) bool {
	rel, err := filepath.Rel(dir, file)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

var (
	goroutineNumber = regexp.MustCompile(`[Gg]oroutine (\d+)`)
	waitState       = regexp.MustCompile(`^goroutine \d+ \[([^\]]+)\]`)
	// A function line, then a tab-indented "file:line +0x..." line.
	frameLines = regexp.MustCompile(`^\s*(\S.*?)(\([^()]*\))?\s*\n\s+(/\S+|[A-Za-z]:\\\S+|\S+\.go|_testmain\.go):(\d+)(?: \+0x[0-9a-f]+)?\s*$`)
)

// ParseStacks reads every stack trace in text: each is a header line ending
// in ':' (or a "goroutine N [state]:" line) followed by frames.
func ParseStacks(text string) []Stack {
	lines := strings.Split(text, "\n")
	var out []Stack
	for i := 0; i < len(lines); i++ {
		h := strings.TrimSpace(lines[i])
		if !strings.HasSuffix(h, ":") || strings.HasPrefix(h, "/") {
			continue
		}
		s := Stack{Header: h}
		j := i + 1
		for j+1 < len(lines) {
			m := frameLines.FindStringSubmatch(lines[j] + "\n" + lines[j+1])
			if m == nil {
				break
			}
			line, _ := strconv.Atoi(m[4])
			f := Frame{Func: strings.TrimSpace(m[1]), File: m[3], Line: line}
			if name, ok := strings.CutPrefix(f.Func, "created by "); ok {
				f.Func, _, _ = strings.Cut(name, " in goroutine ")
				f.Created = true
			}
			s.Frames = append(s.Frames, f)
			j += 2
		}
		if len(s.Frames) > 0 {
			out = append(out, s)
			i = j - 1
		}
	}
	return out
}
