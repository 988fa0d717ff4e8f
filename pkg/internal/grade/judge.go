package grade

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/racekit/racekit/pkg/internal/testrun"
)

// judge decides a lesson's outcome from a run of its test binary.
func judge(out Lesson, run testrun.Result, timeout time.Duration) Lesson {
	out.Output = run.Output
	if run.Limit != nil {
		return out.error(runLimitMessage(run.Limit), "")
	}
	if run.Report == nil {
		return out.noReport(run, timeout)
	}
	// The grader never asks for these; code in the test binary can (with
	// flag.Set, or by adding to os.Args in an init), and then a report of
	// passed specs proves nothing.
	if c := run.Report.SuiteConfig; c.DryRun || c.FlakeAttempts > 0 {
		return out.error(fmt.Sprintf("the specs were not graded: code in the test binary changed Ginkgo's settings (dry-run %t, flake-attempts %d), which only the grader sets", c.DryRun, c.FlakeAttempts), "")
	}
	out.Report = *run.Report
	var failed, errored, skipped []types.SpecReport
	its := 0
	for _, s := range run.Report.SpecReports {
		if s.LeafNodeType == types.NodeTypeIt {
			its++
		}
		spec := Spec{Name: specName(s), Status: specStatus(s.State), Message: specMessage(s, out.Dir)}
		if s.LeafNodeType != types.NodeTypeIt && spec.Status == Pass {
			continue // a setup node that went well is not worth a line
		}
		out.Specs = append(out.Specs, spec)
		switch spec.Status {
		case Fail:
			failed = append(failed, s)
		case Error:
			errored = append(errored, s)
		case Skipped:
			skipped = append(skipped, s)
		}
	}
	raced := testrun.HasRace(run.Output)
	if raced {
		msg := raceMessage(run.Output, out.Dir)
		out.Specs = append(out.Specs, Spec{Name: RaceSpecName, Status: Fail, Message: msg})
		out.Report.SpecReports = append(out.Report.SpecReports, out.graderSpec(RaceSpecName, types.SpecStateFailed, msg))
		out.Report.SuiteSucceeded = false
	}
	total := run.Report.PreRunStats.TotalSpecs
	switch {
	case len(errored) > 0:
		s := errored[0]
		if s.State == types.SpecStateTimedout || s.State == types.SpecStateInterrupted {
			out.Where = waiting(s, out.Dir)
			msg := fmt.Sprintf("hangs: the specs did not finish within %s; %q was running and was stopped", timeout, specName(s))
			if len(out.Where) > 0 {
				msg += "; its goroutines were waiting at:\n  " + strings.Join(out.Where, "\n  ")
			}
			return out.error(msg, "")
		}
		return out.error(fmt.Sprintf("%q stopped with %s: %s", specName(s), s.State, firstLine(s.Failure.Message)), "")
	case len(failed) > 0 || raced:
		var parts []string
		if len(failed) > 0 {
			parts = append(parts, fmt.Sprintf("%d of %d specs failed\nthe first: %s\n  %s", len(failed), total, specName(failed[0]), firstLine(specMessage(failed[0], out.Dir))))
		}
		if raced {
			parts = append(parts, "the race detector reported a data race (Ginkgo counts it against the whole suite, not one spec)"+raceFrames(run.Output, out.Dir))
		}
		return out.fail(strings.Join(parts, "\n"))
	case total == 0 || its != total:
		return out.error(fmt.Sprintf("only %d of the suite's %d specs ran: did the code skip or exit early?", its, total), "")
	case len(skipped) > 0:
		return out.fail(fmt.Sprintf("%d of %d specs were skipped; every spec must run and pass", len(skipped), total))
	case run.ExitCode != 0:
		return out.error(fmt.Sprintf("every spec passed, but the test binary exited with status %d:\n%s", run.ExitCode, lastLines(run.Output, 10)), "")
	case !run.Report.SuiteSucceeded:
		return out.fail("Ginkgo reported the suite as failed: " + strings.Join(run.Report.SpecialSuiteFailureReasons, "; "))
	}
	out.Status, out.Score = Pass, 1
	out.Message = out.withNotes(fmt.Sprintf("all %d specs passed under -race", total))
	return out
}

