package grade

import (
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// specNamesUsed lists each place where an exercise file uses a name that a
// spec file declares: a spec's variable, constant, function, type or
// method. Exercise files compile into the same package as the specs, so
// without this rule an init in a new exercise file could swap a spec's
// programs or raise a spec's limits, and pass without solving the lesson.
//
// It type-checks the package as the compiler saw it: files maps every .go
// file of the lesson (exercise files and specs) to the file that was built,
// specs names the spec files among them, and exports maps each import path
// to its compiled export data (testrun.ExportData). Places are named as
// shown/file.go:line. It returns an error when the package cannot be
// type-checked, which after a good build means grading cannot vouch for
// the rule.
func specNamesUsed(files map[string]string, specs []string, exports map[string]string, shown string) ([]string, error) {
	fset := token.NewFileSet()
	byPkg := map[string][]*ast.File{} // package clause -> its files
	specFile := map[string]bool{}     // the paths fset knows the spec files by
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for n := range files {
			if !yield(n) {
				return
			}
		}
	}) {
		path := files[name]
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, fmt.Errorf("%s does not parse: %w", name, err)
		}
		if slices.Contains(specs, name) {
			specFile[path] = true
		}
		byPkg[f.Name.Name] = append(byPkg[f.Name.Name], f)
	}
	conf := types.Config{
		Importer: importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
			file, ok := exports[path]
			if !ok {
				return nil, fmt.Errorf("no export data for %s", path)
			}
			return os.Open(file)
		}),
		Error: func(error) {}, // the first error is returned by Check
	}
	var out []string
	for name, pkgFiles := range byPkg {
		if strings.HasSuffix(name, "_test") {
			continue // an external test package: no exercise file can name it
		}
		info := &types.Info{Uses: map[*ast.Ident]types.Object{}}
		if _, err := conf.Check(name, fset, pkgFiles, info); err != nil {
			return nil, err
		}
		for id, obj := range info.Uses {
			at := fset.PositionFor(id.Pos(), false)
			if specFile[at.Filename] || !obj.Pos().IsValid() {
				continue
			}
			decl := fset.PositionFor(obj.Pos(), false)
			if !specFile[decl.Filename] {
				continue
			}
			out = append(out, fmt.Sprintf("%s:%d: uses %s, which the spec file %s declares: exercise code may not touch the specs' own names (an init that changes them changes what the specs check)",
				filepath.Join(shown, filepath.Base(at.Filename)), at.Line, id.Name, filepath.Base(decl.Filename)))
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}
