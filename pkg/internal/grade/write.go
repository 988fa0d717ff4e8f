package grade

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/onsi/ginkgo/v2/reporters"
	"github.com/onsi/ginkgo/v2/types"
)

// WriteJSON writes r as indented JSON:
//
//	{"status": "pass"|"fail"|"error", "score": N, "max_score": M,
//	 "points": P, "max_points": Q,
//	 "lessons": [{"slug", "title", "status", "score", "max_score",
//	              "points", "max_points", "message", "code", "reused",
//	              "specs": [{"name", "status", "message"}]}]}
//
// score and max_score count lessons; points and max_points are what the
// lessons earned and are worth (see Result.Weigh). code (Lesson.Code) is
// there once grading has read the lesson's code, and reused
// (Lesson.Reused) only when it is true.
func WriteJSON(w io.Writer, r Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteJUnit writes r as one JUnit XML file at path, a test suite per
// lesson, through Ginkgo's own JUnit reporter: each lesson's report is
// rendered on its own and the files are merged, as the ginkgo command does
// for several suites. Each suite's properties say what its lesson earned
// and was worth: "points" and "max_points".
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
		if err := addPoints(part, l); err != nil {
			return err
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

// addPoints adds l's points to the test suite of the JUnit file at path,
// as the properties "points" and "max_points", the way Ginkgo keeps a
// suite's settings: JUnit has no field for them.
func addPoints(path string, l Lesson) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("grade: %w", err)
	}
	var suites reporters.JUnitTestSuites
	if err := xml.Unmarshal(data, &suites); err != nil {
		return fmt.Errorf("grade: reading Ginkgo's JUnit report %s: %w", path, err)
	}
	for i := range suites.TestSuites {
		p := &suites.TestSuites[i].Properties
		p.Properties = append(p.Properties,
			reporters.JUnitProperty{Name: "points", Value: strconv.Itoa(l.Points)},
			reporters.JUnitProperty{Name: "max_points", Value: strconv.Itoa(l.MaxPoints)})
	}
	out, err := xml.MarshalIndent(suites, "  ", "    ")
	if err != nil {
		return fmt.Errorf("grade: %w", err)
	}
	if err := os.WriteFile(path, append([]byte(xml.Header), out...), 0o644); err != nil {
		return fmt.Errorf("grade: %w", err)
	}
	return nil
}

// WriteSummary writes r as a markdown table, one row per lesson with the
// points it earned and was worth, for a GitHub Actions job summary
// ($GITHUB_STEP_SUMMARY). Every text that comes from a submission is
// escaped (see cell): it shows as written, and can neither render HTML (an
// image, a fake verdict) nor markdown.
func WriteSummary(w io.Writer, r Result) error {
	var b strings.Builder
	fmt.Fprintf(&b, "### racekit grade: %s, %d of %d lessons, %d of %d points\n\n", r.Status, r.Score, r.MaxScore, r.Points, r.MaxPoints)
	b.WriteString("| Lesson | Title | Status | Points | Why |\n|---|---|---|---|---|\n")
	for _, l := range r.Lessons {
		mark := map[Status]string{Pass: "✅ pass", Fail: "❌ fail", Error: "⚠️ error"}[l.Status]
		fmt.Fprintf(&b, "| %s | %s | %s | %d/%d | %s |\n", l.Lesson.Dir(), cell(l.Title), mark, l.Points, l.MaxPoints, cell(firstLine(l.Message)))
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// cell makes s safe inside a markdown table cell, at most 200 characters
// long: &, < and > become HTML entities (so that no tag or entity of s is
// rendered), the characters that start markdown inside a line are escaped
// with a backslash (so that no emphasis, strike-through, link, image, code
// span, emoji short code or cell break of s is), and control characters,
// line breaks and bidirectional overrides are written as Go escapes
// (\x1b).
func cell(s string) string {
	if r := []rune(s); len(r) > 200 {
		s = string(r[:197]) + "..."
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case strings.ContainsRune("\\`*_~[]()!|:", r):
			b.WriteByte('\\')
			b.WriteRune(r)
		case unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
