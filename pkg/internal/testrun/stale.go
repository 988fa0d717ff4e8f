package testrun

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// SlowBuild is how many packages missing from the build cache make a
// build likely to take more than a few seconds. A cold cache misses about
// 320 for one lesson (the standard library rebuilt with the race detector,
// Ginkgo and Gomega) and takes a minute or two on two cores; a pull that
// changed the kit's pkg/ misses at most the 9 kit packages a lesson
// imports, a few seconds' work.
const SlowBuild = 20

// LikelySlow reports whether a build whose missing packages are stale (as
// StaleDeps finds them) is likely to be slow enough to deserve a word
// first: when the race detector's runtime must be compiled, every package
// above it must be too, and so must any build missing SlowBuild packages
// or more.
func LikelySlow(stale []string) bool {
	for _, p := range stale {
		if p == "runtime" {
			return true
		}
	}
	return len(stale) >= SlowBuild
}

// StaleDeps returns the import paths of the packages a race-enabled test
// build of pkgs (./relative to root) would compile because the build cache
// lacks them. It asks `go list -deps -test -race`, which hashes the
// sources and looks in the cache without compiling anything: about 0.4 s
// warm, 0.8 s cold. It leaves out test mains, which are linked afresh
// every time, and pkgs as built without their test files: a test build
// compiles a package with internal test files only with them, as the
// variant "p [p.test]", which is counted.
func StaleDeps(ctx context.Context, root string, pkgs ...string) ([]string, error) {
	args := append([]string{"list", "-e", "-deps", "-test", "-race",
		"-f", `{{if .Stale}}{{.ImportPath}}{{"\t"}}{{.Dir}}{{"\n"}}{{end}}`}, pkgs...)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list cannot say what the build cache lacks: %w\n%s", err, strings.TrimSpace(stderr.String()))
	}
	named := make([]string, len(pkgs))
	for i, p := range pkgs {
		named[i] = filepath.Join(root, p)
	}
	var stale []string
	for line := range strings.Lines(string(out)) {
		// "p", "p [p.test]" (p with its test files) or "p.test" (the main).
		path, dir, _ := strings.Cut(strings.TrimSpace(line), "\t")
		switch {
		case path == "", strings.HasSuffix(path, ".test"):
		case !strings.Contains(path, " [") && slices.Contains(named, dir):
		default:
			stale = append(stale, path)
		}
	}
	return stale, nil
}
