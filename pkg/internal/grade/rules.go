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

	"github.com/racekit/racekit/pkg/internal/course"
)

// The rules for exercise files. Code in an exercise file runs inside the
// test binary, so whatever it may call, it may use to pass without solving
// the lesson: write Ginkgo's report itself and exit, turn on a dry run
// through os.Args, hide its accesses from the race detector, or behave one
// way under a spec and another way in a program. The standard library has
// many doors to those (os/exec, net/http/cgi, expvar's copy of os.Args,
// assembly the race detector cannot see), so exercise files may import only
// the packages below, which are all a lesson's fix needs (the kit's sync and
// sync/atomic stand in for the standard library's, which the scheduler
// cannot see); log and context are not among them, as log.Logger.Output
// reads the call stack and log's dates and a context's deadline the clock.
// Of a few of those packages they may use only some names (onlyNames), and
// os.Stdout and os.Stderr only as the argument of a call. They may not
// import a package with a dot, nor change (assign, take the address of)
// another package's variables, such as vm.ErrNotHolder, nor use any name a
// spec file declares (the grader builds the lesson without its specs to
// see that: Grader.specsOutOfReach), nor call anything named Timeline (a
// gil lock's timeline stamps its events with the clock). No //go:
// directive other than //go:build and //go:generate is allowed
// (//go:norace hides a function's accesses from the race detector), and no
// //line directive (it moves the positions these rules report).
var (
	// stdImports are the standard packages exercise files may import.
	stdImports = []string{
		"bufio", "bytes", "cmp", "container/heap", "container/list", "container/ring",
		"errors", "fmt", "io", "iter", "maps", "math", "math/bits", "math/rand", "math/rand/v2",
		"os", "regexp", "runtime", "slices", "sort", "strconv", "strings",
		"time", "unicode", "unicode/utf8",
	}
	// kitImports are the kit's packages exercise files may import.
	kitImports = []string{
		course.KitSync,
		course.KitSync + "/atomic",
		kitInterleave,
		"github.com/racekit/racekit/pkg/heap",
		"github.com/racekit/racekit/pkg/vm",
		"github.com/racekit/racekit/pkg/gil",
	}
	// onlyNames are, for some allowed imports, the only names exercise
	// files may use of them, and why the rest are out of bounds.
	onlyNames = map[string]nameRule{
		"os": {[]string{"Stdout", "Stderr"},
			"the rest reach outside the lesson: the process (Exit, Args), the grader's environment (Getenv) and its files"},
		"runtime": {[]string{"Gosched", "KeepAlive", "NumCPU"},
			"the rest can end a goroutine behind the specs' back (Goexit), tell a spec from a program (Callers, Caller, Stack, FuncForPC, NumGoroutine) or talk to the race detector (RaceDisable...)"},
		kitInterleave: {[]string{"Int", "NewInt", "Point", "PointAs"},
			"the rest is the specs' own machinery, and InRun would let code behave one way under the scheduler and another everywhere else"},
		"time": {[]string{"Sleep", "Duration", "Nanosecond", "Microsecond", "Millisecond", "Second", "Minute", "Hour"},
			"a spec's clock may be fake (testing/synctest), and whatever reads it (Now, a timer's channel, After) tells a spec from a program; a fix needs to sleep, never to read the clock"},
	}
)

// kitInterleave is the import path of the kit's scheduler.
const kitInterleave = "github.com/racekit/racekit/pkg/interleave"

// A nameRule lists names of a package and says why they are listed.
type nameRule struct {
	names []string
	why   string
}

// nameRefused says whether an exercise file may not use pkg.name, given
// the package's import path, and why not.
func nameRefused(importPath, name string) (string, bool) {
	if r, ok := onlyNames[importPath]; ok && !slices.Contains(r.names, name) {
		return fmt.Sprintf("of package %s, exercise files may use only %s: %s", importPath, strings.Join(r.names, ", "), r.why), true
	}
	return "", false
}

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
	// Names is every identifier the parsed exercise files spell, for
	// mayNameAny; nil when no file parsed.
	Names map[string]bool
}

