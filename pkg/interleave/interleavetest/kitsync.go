package interleavetest

import (
	"fmt"
	"strings"

	"github.com/onsi/gomega/gcustom"
	"github.com/onsi/gomega/types"

	"github.com/racekit/racekit/pkg/course"
)

// UseTheKitsSync succeeds when the lesson code in a folder (a string: its
// .go files but the _test.go ones) imports neither the standard library's
// sync nor its sync/atomic, which the scheduler cannot see. Its failure
// names every such import, with the kit's package to import instead, and
// says why.
//
// A lesson's spec runs it on ".", the folder `go test` runs it in: the
// learner's own files. (racekit check and racekit grade run the specs
// elsewhere and turn such imports away before the specs run, with the same
// words.)
func UseTheKitsSync() types.GomegaMatcher {
	found := &struct{ Imports string }{}
	return gcustom.MakeMatcher(func(dir string) (bool, error) {
		imports, err := course.StdSyncImports(dir)
		if err != nil {
			return false, fmt.Errorf("interleavetest: cannot read the lesson's code: %w", err)
		}
		found.Imports = strings.Join(imports, "\n  ")
		return len(imports) == 0, nil
	}).WithTemplate("The lesson's code uses the standard library's sync:\n  {{.Data.Imports}}\n" +
		"Use the kit's instead: " + course.WhyKitSync + ". Its API is the standard library's, so only the import line changes.", found)
}
