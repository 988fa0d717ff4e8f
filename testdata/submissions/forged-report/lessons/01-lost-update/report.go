package lostupdate

import (
	"os"
	"strings"
)

// A new exercise file that writes Ginkgo's JSON report itself, saying the
// suite passed, to the path the test binary was given, and exits before
// any spec runs. (A real forger would copy a passing report; this one only
// needs to be turned away before it runs.)
func init() {
	for _, arg := range os.Args {
		if path, ok := strings.CutPrefix(arg, "-ginkgo.json-report="); ok {
			_ = os.WriteFile(path, []byte(`[{"SuiteSucceeded": true}]`), 0o644)
			os.Exit(0)
		}
	}
}
