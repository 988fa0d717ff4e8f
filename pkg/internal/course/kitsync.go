package course

import (
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"strconv"
	"strings"
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
// sync/atomic in the lesson code at the root of fsys (its .go files but the
// _test.go ones), each as `object.go:5 imports "sync": import
// "github.com/racekit/racekit/pkg/sync" instead`, in file order. A lesson's
// spec passes the files it embeds (//go:embed *.go), which are the ones
// compiled, even under go build -overlay; os.DirFS reads a folder. The
// error is about a file that cannot be listed, read or parsed.
func StdSyncImports(fsys fs.FS) ([]string, error) {
	names, err := fs.Glob(fsys, "*.go")
	if err != nil {
		return nil, fmt.Errorf("course: %w", err)
	}
	if len(names) == 0 {
		if _, err := fs.Stat(fsys, "."); err != nil {
			return nil, fmt.Errorf("course: %w", err)
		}
	}
	var out []string
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		text, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("course: %w", err)
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, name, text, parser.ImportsOnly)
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
