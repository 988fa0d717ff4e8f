package grade

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/onsi/ginkgo/v2/reporters"
	"github.com/onsi/ginkgo/v2/types"
)

// WriteJSON writes r as indented JSON:
//
//	{"status": "pass"|"fail"|"error", "score": N, "max_score": M,
//	 "lessons": [{"slug", "title", "status", "score", "max_score", "message",
//	              "specs": [{"name", "status", "message"}]}]}
func WriteJSON(w io.Writer, r Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteJUnit writes r as one JUnit XML file at path, a test suite per
// lesson, through Ginkgo's own JUnit reporter: each lesson's report is
// rendered on its own and the files are merged, as the ginkgo command does
// for several suites.
func WriteJUnit(path string, r Result) error {
	dir, err := os.MkdirTemp("", "racekit-junit-")
	if err != nil {
		return fmt.Errorf("grade: %w", err)
	}
	defer os.RemoveAll(dir)
	var parts []string
	for i, l := range r.Lessons {
		part := filepath.Join(dir, fmt.Sprintf("%02d.xml", i))
		// The grader gives every lesson that did not pass a failing spec in
		// its report; a Lesson made otherwise must not read as a passing suite.
		// (Clipped, so that appending never writes into r's own slices.)
		l.Report.SpecReports, l.Specs = slices.Clip(l.Report.SpecReports), slices.Clip(l.Specs)
		switch l.Status {
		case Fail:
			l.ensureReport(specRuns, l.Message, types.SpecStateFailed)
		case Error:
			l.ensureReport(specRuns, l.Message, types.SpecStateAborted)
		}
		report := l.Report
		report.SuiteDescription = l.Lesson.Dir()
		if err := reporters.GenerateJUnitReportWithConfig(report, part, reporters.JunitReportConfig{OmitSuiteSetupNodes: true}); err != nil {
			return fmt.Errorf("grade: %w", err)
		}
		parts = append(parts, part)
	}
	if len(parts) == 0 {
		return fmt.Errorf("grade: no lessons to write to %s", path)
	}
	if _, err := reporters.MergeAndCleanupJUnitReports(parts, path); err != nil {
		return fmt.Errorf("grade: %w", err)
	}
	return nil
}

// WriteSummary writes r as a markdown table, one row per lesson, for a
// GitHub Actions job summary ($GITHUB_STEP_SUMMARY).
func WriteSummary(w io.Writer, r Result) error {
	var b strings.Builder
	fmt.Fprintf(&b, "### racekit grade: %s, %d of %d lessons\n\n", r.Status, r.Score, r.MaxScore)
	b.WriteString("| Lesson | Title | Status | Score | Why |\n|---|---|---|---|---|\n")
	for _, l := range r.Lessons {
		mark := map[Status]string{Pass: "✅ pass", Fail: "❌ fail", Error: "⚠️ error"}[l.Status]
		fmt.Fprintf(&b, "| %s | %s | %s | %d/%d | %s |\n", l.Lesson.Dir(), cell(l.Title), mark, l.Score, l.MaxScore, cell(firstLine(l.Message)))
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// cell makes s safe inside a markdown table cell.
func cell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	if r := []rune(s); len(r) > 200 {
		s = string(r[:197]) + "..."
	}
	return s
}