// noReport judges a run that left no Ginkgo report: it hung past every
// limit, crashed, or exited before its specs finished.
func (out Lesson) noReport(run testrun.Result, timeout time.Duration) Lesson {
	dump := testrun.ParseStacks(run.Output)
	switch {
	case run.Killed:
		return out.error(fmt.Sprintf("hangs: did not finish within %s, nor when interrupted, and was killed", timeout+2*testrun.Grace), "")
	case errors.As(run.ReportError, new(*testrun.ReportTooBig)):
		return out.error(fmt.Sprintf("the specs' report was not read: %s; does the code panic or fail with a huge message?",
			strings.TrimPrefix(run.ReportError.Error(), "testrun: ")), "")
	case strings.Contains(run.Output, "panic: test timed out"):
		out.Where = dumpWaiting(dump, out.Dir)
		msg := fmt.Sprintf("hangs: did not finish within %s and was stopped", timeout+testrun.Grace)
		if len(out.Where) > 0 {
			msg += "; its goroutines were waiting at:\n  " + strings.Join(out.Where, "\n  ")
		}
		return out.error(msg, "")
	case strings.Contains(run.Output, "panic: ") || strings.Contains(run.Output, "fatal error: "):
		return out.error("crashed: "+crashMessage(run.Output, dump, out.Dir)+
			"\n(a panic that nothing recovers ends the whole test binary, so no spec could report it)", "")
	case run.ExitCode == 0:
		return out.error("exited with status 0 before its specs ran or finished, so nothing was graded: does the code call os.Exit?", "")
	default:
		return out.error(fmt.Sprintf("ended (%s) before its specs finished:\n%s", run.Ended, lastLines(run.Output, 10)), "")
	}
}

// runLimitMessage says that the test binary went over one of its limits.
func runLimitMessage(le *testrun.LimitError) string {
	used := ""
	if le.Used != "" {
		used = " (" + le.Used + ")"
	}
	switch le.Limit {
	case "memory":
		return fmt.Sprintf("uses too much memory: the test binary went over its limit of %s%s and was stopped; "+
			"does the code keep what it allocates, or start goroutines without end?", le.Max, used)
	case "threads":
		return fmt.Sprintf("starts too many threads: the test binary went over its limit of %s%s and was stopped; "+
			"does the code lock goroutines to threads (runtime.LockOSThread) and leave them blocked?", le.Max, used)
	}
	return fmt.Sprintf("went over its %s limit of %s%s and was stopped", le.Limit, le.Max, used)
}

// crashMessage is the panic or fatal error's first line and where, in the
// lesson's files, it happened.
func crashMessage(output string, dump []testrun.Stack, dir string) string {
	var first string
	for _, line := range strings.Split(output, "\n") {
		if i := strings.Index(line, "panic: "); i >= 0 {
			first = line[i:]
			break
		}
		if strings.HasPrefix(line, "fatal error: ") {
			first = line
			break
		}
	}
	for _, s := range dump {
		if frames := s.In(dir); len(frames) > 0 {
			f := frames[0]
			return fmt.Sprintf("%s\n  at %s:%d  %s", first, filepath.Base(f.File), f.Line, f.Where())
		}
	}
	return first
}

// waiting lists where the goroutines of a spec Ginkgo interrupted were,
// from the progress report it took, in the lesson's files.
func waiting(s types.SpecReport, dir string) []string {
	pr := s.Failure.ProgressReport
	var stacks []testrun.Stack
	for _, g := range pr.Goroutines {
		st := testrun.Stack{Header: fmt.Sprintf("goroutine %d [%s]:", g.ID, g.State)}
		for _, c := range g.Stack {
			st.Frames = append(st.Frames, testrun.Frame{Func: c.Function, File: c.Filename, Line: int(c.Line)})
		}
		stacks = append(stacks, st)
	}
	return dumpWaiting(stacks, dir)
}

