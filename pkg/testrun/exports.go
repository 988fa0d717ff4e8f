package testrun

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// ExportData asks the go command for the compiled export data of every
// package b's test binary imports (go list -deps -test -export), built with
// b's race flag and overlay so that it comes from the build cache Compile
// filled, and maps each import path to its export data file. Test variants
// ("p [p.test]") are left out: they are what a caller type-checks itself.
// b.Output is not used. Like Compile, the go command runs under b.Timeout
// and b.Limits, and a *LimitError says which it went over.
//
// Packages that do not compile are listed without export data rather than
// failing the call: the plain variant of a lesson whose exercise files use
// a name of its specs does not compile, and is exactly what a caller wants
// to find.
func ExportData(ctx context.Context, b Build) (map[string]string, error) {
	if b.Package == "" {
		return nil, errors.New("testrun: ExportData needs a Package")
	}
	args := []string{"list", "-e", "-deps", "-test", "-export", "-f", "{{if .Export}}{{.ImportPath}}\t{{.Export}}{{end}}"}
	if b.Race {
		args = append(args, "-race")
	}
	if b.Overlay != "" {
		args = append(args, "-overlay", b.Overlay)
	}
	cmd := exec.Command("go", append(args, b.Package)...)
	cmd.Dir = b.Dir
	out, stderr := newCapture(b.OutputLimit), newCapture(b.OutputLimit)
	cmd.Stdout, cmd.Stderr = out, stderr
	cmd.WaitDelay = time.Second
	err, over := supervise(ctx, cmd, b.Limits, b.Timeout)
	switch {
	case over != nil:
		return nil, over
	case err != nil:
		return nil, fmt.Errorf("testrun: go %s: %w\n%s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	exports := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(out.String()))
	for sc.Scan() {
		path, file, ok := strings.Cut(sc.Text(), "\t")
		if !ok || strings.Contains(path, " ") {
			continue // blank, or a test variant
		}
		exports[path] = file
	}
	if len(exports) == 0 {
		return nil, fmt.Errorf("testrun: go %s named no export data", strings.Join(args, " "))
	}
	return exports, sc.Err()
}
