package interleavetest

import (
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/onsi/gomega/gcustom"
	"github.com/onsi/gomega/types"

	"github.com/racekit/racekit/pkg/internal/course"
)

// UseTheKitsSync succeeds when the lesson code in an fs.FS, or in a folder
// named by a string (its .go files but the _test.go ones), imports neither
// the standard library's sync nor its sync/atomic, which the scheduler
// cannot see. Its failure names every such import, with the kit's package
// to import instead, and says why.
//
// A lesson's spec embeds its package's files (//go:embed *.go) and passes
// them: they are the files compiled into the test binary, whether by go
// test in the learner's folder or by racekit check and grade, which
// overlay the learner's files on the kit's specs (and also turn such
// imports away before running anything, with the same words).
func UseTheKitsSync() types.GomegaMatcher {
	found := &struct{ Imports string }{}
	return gcustom.MakeMatcher(func(code any) (bool, error) {
		var fsys fs.FS
		switch c := code.(type) {
		case fs.FS:
			fsys = c
		case string:
			fsys = os.DirFS(c)
		default:
			return false, fmt.Errorf("interleavetest.UseTheKitsSync expects an fs.FS or a folder's path, got %T", code)
		}
		imports, err := course.StdSyncImports(fsys)
		if err != nil {
			return false, fmt.Errorf("interleavetest: cannot read the lesson's code: %w", err)
		}
		found.Imports = strings.Join(imports, "\n  ")
		return len(imports) == 0, nil
	}).WithTemplate("The lesson's code uses the standard library's sync:\n  {{.Data.Imports}}\n"+
		"Use the kit's instead: "+course.WhyKitSync+". Its API is the standard library's, so only the import line changes.", found)
}