// dumpWaiting lists, for each goroutine with a frame in dir, its innermost
// such frame and its wait state: "object.go:31  (*Object).IncRef  [sync.Mutex.Lock]".
func dumpWaiting(stacks []testrun.Stack, dir string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range stacks {
		frames := s.In(dir)
		if len(frames) == 0 {
			continue
		}
		f := frames[0]
		line := fmt.Sprintf("%s:%d  %s  [%s]", filepath.Base(f.File), f.Line, f.Where(), s.Wait())
		if !seen[line] {
			seen[line] = true
			out = append(out, line)
		}
	}
	return out
}

// raceMessage is every distinct race report in output, shortened to the
// lesson's files.
func raceMessage(output, dir string) string {
	var parts []string
	seen := map[string]bool{}
	for _, r := range testrun.ParseRaces(output) {
		if s := r.Short(dir); !seen[s] {
			seen[s] = true
			parts = append(parts, s)
		}
	}
	return "data race: two goroutines touched the same memory at once, at least one writing, with nothing ordering them:\n" +
		strings.Join(parts, "\n\n")
}

// raceFrames is "\n  in file.go:N  Func, ..." naming, sorted, the places
// in the lesson's code (not its specs) the race detector's reports pass
// through (at most four), or "" when they name none. Which access of a
// race is reported first depends on timing; the sorted set does not.
func raceFrames(output, dir string) string {
	var where []string
	for _, r := range testrun.ParseRaces(output) {
		for _, line := range strings.Split(r.Short(dir), "\n") {
			// Short indents frames by four spaces under each access.
			f := strings.TrimSpace(line)
			if strings.HasPrefix(line, "    ") && !strings.Contains(f, "_test.go:") && !slices.Contains(where, f) {
				where = append(where, f)
			}
		}
	}
	if len(where) == 0 {
		return ""
	}
	slices.Sort(where)
	if len(where) > 4 {
		where = append(where[:4], "...")
	}
	return "\n  in " + strings.Join(where, ", ")
}

// specName is a spec's full text: its containers' texts and its own.
func specName(s types.SpecReport) string {
	if s.LeafNodeType != types.NodeTypeIt {
		return fmt.Sprintf("[%s] %s", s.LeafNodeType, s.FullText())
	}
	return s.FullText()
}

// specStatus maps Ginkgo's spec states onto grading statuses.
func specStatus(state types.SpecState) Status {
	switch state {
	case types.SpecStatePassed:
		return Pass
	case types.SpecStateFailed, types.SpecStatePanicked:
		return Fail
	case types.SpecStateSkipped, types.SpecStatePending:
		return Skipped
	default: // timed out, interrupted, aborted
		return Error
	}
}

// specMessage is what a spec that did not pass says: its failure message,
// a panic's value, and where, relative to the lesson's folder.
func specMessage(s types.SpecReport, dir string) string {
	f := s.Failure
	if s.State == types.SpecStatePassed || f.Message == "" && f.ForwardedPanic == "" {
		return ""
	}
	msg := f.Message
	if s.State == types.SpecStatePanicked && f.ForwardedPanic != "" {
		msg = "panicked: " + f.ForwardedPanic
	}
	if f.Location.FileName != "" {
		file := f.Location.FileName
		if rel, err := filepath.Rel(dir, file); err == nil && !strings.HasPrefix(rel, "..") {
			file = rel
		}
		msg += fmt.Sprintf("\n(at %s:%d)", file, f.Location.LineNumber)
	}
	return msg
}

// firstLine is s up to its first line break.
func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}

