package testrun_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/testrun"
)

// The fixture suite in testdata/suite does what its SUITE_DOES environment
// variable asks: pass (unset), fail, race, hang in a spec, exit before its
// specs, or block before Ginkgo starts.
var _ = Describe("Compile and Run", Ordered, func() {
	suiteDir, _ := filepath.Abs(filepath.Join("testdata", "suite"))
	var bin, work string

	BeforeAll(func(ctx SpecContext) {
		work = GinkgoT().TempDir()
		bin = filepath.Join(work, "suite.test")
		Expect(testrun.Compile(ctx, testrun.Build{Package: "./testdata/suite", Race: true, Output: bin})).
			To(Succeed(), "the fixture suite compiles with the race detector")
	})

	// run runs the fixture suite with SUITE_DOES=does, a report and the
	// given time limit.
	run := func(ctx context.Context, does string, timeout time.Duration) testrun.Result {
		GinkgoHelper()
		r, err := testrun.Run(ctx, bin, testrun.Options{
			Dir: work, Timeout: timeout, Report: filepath.Join(work, "report.json"), Env: []string{"SUITE_DOES=" + does},
		})
		Expect(err).NotTo(HaveOccurred(), "a binary that can be started is never an error, whatever it does")
		return r
	}

	// states maps each spec's text to its state in r's report.
	states := func(r testrun.Result) map[string]types.SpecState {
		GinkgoHelper()
		Expect(r.Report).NotTo(BeNil(), "the run should have left a report: %v\n%s", r.ReportError, r.Output)
		out := map[string]types.SpecState{}
		for _, s := range r.Report.SpecReports {
			if s.LeafNodeType == types.NodeTypeIt {
				out[s.LeafNodeText] = s.State
			}
		}
		return out
	}

	Describe("Compile", func() {
		It("writes the test binary where Output says", func() {
			st, err := os.Stat(bin)
			Expect(err).NotTo(HaveOccurred(), "BeforeAll compiled the suite to %s", bin)
			Expect(st.Mode().IsRegular()).To(BeTrue(), "the test binary is a plain file")
		})

		It("returns a BuildError with the compiler's problems when the package does not build", func(ctx SpecContext) {
			broken := filepath.Join(work, "double.go")
			Expect(os.WriteFile(broken, []byte("package suite\n\nfunc Double(n int) int { return n * \"2\" }\n"), 0o644)).To(Succeed())
			overlay := filepath.Join(work, "overlay.json")
			Expect(os.WriteFile(overlay, []byte(`{"Replace": {"`+filepath.Join(suiteDir, "double.go")+`": "`+broken+`"}}`), 0o644)).To(Succeed())

			err := testrun.Compile(ctx, testrun.Build{Package: "./testdata/suite", Overlay: overlay, Output: filepath.Join(work, "broken.test")})
			var be *testrun.BuildError
			Expect(errors.As(err, &be)).To(BeTrue(), "a package that does not compile gets a *BuildError, not %v", err)
			Expect(be.Problems).NotTo(BeEmpty(), "the compiler named a file and line:\n%s", be.Output)
			Expect(be.Problems[0].File).To(Equal(broken), "the overlay's file, not the one on disk, is the one that did not build")
			Expect(be.Problems[0].Line).To(Equal(3), "the broken line is line 3 of the overlaid file")
			Expect(filepath.Join(work, "broken.test")).NotTo(BeAnExistingFile(), "no binary is written")
		})

		It("refuses a Build without a Package or an Output", func(ctx SpecContext) {
			Expect(testrun.Compile(ctx, testrun.Build{Package: "./testdata/suite"})).To(MatchError(ContainSubstring("needs a Package and an Output")),
				"without an Output, go test -c would drop the binary in the working directory")
		})
	})

	Describe("Run", func() {
		It("reads back Ginkgo's report of a passing suite", func(ctx SpecContext) {
			r := run(ctx, "", time.Minute)
			Expect(r.ExitCode).To(Equal(0), "every spec passed:\n%s", r.Output)
			Expect(r.ReportError).NotTo(HaveOccurred(), "the report was written and read")
			Expect(r.Report.SuiteDescription).To(Equal("testrun fixture suite"), "the report is the fixture suite's")
			Expect(r.Report.SuiteSucceeded).To(BeTrue(), "and says it succeeded")
			Expect(states(r)).To(HaveLen(4), "every spec is in the report")
			Expect(states(r)).To(HaveEach(types.SpecStatePassed), "and every one passed")
			Expect(r.Killed).To(BeFalse(), "a run that finishes is not killed")
		})

		It("reports a failing spec and a non-zero exit status", func(ctx SpecContext) {
			r := run(ctx, "fail", time.Minute)
			Expect(r.ExitCode).NotTo(Equal(0), "a failed spec fails the binary")
			Expect(states(r)).To(HaveKeyWithValue("fails when asked to", types.SpecStateFailed))
			Expect(r.Output).To(ContainSubstring("asked to fail"), "the output is the binary's own")
		})

		It("keeps a data race in the output, where ParseRaces finds it in the suite's files", func(ctx SpecContext) {
			r := run(ctx, "race", time.Minute)
			Expect(states(r)).To(HaveEach(types.SpecStatePassed), "Ginkgo itself does not fail the racing spec: that is why the output must be read")
			Expect(r.ExitCode).NotTo(Equal(0), "go test fails a run in which the race detector reported")
			races := testrun.ParseRaces(r.Output)
			Expect(races).NotTo(BeEmpty(), r.Output)
			Expect(races[0].Short(suiteDir)).To(ContainSubstring("suite_test.go:"), "the race is between two lines of the suite")
		})

		It("leaves Report nil, with ReportError saying why, when the binary exits before its specs", func(ctx SpecContext) {
			r := run(ctx, "exit", time.Minute)
			Expect(r.ExitCode).To(Equal(0), "os.Exit(0): the exit status alone would say all is well")
			Expect(r.Report).To(BeNil(), "no spec ran, so there is nothing to report")
			Expect(r.ReportError).To(MatchError(ContainSubstring("wrote no report")), "ReportError says the report is missing, not broken")
		})

		It("never reads a report left by an earlier run as this run's", func(ctx SpecContext) {
			first := run(ctx, "", time.Minute)
			Expect(first.Report).NotTo(BeNil(), "the first run writes a report")
			Expect(filepath.Join(work, "report.json")).To(BeAnExistingFile())

			second := run(ctx, "exit", time.Minute)
			Expect(second.Report).To(BeNil(), "the second run wrote none; the first run's must not stand in for it")
			Expect(second.ReportError).To(HaveOccurred(), "and ReportError says so")
		})

		It("interrupts a hung spec at Timeout, and the report shows it timed out", func(ctx SpecContext) {
			r := run(ctx, "hang", 2*time.Second)
			Expect(r.Killed).To(BeFalse(), "Ginkgo's own timeout stops the spec, so the process need not be killed:\n%s", r.Output)
			Expect(states(r)).To(HaveKeyWithValue("hangs when asked to", types.SpecStateTimedout))
			Expect(states(r)).To(HaveKeyWithValue("passes", types.SpecStatePassed), "the specs before it ran as usual")
		})

		It("kills a binary that outlives its context, and says so", func(ctx SpecContext) {
			short, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			r := run(short, "block", time.Minute)
			Expect(r.Killed).To(BeTrue(), "the binary blocked before Ginkgo could start its timer:\n%s", r.Output)
			Expect(r.ExitCode).To(Equal(-1), "a killed process has no exit status of its own")
			Expect(r.Report).To(BeNil(), "Ginkgo never started, so it wrote no report")
		})

		It("reads the run of a binary whose child outlives it, holding its output open, as finished", func(ctx SpecContext) {
			r := run(ctx, "orphan", time.Minute)
			Expect(r.ExitCode).To(Equal(0), "the binary itself finished and every spec passed:\n%s", r.Output)
			Expect(r.Report).NotTo(BeNil(), "its report was written before the child let go of the output")
		})

		It("returns an error for a binary that cannot be started", func(ctx SpecContext) {
			_, err := testrun.Run(ctx, filepath.Join(work, "no-such.test"), testrun.Options{})
			Expect(err).To(MatchError(ContainSubstring("testrun: run")), "a binary that is not there cannot be run, and that is the caller's error")
		})
	})
})
