package grade

import (
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/internal/course"
	"github.com/racekit/racekit/pkg/internal/testrun"
)

// The rules for exercise files turn away the code that could make these
// runs happen (os.Exit, os.Args), so the corpus cannot reach them; judge
// must still not be fooled if some other way is found.
var _ = ginkgo.Describe("judging a run", func() {
	lesson := course.InKit()[0]
	out := Lesson{Slug: lesson.Slug, Title: lesson.Title, MaxScore: 1, Lesson: lesson, Dir: "/kit/lessons/" + lesson.Dir()}
	passed := func() *types.Report {
		return &types.Report{
			SuiteSucceeded: true,
			PreRunStats:    types.PreRunStats{TotalSpecs: 1, SpecsThatWillRun: 1},
			SpecReports:    types.SpecReports{{LeafNodeType: types.NodeTypeIt, LeafNodeText: "counts", State: types.SpecStatePassed}},
		}
	}

	ginkgo.It("passes a run whose report shows every spec ran and passed, as the other specs here rely on", func() {
		l := judge(out, testrun.Result{Report: passed(), Ended: "exit status 0"}, time.Minute)
		Expect(l.Status).To(Equal(Pass), l.Message)
	})

	ginkgo.When("the report says the suite ran as a dry run", func() {
		ginkgo.It("is an error, for no spec really ran", func() {
			r := passed()
			r.SuiteConfig.DryRun = true
			l := judge(out, testrun.Result{Report: r, Ended: "exit status 0"}, time.Minute)
			Expect(l.Status).To(Equal(Error), "a dry run reports every spec passed without running one")
			Expect(l.Message).To(ContainSubstring("the specs were not graded"), "the message says why")
		})
	})

	ginkgo.When("the binary exits with status 0 and leaves no report", func() {
		ginkgo.It("is an error that asks whether the code calls os.Exit", func() {
			l := judge(out, testrun.Result{Ended: "exit status 0"}, time.Minute)
			Expect(l.Status).To(Equal(Error), "an exit status of 0 is no proof that the specs ran")
			Expect(l.Message).To(ContainSubstring("does the code call os.Exit?"), "the message names the likely cause")
		})
	})

	ginkgo.When("the binary is ended by a signal", func() {
		ginkgo.It("is an error that names the signal", func() {
			l := judge(out, testrun.Result{ExitCode: -1, Ended: "signal: segmentation fault"}, time.Minute)
			Expect(l.Status).To(Equal(Error), "no report, so the specs did not finish")
			Expect(l.Message).To(ContainSubstring("ended (signal: segmentation fault) before its specs finished"),
				"the message says how the binary ended, not a meaningless status -1")
		})
	})
})