// mayNameAny reports whether the exercise files could refer to one of
// names: whether one of them is spelled as an identifier anywhere in a
// parsed file, or a file could not be parsed. Code can only use a
// package-level name, a method or a field by spelling it (the rules refuse
// //go:linkname and dot-imports), so false means it uses none of names.
func (c ruleCheck) mayNameAny(names map[string]bool) bool {
	if len(c.Unparsed) > 0 {
		return true
	}
	for n := range names {
		if c.Names[n] {
			return true
		}
	}
	return false
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
		if c.Names == nil {
			c.Names = map[string]bool{}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok {
				c.Names[id.Name] = true
			}
			return true
		})
		// Positions as the file has them: a //line directive (refused
		// below) must not move where a complaint points.
		at := func(p token.Pos) string {
			return fmt.Sprintf("%s:%d", filepath.Join(shown, name), fset.PositionFor(p, false).Line)
		}
		for _, g := range f.Comments {
			for _, cm := range g.List {
				if strings.HasPrefix(cm.Text, "//line ") || strings.HasPrefix(cm.Text, "/*line ") {
					c.Broken = append(c.Broken, fmt.Sprintf("%s: a //line directive: exercise files may not move the positions the compiler and these rules report", at(cm.Pos())))
					continue
				}
				d, ok := strings.CutPrefix(cm.Text, "//go:")
				if ok && !strings.HasPrefix(d, "build ") && !strings.HasPrefix(d, "generate ") {
					c.Broken = append(c.Broken, fmt.Sprintf("%s: the directive %s: exercise files may use no //go: directive but //go:build and //go:generate", at(cm.Pos()), strings.Fields(cm.Text)[0]))
				}
			}
		}
		imported := map[string]string{} // the file's imports: local name -> import path
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
			case local != "_":
				imported[local] = p
			}
		}
		// pkgOf is the package name X in X.Name, when X names an import
		// and not a local variable of the same name (which the parser
		// resolves; an import it leaves unresolved).
		pkgOf := func(sel *ast.SelectorExpr) (string, bool) {
			id, ok := sel.X.(*ast.Ident)
			if !ok || id.Obj != nil || imported[id.Name] == "" {
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
		// The streams os.Stdout and os.Stderr may only be handed to a call
		// (fmt.Fprintln(os.Stderr, ...)): code that closes, swaps or keeps
		// one could silence the race detector's report.
		passed := map[*ast.SelectorExpr]bool{}
		ast.Inspect(f, func(n ast.Node) bool {
			if call, ok := n.(*ast.CallExpr); ok {
				for _, arg := range call.Args {
					if sel, ok := ast.Unparen(arg).(*ast.SelectorExpr); ok {
						passed[sel] = true
					}
				}
			}
			return true
		})
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
			if sel.Sel.Name == "Timeline" {
				// A gil lock's Timeline stamps each event with time.Now:
				// the clock by another door.
				c.Broken = append(c.Broken, fmt.Sprintf("%s: .Timeline: exercise files may not read a GIL's timeline: its events carry the clock, "+
					"and a spec's clock may be fake, so reading it tells a spec from a program", at(sel.Pos())))
			}
			pkg, ok := pkgOf(sel)
			if !ok {
				return true
			}
			if why, refused := nameRefused(imported[pkg], sel.Sel.Name); refused {
				c.Broken = append(c.Broken, fmt.Sprintf("%s: %s.%s: %s", at(sel.Pos()), pkg, sel.Sel.Name, why))
			} else if imported[pkg] == "os" && !passed[sel] {
				c.Broken = append(c.Broken, fmt.Sprintf("%s: %s.%s: exercise files may only hand os.Stdout and os.Stderr to a call, as in fmt.Fprintln(os.Stderr, ...): "+
					"code that closes, swaps or keeps one could silence the race detector's report", at(sel.Pos()), pkg, sel.Sel.Name))
			}
			return true
		})
	}
	return c
}
