package grade

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// The rules for exercise files. Code in an exercise file runs inside the
// test binary, so whatever it may call, it may use to pass without solving
// the lesson: write Ginkgo's report itself and exit, turn on a dry run
// through os.Args, hide its accesses from the race detector. Exercise
// files therefore may import the standard library except the packages
// below, and of the kit only the packages lessons are built on; of os they
// may use the standard streams and the environment, and of runtime none of
// the hooks that talk to the race detector (RaceDisable, RaceAcquire...).
// They may not import a package with a dot, nor change (assign, take the
// address of) another package's variables, such as vm.ErrNotHolder. No
// //go: directive other than //go:build is allowed (//go:norace hides a
// function's accesses from the race detector).
var (
	// deniedImports are standard packages exercise files may not import,
	// with every package below them.
	deniedImports = []string{
		"testing", "flag", "syscall", "unsafe", "C", "plugin", "io/ioutil",
		"os/exec", "os/signal", "os/user", "runtime/debug", "runtime/coverage", "runtime/pprof",
		"runtime/trace", "runtime/cgo", "internal", "vendor", "cmd",
	}
	// kitImports are the kit's packages exercise files may import.
	kitImports = []string{
		"github.com/racekit/racekit/pkg/interleave",
		"github.com/racekit/racekit/pkg/heap",
		"github.com/racekit/racekit/pkg/vm",
		"github.com/racekit/racekit/pkg/gil",
	}
	// osAllowed are the only names of package os exercise files may use.
	osAllowed = []string{"Stdout", "Stderr", "Getenv", "LookupEnv"}
)

// allowedImport says whether an exercise file may import path, and why
// not when it may not.
func allowedImport(path string) (bool, string) {
	first, _, _ := strings.Cut(path, "/")
	switch {
	case slices.Contains(kitImports, path):
		return true, ""
	case strings.HasPrefix(path, "github.com/onsi/"):
		return false, "only _test.go files may use the test framework, and grading uses the kit's own"
	case strings.Contains(first, "."):
		return false, "of the packages outside the standard library, exercise files may import only " + strings.Join(kitImports, ", ")
	}
	for _, d := range deniedImports {
		if path == d || strings.HasPrefix(path, d+"/") {
			return false, "exercise files may not use it: code that runs inside the test binary could change how the specs run or are reported"
		}
	}
	return true, ""
}

// breakRules returns a message naming each place in the exercise files
// of dir that breaks the rules above, or "" when none does. It names each
// file as a path below shown (lessons/01-lost-update, say).
// Files that do not parse are left to the compiler, whose message is
// better.
func breakRules(dir, shown string, files []string) string {
	var bad []string
	for _, name := range files {
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			continue
		}
		at := func(p token.Pos) string {
			return fmt.Sprintf("%s:%d", filepath.Join(shown, name), fset.Position(p).Line)
		}
		for _, g := range f.Comments {
			for _, c := range g.List {
				if d, ok := strings.CutPrefix(c.Text, "//go:"); ok && !strings.HasPrefix(d, "build ") {
					bad = append(bad, fmt.Sprintf("%s: the directive %s: exercise files may use no //go: directive but //go:build", at(c.Pos()), strings.Fields(c.Text)[0]))
				}
			}
		}
		checked := map[string][]string{} // local package name -> the only names of it allowed
		imported := map[string]bool{}    // local names of the file's imports
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if ok, why := allowedImport(path); !ok {
				bad = append(bad, fmt.Sprintf("%s: imports %s: %s", at(imp.Pos()), path, why))
				continue
			}
			local := filepath.Base(path)
			if imp.Name != nil {
				local = imp.Name.Name
			}
			switch {
			case local == ".":
				bad = append(bad, fmt.Sprintf("%s: imports %s with a dot: exercise files name what they use from a package by the package's name, so that these rules can see it", at(imp.Pos()), path))
			case path == "os":
				checked[local] = osAllowed
			case path == "runtime":
				checked[local] = nil
			}
			if local != "_" && local != "." {
				imported[local] = true
			}
		}
		// pkgName is the package a selector like vm.ErrNotHolder names, or "".
		pkgName := func(e ast.Expr) string {
			sel, ok := e.(*ast.SelectorExpr)
			if !ok {
				return ""
			}
			if pkg, ok := sel.X.(*ast.Ident); ok && imported[pkg.Name] {
				return pkg.Name + "." + sel.Sel.Name
			}
			return ""
		}
		ast.Inspect(f, func(n ast.Node) bool {
			var changed []ast.Expr
			switch n := n.(type) {
			case *ast.AssignStmt:
				changed = n.Lhs
			case *ast.IncDecStmt:
				changed = []ast.Expr{n.X}
			case *ast.UnaryExpr:
				if n.Op == token.AND {
					changed = []ast.Expr{n.X}
				}
			}
			for _, e := range changed {
				if name := pkgName(e); name != "" {
					bad = append(bad, fmt.Sprintf("%s: changes %s: exercise files may not change another package's variables (the specs rely on them)", at(e.Pos()), name))
				}
			}
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			pkg, ok := sel.X.(*ast.Ident)
			if !ok {
				return true
			}
			allowed, isChecked := checked[pkg.Name]
			switch name := sel.Sel.Name; {
			case !isChecked:
			case allowed != nil && !slices.Contains(allowed, name):
				bad = append(bad, fmt.Sprintf("%s: %s.%s: of package os, exercise files may use only %s", at(sel.Pos()), pkg.Name, name, strings.Join(osAllowed, ", ")))
			case allowed == nil && strings.HasPrefix(name, "Race"):
				bad = append(bad, fmt.Sprintf("%s: %s.%s: exercise files may not talk to the race detector", at(sel.Pos()), pkg.Name, name))
			}
			return true
		})
	}
	if len(bad) == 0 {
		return ""
	}
	return "the lesson's code breaks the rules for exercise files, so its specs were not run:\n  " + strings.Join(bad, "\n  ")
}
