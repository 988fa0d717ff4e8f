package interleavetest

import (
	"github.com/onsi/ginkgo/v2"

	"github.com/racekit/racekit/pkg/interleave"
)

// ReportExploration adds rep's coverage, and its outcome table when the
// exploration counted outcomes (interleave.EnvOutcomes), to the running
// spec as its "exploration" report entry, which racekit check -v prints.
// Call it right after Explore, before the spec's expectations, so that a
// failing exploration is reported too. Ginkgo shows the entry when the
// spec passes and runs verbosely; when it fails, the failure says more,
// and the entry stays in the report only.
func ReportExploration(rep *interleave.Report) {
	visibility := ginkgo.ReportEntryVisibilityFailureOrVerbose
	if !rep.Passed() {
		visibility = ginkgo.ReportEntryVisibilityNever
	}
	ginkgo.AddReportEntry("exploration", rep.Coverage(), visibility)
}
