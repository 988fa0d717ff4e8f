package grade

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/racekit/racekit/pkg/course"
)

// The rules for exercise files. Code in an exercise file runs inside the
// test binary, so whatever it may call, it may use to pass without solving
// the lesson: write Ginkgo's report itself and exit, turn on a dry run
// through os.Args, hide its accesses from the race detector. The standard
// library has many doors to those (os/exec, net/http/cgi, expvar's copy of
// os.Args, assembly the race detector cannot see), so exercise files may
// import only the packages below, which are all a lesson's fix needs (the
// kit's sync and sync/atomic stand in for the standard library's, which
// the scheduler cannot see): of
// os they may use the standard streams and the environment, and of runtime
// none of the hooks that talk to the race detector (RaceDisable,
// RaceAcquire...). They may not import a package with a dot, nor change
// (assign, take the address of) another package's variables, such as
// vm.ErrNotHolder. No //go: directive other than //go:build and
// //go:generate is allowed (//go:norace hides a function's accesses from
// the race detector).
var (
	// stdImports are the standard packages exercise files may import.
	stdImports = []string{
		"bufio", "bytes", "cmp", "container/heap", "container/list", "container/ring", "context",
		"errors", "fmt", "io", "iter", "log", "maps", "math", "math/bits", "math/rand", "math/rand/v2",
		"os", "regexp", "runtime", "slices", "sort", "strconv", "strings",
		"time", "unicode", "unicode/utf8",
	}
	// kitImports are the kit's packages exercise files may import.
	kitImports = []string{
		course.KitSync,
		course.KitSync + "/atomic",
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
	switch {
	case slices.Contains(kitImports, path), slices.Contains(stdImports, path):
		return true, ""
	case strings.HasPrefix(path, "github.com/onsi/"), path == "testing" || strings.HasPrefix(path, "testing/"):
		return false, "only _test.go files may use the test framework, and grading uses the kit's own"
	}
	if kit, ok := course.KitSyncFor(path); ok {
		return false, fmt.Sprintf("import %q instead: %s; only the import line changes", kit, course.WhyKitSync)
	}
	var kit []string
	for _, k := range kitImports {
		kit = append(kit, strings.TrimPrefix(k, "github.com/racekit/racekit/"))
	}
	return false, "exercise files may import only " + strings.Join(stdImports, ", ") + " of the standard library and the kit's " +
		strings.Join(kit, ", ") + ": code that runs inside the test binary could otherwise change how the specs run or are reported"
}

// majorVersion is a path element that names a major version: "v2".
var majorVersion = regexp.MustCompile(`^v[0-9]+$`)

// localName is the name a file refers to an import by: its own name for
// it, or the package's, which for the allowed imports is the last element
// of the path that is not a major version ("math/rand/v2" is rand).
func localName(imp *ast.ImportSpec, importPath string) string {
	if imp.Name != nil {
		return imp.Name.Name
	}
	name := path.Base(importPath)
	if majorVersion.MatchString(name) {
		name = path.Base(path.Dir(importPath))
	}
	return name
}

// ruleCheck is what breakRules found: the places that break the rules,
// and the files go/parser could not read, which the rules could not
// check (the compiler reads some that go/parser does not).
type ruleCheck struct {
	Broken   []string
	Unparsed []string
}

// message is the check's findings as a lesson's message, or "" when the
// rules are kept.
func (c ruleCheck) message() string {
	if len(c.Broken) == 0 {
		return ""
	}
	return "the lesson's code breaks the rules for exercise files, so its specs were not run:\n  " + strings.Join(c.Broken, "\n  ") +
		"\n(what a lesson's code may use: the kit's README.md, \"How a lesson works\", step 3)"
}

// breakRules checks the exercise files of dir against the rules above. It
// names each file as a path below shown (lessons/01-lost-update, say).
func breakRules(dir, shown string, files []string) ruleCheck {
	var c ruleCheck
	for _, name := range files {
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.ParseComments)
		if err != nil {
			c.Unparsed = append(c.Unparsed, fmt.Sprintf("%s (%v)", filepath.Join(shown, name), firstLine(err.Error())))
			continue
		}
		at := func(p token.Pos) string {
			return fmt.Sprintf("%s:%d", filepath.Join(shown, name), fset.Position(p).Line)
		}
		for _, g := range f.Comments {
			for _, cm := range g.List {
				d, ok := strings.CutPrefix(cm.Text, "//go:")
				if ok && !strings.HasPrefix(d, "build ") && !strings.HasPrefix(d, "generate ") {
					c.Broken = append(c.Broken, fmt.Sprintf("%s: the directive %s: exercise files may use no //go: directive but //go:build and //go:generate", at(cm.Pos()), strings.Fields(cm.Text)[0]))
				}
			}
		}
		// The local names of os and runtime, whose names are checked one
		// by one, and of every import.
		osNames, runtimeNames := map[string]bool{}, map[string]bool{}
		imported := map[string]bool{} // local names of the file's imports
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if ok, why := allowedImport(p); !ok {
				c.Broken = append(c.Broken, fmt.Sprintf("%s: imports %s: %s", at(imp.Pos()), p, why))
				continue
			}
			local := localName(imp, p)
			switch {
			case local == ".":
				c.Broken = append(c.Broken, fmt.Sprintf("%s: imports %s with a dot: exercise files name what they use from a package by the package's name, so that these rules can see it", at(imp.Pos()), p))
			case p == "os":
				osNames[local] = true
			case p == "runtime":
				runtimeNames[local] = true
			}
			if local != "_" && local != "." {
				imported[local] = true
			}
		}
		// pkgOf is the package name X in X.Name, when X names an import
		// and not a local variable of the same name (which the parser
		// resolves; an import it leaves unresolved).
		pkgOf := func(sel *ast.SelectorExpr) (string, bool) {
			id, ok := sel.X.(*ast.Ident)
			if !ok || id.Obj != nil || !imported[id.Name] {
				return "", false
			}
			return id.Name, true
		}
		// packageVar is the package variable e changes through, as
		// "vm.ErrNotHolder", or "": vm.ErrNotHolder, (vm.ErrNotHolder),
		// vm.Table[i], vm.Config.Field and *vm.Ptr all change one.
		var packageVar func(e ast.Expr) string
		packageVar = func(e ast.Expr) string {
			switch e := ast.Unparen(e).(type) {
			case *ast.SelectorExpr:
				if pkg, ok := pkgOf(e); ok {
					return pkg + "." + e.Sel.Name
				}
				return packageVar(e.X)
			case *ast.IndexExpr:
				return packageVar(e.X)
			case *ast.IndexListExpr:
				return packageVar(e.X)
			case *ast.StarExpr:
				return packageVar(e.X)
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
			case *ast.RangeStmt:
				if n.Tok == token.ASSIGN {
					changed = []ast.Expr{n.Key, n.Value}
				}
			case *ast.UnaryExpr:
				if n.Op == token.AND {
					changed = []ast.Expr{n.X}
				}
			}
			for _, e := range changed {
				if e == nil {
					continue
				}
				if v := packageVar(e); v != "" {
					c.Broken = append(c.Broken, fmt.Sprintf("%s: changes %s: exercise files may not change another package's variables (the specs rely on them)", at(e.Pos()), v))
				}
			}
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			pkg, ok := pkgOf(sel)
			if !ok {
				return true
			}
			switch name := sel.Sel.Name; {
			case osNames[pkg] && !slices.Contains(osAllowed, name):
				c.Broken = append(c.Broken, fmt.Sprintf("%s: %s.%s: of package os, exercise files may use only %s", at(sel.Pos()), pkg, name, strings.Join(osAllowed, ", ")))
			case runtimeNames[pkg] && strings.HasPrefix(name, "Race"):
				c.Broken = append(c.Broken, fmt.Sprintf("%s: %s.%s: exercise files may not talk to the race detector", at(sel.Pos()), pkg, name))
			}
			return true
		})
	}
	return c
}
