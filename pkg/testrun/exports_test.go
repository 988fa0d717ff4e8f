package testrun_test

import (
	"errors"
	"os"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/testrun"
)

var _ = Describe("ExportData", func() {
	It("maps every package the test binary imports to its export data, test variants left out", func(ctx SpecContext) {
		exports, err := testrun.ExportData(ctx, testrun.Build{Package: "./testdata/suite", Race: true})
		Expect(err).NotTo(HaveOccurred(), "the fixture suite's imports can be listed")
		Expect(exports).To(HaveKey("github.com/onsi/gomega"), "the suite imports Gomega")
		Expect(exports).To(HaveKey("fmt"), "and, through it, the standard library")
		for path, file := range exports {
			Expect(path).NotTo(ContainSubstring(" "), "a test variant (\"p [p.test]\") is for the caller to type-check")
			_, err := os.Stat(file)
			Expect(err).NotTo(HaveOccurred(), "%s's export data is a file in the build cache", path)
		}
	})

	It("goes over its time limit like a build, with a *LimitError", func(ctx SpecContext) {
		_, err := testrun.ExportData(ctx, testrun.Build{Package: "./testdata/suite", Race: true, Timeout: time.Millisecond})
		var le *testrun.LimitError
		Expect(errors.As(err, &le)).To(BeTrue(), "a go command killed for its time limit says so: %v", err)
		Expect(le.Limit).To(Equal("time"))
	})
})
