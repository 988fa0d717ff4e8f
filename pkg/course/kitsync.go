package course

import (
	"fmt"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
)

// KitSync is the import path of the kit's sync package, which lesson code
// imports instead of the standard library's sync; its atomic package,
// KitSync + "/atomic", stands in for sync/atomic.
const KitSync = "github.com/racekit/racekit/pkg/sync"

// WhyKitSync says why a lesson's code must use the kit's sync.
const WhyKitSync = "the scheduler that judges a lesson sees every Lock, Unlock and atomic operation of the kit's sync, " +
	"but nothing of the standard library's: it could not put another goroutine between an Unlock and the next Lock, " +
	"so two critical sections would pass for one"

// KitSyncFor returns the kit's package that lesson code imports in place
// of the standard library's package path ("sync", "sync/atomic"), and
// whether path is one of those.
func KitSyncFor(path string) (string, bool) {
	switch path {
	case "sync":
		return KitSync, true
	case "sync/atomic":
		return KitSync + "/atomic", true
	}
	return "", false
}

// StdSyncImports lists the imports of the standard library's sync and
// sync/atomic in the lesson code in dir (its .go files but the _test.go
// ones), each as `object.go:5 imports "sync": import
// "github.com/racekit/racekit/pkg/sync" instead`, in file order. The error
// is about dir or a file that cannot be read or parsed.
func StdSyncImports(dir string) ([]string, error) {
	files, err := ExerciseFiles(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, name := range files {
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.ImportsOnly)
		if err != nil {
			return nil, fmt.Errorf("course: %w", err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if kit, ok := KitSyncFor(path); ok {
				out = append(out, fmt.Sprintf("%s:%d imports %q: import %q instead", name, fset.Position(imp.Pos()).Line, path, kit))
			}
		}
	}
	return out, nil
}
