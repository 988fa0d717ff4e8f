package testrun_test

// These specs decide whether a build is slow from made-up lists of what the
// build cache lacks, so that no spec needs a cold cache and its two minutes.

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/internal/testrun"
)

var _ = Describe("LikelySlow", func() {
	// packages returns n made-up import paths.
	packages := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("github.com/onsi/gomega/p%d", i)
		}
		return out
	}
	DescribeTable("says whether a check's build deserves a word before it starts",
		func(stale []string, slow bool, why string) {
			Expect(testrun.LikelySlow(stale)).To(Equal(slow), why)
		},
		Entry("a warm cache", nil, false, "a build the cache holds takes seconds: check says nothing more"),
		Entry("the kit's packages after a pull", []string{"github.com/racekit/racekit/pkg/interleave", "github.com/racekit/racekit/pkg/vm", "github.com/racekit/racekit/pkg/gil"}, false,
			"a handful of the kit's packages compile in a few seconds"),
		Entry("the race detector's runtime alone", []string{"runtime"}, true,
			"when the runtime is missing, every package above it must be compiled too"),
		Entry("Ginkgo and Gomega, the standard library cached", packages(testrun.SlowBuild), true,
			"testrun.SlowBuild packages or more are tens of seconds of work"),
		Entry("one package fewer than the threshold", packages(testrun.SlowBuild-1), false, "below testrun.SlowBuild the build is not called slow"),
	)
})
