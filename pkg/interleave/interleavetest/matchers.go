// Package interleavetest holds Gomega matchers for the results of package
// interleave, so specs read as sentences:
//
//	Expect(interleave.Replay(fooSchedule, fooTrace)).To(interleavetest.Pass(), "lost update: ...")
package interleavetest

import (
	"fmt"

	"github.com/onsi/gomega/gcustom"
	"github.com/onsi/gomega/types"

	"github.com/racekit/racekit/pkg/interleave"
)

// Pass succeeds when a *interleave.Result (from Replay) or a
// *interleave.Report (from Explore) records no failure. When it fails, its
// message is the failure itself: the scenario, the numbered interleaving
// that broke, the invariant in words and the schedule that replays it.
func Pass() types.GomegaMatcher {
	return gcustom.MakeMatcher(func(actual any) (bool, error) {
		switch a := actual.(type) {
		case *interleave.Result:
			return a != nil && a.Passed(), nil
		case *interleave.Report:
			return a != nil && a.Passed(), nil
		}
		return false, fmt.Errorf("interleavetest.Pass expects a *interleave.Result or *interleave.Report, got %T", actual)
	}).WithTemplate("{{if .Failure}}{{.Actual.String}}{{else}}expected a failure, but every run passed: {{.Actual.String}}{{end}}")
}