// withNotes appends to msg the notes an instructor should see: test files
// of the submission that were ignored, and code that is the kit's solution
// to the byte.
func (out Lesson) withNotes(msg string) string {
	if len(out.Ignored) > 0 {
		msg += "\nignored test files of the submission: " + strings.Join(out.Ignored, ", ")
	}
	if out.SameAsSolution {
		msg += "\nnote: every exercise file is byte for byte the kit's solution"
	}
	return msg
}

// The names of the specs the grader adds for what it found itself.
const (
	specRuns  = "builds, runs and finishes its specs"
	specRules = "keeps to the rules for exercise files"
)

// fail marks the lesson failed with msg.
func (out Lesson) fail(msg string) Lesson {
	out.Status, out.Score = Fail, 0
	out.Message = out.withNotes(msg)
	out.ensureReport(specRuns, msg, types.SpecStateFailed)
	return out
}

// refuse marks the lesson failed, without running it, because its code
// breaks the rules for exercise files (msg says where).
func (out Lesson) refuse(msg string) Lesson {
	out.Status, out.Score = Fail, 0
	out.Message = out.withNotes(msg)
	out.ensureReport(specRules, msg, types.SpecStateFailed)
	return out
}

// error marks the lesson as one whose specs could not all run, with msg;
// output, when given, replaces the lesson's output.
func (out Lesson) error(msg, output string) Lesson {
	out.Status, out.Score = Error, 0
	out.Message = out.withNotes(msg)
	if output != "" {
		out.Output = output
	}
	out.ensureReport(specRuns, msg, types.SpecStateAborted)
	return out
}

// ensureReport makes sure the lesson's report and specs show the failure:
// a lesson whose specs did not run gets a report of its own, the way
// Ginkgo's CLI makes one for a suite that failed to compile, and a report
// or spec list with no failing spec gets one carrying msg, so that a JUnit
// reader counts a failure and not an empty or passing suite. name names
// that spec.
func (out *Lesson) ensureReport(name, msg string, state types.SpecState) {
	if out.Report.SuiteDescription == "" {
		now := time.Now()
		out.Report = types.Report{
			StartTime: now, EndTime: now,
			SuitePath:                  out.Dir,
			SuiteDescription:           out.Lesson.Dir(),
			SpecialSuiteFailureReasons: []string{firstLine(msg)},
		}
	}
	out.Report.SuiteSucceeded = false
	if !slices.ContainsFunc(out.Report.SpecReports, func(s types.SpecReport) bool { return s.State.Is(types.SpecStateFailureStates) }) {
		out.Report.SpecReports = append(out.Report.SpecReports, out.graderSpec(name, state, msg))
	}
	if !slices.ContainsFunc(out.Specs, func(s Spec) bool { return s.Status == Fail || s.Status == Error }) {
		out.Specs = append(out.Specs, Spec{Name: name, Status: specStatus(state), Message: msg})
	}
}

// graderSpec is a spec report for a failure the grader found rather than a
// spec (a data race, a lesson that did not build or finish), shaped like
// one of Ginkgo's so that its reporters render it: an It whose failure is
// located at the lesson, not at a line of a spec.
func (out *Lesson) graderSpec(name string, state types.SpecState, msg string) types.SpecReport {
	where := types.CodeLocation{CustomMessage: "lessons/" + out.Lesson.Dir() + " (found by racekit grade)"}
	now := time.Now()
	return types.SpecReport{
		LeafNodeType: types.NodeTypeIt, LeafNodeText: name, LeafNodeLocation: where, State: state,
		StartTime: now, EndTime: now,
		Failure: types.Failure{
			Message: msg, Location: where, TimelineLocation: types.TimelineLocation{Time: now},
			FailureNodeType: types.NodeTypeIt, FailureNodeContext: types.FailureNodeIsLeafNode, FailureNodeLocation: where,
		},
	}
}
