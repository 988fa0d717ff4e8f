package testrun

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Build says what to compile: one package's test binary, as `go test -c`
// makes it. The zero value is not usable: Package and Output are required.
type Build struct {
	Dir     string // the folder to run the go command in (the module's root); "" is the working directory
	Package string // the package's import path, or a ./relative path from Dir
	Race    bool   // build with the race detector
	Overlay string // a `go build -overlay` file, or "" for none
	Output  string // where to write the binary
	// NoVet leaves out the vet checks go test runs before a test binary is
	// built (-vet=off): about a fifth of a warm build. For code that is not
	// a learner's, such as the kit's own fixtures; a learner's build keeps
	// them, as go test would.
	NoVet bool
	// Timeout is how long the go command may take, compilers and linker
	// included; zero means no limit. A build that takes longer is killed
	// and Compile returns a *LimitError.
	Timeout time.Duration
	// Limits bound the memory and threads of the go command and every
	// compiler it starts, together; the zero value sets none.
	Limits Limits
	// OutputLimit is how many bytes of the go command's output are kept
	// (the first and the last half); zero means DefaultOutputLimit.
	OutputLimit int
}

// Problem is one compiler complaint: where, and what.
type Problem struct {
	File    string // as the compiler printed it
	Line    int
	Col     int // 0 when the compiler gave none
	Message string
}

// String is "file:line:col: message", as the compiler printed it.
func (p Problem) String() string {
	if p.Col == 0 {
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Message)
	}
	return fmt.Sprintf("%s:%d:%d: %s", p.File, p.Line, p.Col, p.Message)
}

// BuildError is a package that did not compile: the go command's output
// and the problems read from it. It is plain data, which Compile fills in.
type BuildError struct {
	Output   string
	Problems []Problem // empty when the output names no file:line (a missing module, say)
}

// Error is the problems one a line, or the go command's output when it
// names none.
func (e *BuildError) Error() string {
	if len(e.Problems) == 0 {
		return "testrun: the package did not build:\n" + strings.TrimSpace(e.Output)
	}
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return "testrun: the package did not build:\n" + strings.Join(lines, "\n")
}

// Compile builds b's test binary. A package that does not compile gets a
// *BuildError; a build killed for going over b.Timeout or b.Limits gets a
// *LimitError; a go command that cannot be run at all gets that error.
// The go command runs in a process group of its own, which is killed when
// ctx is done, so that no compiler outlives it.
func Compile(ctx context.Context, b Build) error {
	if b.Package == "" || b.Output == "" {
		return errors.New("testrun: Build needs a Package and an Output")
	}
	// -ldflags="-w -s" leaves DWARF and the symbol table out, which nothing
	// here reads (panics, hangs and race reports come from the binary's own
	// line tables): it cuts about a quarter of the link, most of a warm
	// build.
	return goCommand(ctx, b, []string{b.Package}, "test", "-c", "-ldflags=-w -s", "-o", b.Output)
}

// CompileEach builds the test binaries of several packages with one go
// command, as Compile builds one with b's flags: each into the folder dir,
// at the path Binary gives; b.Package and b.Output are not used. One
// command loads the packages' shared imports once and schedules their
// compiles and links together, which costs about a fifth less than a
// Compile per package. A package that does not compile stops none of the
// others: the error is then the *BuildError of them all, and the binaries
// of the packages that built are in dir. Other errors are as Compile's.
func CompileEach(ctx context.Context, b Build, dir string, pkgs ...string) error {
	if len(pkgs) == 0 || dir == "" {
		return errors.New("testrun: CompileEach needs packages and a folder")
	}
	// A trailing separator makes -o a folder, even for one package.
	return goCommand(ctx, b, pkgs, "test", "-c", "-ldflags=-w -s", "-o", filepath.Clean(dir)+string(filepath.Separator))
}

// Binary is where CompileEach writes the test binary of the package pkg
// in dir: the last element of its path followed by ".test", as go test
// names it. (For a path ending in a major version, "/v2", the go command
// picks another name; CompileEach's caller finds no binary there.)
func Binary(dir, pkg string) string {
	return filepath.Join(dir, path.Base(filepath.ToSlash(pkg))+".test")
}

// CompileAlone compiles b's package without its test files, as a program
// that imports it would, and throws the result away (go build); b.Output
// is not used. It fails, with a *BuildError naming the lines, when the
// package's own files use anything its test files declare. Errors are as
// Compile's, under the same b.Timeout and b.Limits.
func CompileAlone(ctx context.Context, b Build) error {
	if b.Package == "" {
		return errors.New("testrun: Build needs a Package")
	}
	return goCommand(ctx, b, []string{b.Package}, "build")
}

// goCommand runs the go command with args, b's flags and pkgs, as Compile
// describes.
func goCommand(ctx context.Context, b Build, pkgs []string, args ...string) error {
	if b.Race {
		args = append(args, "-race")
	}
	if b.NoVet && args[0] == "test" {
		args = append(args, "-vet=off")
	}
	if b.Overlay != "" {
		args = append(args, "-overlay", b.Overlay)
	}
	args = append(args, pkgs...)
	cmd := exec.Command("go", args...)
	cmd.Dir = b.Dir
	out := newCapture(b.OutputLimit)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = time.Second
	err, over := supervise(ctx, cmd, b.Limits, b.Timeout)
	var exit *exec.ExitError
	switch {
	case over != nil:
		return over
	case err == nil:
		return nil
	case errors.As(err, &exit) && ctx.Err() == nil:
		return &BuildError{Output: out.String(), Problems: ParseProblems(out.String())}
	default:
		return fmt.Errorf("testrun: go %s: %w\n%s", strings.Join(args, " "), err, out.String())
	}
}

// problemLine is a compiler or vet complaint: "path/file.go:12:3: message".
var problemLine = regexp.MustCompile(`(?m)^(?:vet: )?(\S+?\.go):(\d+)(?::(\d+))?: (.+)$`)

// ParseProblems reads the file:line complaints from a go command's output,
// in order, skipping repeats.
func ParseProblems(output string) []Problem {
	var out []Problem
	seen := map[string]bool{}
	for _, m := range problemLine.FindAllStringSubmatch(output, -1) {
		line, _ := strconv.Atoi(m[2])
		col, _ := strconv.Atoi(m[3])
		p := Problem{File: m[1], Line: line, Col: col, Message: m[4]}
		if key := p.String(); !seen[key] {
			seen[key] = true
			out = append(out, p)
		}
	}
	return out
}
