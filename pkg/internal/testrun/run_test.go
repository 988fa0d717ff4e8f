package testrun_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/internal/testrun"
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

	// runWith runs the fixture suite with SUITE_DOES=does and a report,
	// with the other options of o.
	runWith := func(ctx context.Context, does string, o testrun.Options) testrun.Result {
		GinkgoHelper()
		o.Dir, o.Report, o.Env = work, filepath.Join(work, "report.json"), []string{"SUITE_DOES=" + does}
		r, err := testrun.Run(ctx, bin, o)
		Expect(err).NotTo(HaveOccurred(), "a binary that can be started is never an error, whatever it does")
		return r
	}

	// run runs the fixture suite with SUITE_DOES=does, a report and the
	// given time limit.
	run := func(ctx context.Context, does string, timeout time.Duration) testrun.Result {
		GinkgoHelper()
		return runWith(ctx, does, testrun.Options{Timeout: timeout})
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

			// With -race, as every build here: the race detector has nothing
			// to do with what is checked, and the packages the suite imports
			// are then the ones go test compiled for these specs, so no spec
			// compiles Ginkgo and Gomega a second time on a cold cache.
			err := testrun.Compile(ctx, testrun.Build{Package: "./testdata/suite", Race: true, Overlay: overlay, Output: filepath.Join(work, "broken.test")})
			var be *testrun.BuildError
			Expect(errors.As(err, &be)).To(BeTrue(), "a package that does not compile gets a *BuildError, not %v", err)
			Expect(be.Problems).NotTo(BeEmpty(), "the compiler named a file and line:\n%s", be.Output)
			Expect(be.Problems[0].File).To(Equal(broken), "the overlay's file, not the one on disk, is the one that did not build")
			Expect(be.Problems[0].Line).To(Equal(3), "the broken line is line 3 of the overlaid file")
			Expect(filepath.Join(work, "broken.test")).NotTo(BeAnExistingFile(), "no binary is written")
		})

		It("runs go test's vet checks, unless NoVet leaves them out", func(ctx SpecContext) {
			// Printf with a verb its argument does not match compiles, but
			// go test's vet step rejects it.
			vetted := filepath.Join(work, "double.go")
			Expect(os.WriteFile(vetted, []byte("package suite\n\nimport \"fmt\"\n\nfunc Double(n int) int { fmt.Printf(\"%s\\n\", n); return 2 * n }\n"), 0o644)).To(Succeed())
			overlay := filepath.Join(work, "vet-overlay.json")
			Expect(os.WriteFile(overlay, []byte(`{"Replace": {"`+filepath.Join(suiteDir, "double.go")+`": "`+vetted+`"}}`), 0o644)).To(Succeed())

			err := testrun.Compile(ctx, testrun.Build{Package: "./testdata/suite", Race: true, Overlay: overlay, Output: filepath.Join(work, "vetted.test")})
			var be *testrun.BuildError
			Expect(errors.As(err, &be)).To(BeTrue(), "vet's complaint fails the build as go test's would, not %v", err)
			Expect(be.Output).To(ContainSubstring("Printf format %s has arg n of wrong type int"), "the build error is vet's")

			Expect(testrun.Compile(ctx, testrun.Build{Package: "./testdata/suite", Race: true, Overlay: overlay, Output: filepath.Join(work, "unvetted.test"), NoVet: true})).
				To(Succeed(), "with NoVet the same code builds: vet did not run")
		})

		It("kills a build that outlives its Timeout, with the go command's compilers, and says so", func(ctx SpecContext) {
			err := testrun.Compile(ctx, testrun.Build{Package: "./testdata/suite", Race: true, Output: filepath.Join(work, "slow.test"), Timeout: time.Millisecond})
			var le *testrun.LimitError
			Expect(errors.As(err, &le)).To(BeTrue(), "a build stopped at its deadline is a *LimitError, not a build error of the code: %v", err)
			Expect(le.Limit).To(Equal("time"), "the limit crossed is the time limit")
			Expect(le.Error()).To(ContainSubstring("did not finish within its time limit of 1ms"), "the error names the limit")
		})

		It("kills a build that goes over its memory limit, and says so", func(ctx SpecContext) {
			err := testrun.Compile(ctx, testrun.Build{Package: "./testdata/suite", Race: true, Output: filepath.Join(work, "big.test"), Limits: testrun.Limits{Memory: 1 << 20}})
			var le *testrun.LimitError
			Expect(errors.As(err, &le)).To(BeTrue(), "the go command alone needs more than 1 MiB, so the build is stopped: %v", err)
			Expect(le.Limit).To(Equal("memory"), "the limit crossed is memory's")
			Expect(le.Max).To(Equal("1 MiB"), "the limit is written for a person")
		})

		It("builds several packages with one go command, each where Binary says, and those that compile when one does not", func(ctx SpecContext) {
			// Two more packages, made of the suite's files by an overlay in
			// folders that are not on disk: a copy, and one that does not
			// compile.
			broken := filepath.Join(work, "each-double.go")
			Expect(os.WriteFile(broken, []byte("package suite\n\nfunc Double(n int) int { return n * \"2\" }\n"), 0o644)).To(Succeed())
			replace := map[string]string{}
			for _, name := range []string{"double.go", "suite_test.go"} {
				replace[filepath.Join(suiteDir+"-copy", name)] = filepath.Join(suiteDir, name)
				replace[filepath.Join(suiteDir+"-broken", name)] = filepath.Join(suiteDir, name)
			}
			replace[filepath.Join(suiteDir+"-broken", "double.go")] = broken
			data, err := json.Marshal(map[string]any{"Replace": replace})
			Expect(err).NotTo(HaveOccurred())
			overlay := filepath.Join(work, "each-overlay.json")
			Expect(os.WriteFile(overlay, data, 0o644)).To(Succeed())

			dir := filepath.Join(work, "each")
			err = testrun.CompileEach(ctx, testrun.Build{Race: true, Overlay: overlay, NoVet: true}, dir,
				"./testdata/suite", "./testdata/suite-copy", "./testdata/suite-broken")
			var be *testrun.BuildError
			Expect(errors.As(err, &be)).To(BeTrue(), "one package did not compile, so the build failed: %v", err)
			Expect(be.Problems).To(ContainElement(HaveField("File", broken)), "the problem is in the broken package's file")
			Expect(testrun.Binary(dir, "./testdata/suite")).To(Equal(filepath.Join(dir, "suite.test")), "the binary is named as go test -c names it")
			Expect(testrun.Binary(dir, "./testdata/suite")).To(BeAnExistingFile(), "the packages that compile are built")
			Expect(testrun.Binary(dir, "./testdata/suite-copy")).To(BeAnExistingFile(), "the packages that compile are built")
			Expect(testrun.Binary(dir, "./testdata/suite-broken")).NotTo(BeAnExistingFile(), "the one that does not compile has no binary")
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

		It("kills a binary that goes over its memory limit, and says which limit it crossed", func(ctx SpecContext) {
			r := runWith(ctx, "hog", testrun.Options{Timeout: time.Minute, Limits: testrun.Limits{Memory: 200 << 20}})
			Expect(r.Limit).NotTo(BeNil(), "the binary takes memory without end, so it must be stopped (by %s):\n%s", testrun.HowLimited(), r.Output)
			Expect(r.Limit.Limit).To(Equal("memory"), "the limit crossed is memory's")
			Expect(r.Limit.Max).To(Equal("200 MiB"), "and it is the one asked for")
			Expect(r.Killed).To(BeFalse(), "it was stopped by its memory limit, long before its time limit")
			Expect(r.ExitCode).To(Equal(-1), "a killed process has no exit status of its own")
		})

		It("kills a binary that starts more threads than its limit", func(ctx SpecContext) {
			r := runWith(ctx, "threads", testrun.Options{Timeout: time.Minute, Limits: testrun.Limits{Threads: 100}})
			Expect(r.Limit).NotTo(BeNil(), "the binary starts 2000 threads, so it must be stopped (by %s):\n%s", testrun.HowLimited(), r.Output)
			Expect(r.Limit.Limit).To(Equal("threads"), "the limit crossed is the threads'")
		})

		It("keeps the first and the last part of a flood of output, and counts the rest", func(ctx SpecContext) {
			r := run(ctx, "flood", time.Minute)
			Expect(len(r.Output)).To(BeNumerically("<", testrun.DefaultOutputLimit+100), "8 MiB of output are cut to the limit, whatever the binary prints")
			Expect(r.Output).To(HavePrefix("flood flood"), "the first part is kept: it says what the binary started doing")
			Expect(r.Output).To(MatchRegexp(`\.\.\. \(\d+ bytes of output left out\) \.\.\.`), "the cut is marked, with how much was left out")
			Expect(r.Output).To(ContainSubstring("Ran 4 of 4 Specs"), "the last part is kept: a crash, a race report or Ginkgo's summary comes at the end")
			Expect(r.Report).NotTo(BeNil(), "the report does not depend on the output")
		})

		It("gives the binary none of the caller's environment but what it adds", func(ctx SpecContext) {
			GinkgoT().Setenv("TESTRUN_PLANTED_TOKEN", "planted-secret")
			r := run(ctx, "env", time.Minute)
			Expect(r.Output).To(ContainSubstring(`HOME="" PWD="" TOKEN=""`), "code in the binary must not read the grader's home, folder or secrets")
			Expect(r.ExitCode).To(Equal(0), "a test binary needs none of them:\n%s", r.Output)
		})

		It("leaves Report nil for a report larger than ReportLimit, and says so", func(ctx SpecContext) {
			r := runWith(ctx, "fail", testrun.Options{Timeout: time.Minute, ReportLimit: 100})
			Expect(r.Report).To(BeNil(), "a report over the limit is not read")
			var big *testrun.ReportTooBig
			Expect(errors.As(r.ReportError, &big)).To(BeTrue(), "ReportError says the report was too big, not that there was none: %v", r.ReportError)
			Expect(big.Error()).To(ContainSubstring("larger than the 100 B that are read"), "the error names the limit")
		})

		It("returns an error for a binary that cannot be started", func(ctx SpecContext) {
			_, err := testrun.Run(ctx, filepath.Join(work, "no-such.test"), testrun.Options{})
			Expect(err).To(MatchError(ContainSubstring("testrun: run")), "a binary that is not there cannot be run, and that is the caller's error")
		})
	})
})
