package testrun_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/internal/testrun"
)

var _ = Describe("CompileAlone", func() {
	It("builds a package without its test files", func(ctx SpecContext) {
		Expect(testrun.CompileAlone(ctx, testrun.Build{Package: "./testdata/suite", Race: true})).To(Succeed(),
			"the fixture suite's own code needs nothing of its tests")
	})

	It("fails, naming the line, when the package's code uses a name its test files declare", func(ctx SpecContext) {
		// An extra file of the package that uses a name of suite_test.go.
		work := GinkgoT().TempDir()
		suite, _ := filepath.Abs(filepath.Join("testdata", "suite"))
		extra := filepath.Join(work, "reach.go")
		Expect(os.WriteFile(extra, []byte("package suite\n\nfunc init() { _ = TestSuite }\n"), 0o644)).To(Succeed())
		overlay := filepath.Join(work, "overlay.json")
		data, _ := json.Marshal(map[string]any{"Replace": map[string]string{filepath.Join(suite, "reach.go"): extra}})
		Expect(os.WriteFile(overlay, data, 0o644)).To(Succeed())

		err := testrun.CompileAlone(ctx, testrun.Build{Package: "./testdata/suite", Overlay: overlay})
		var be *testrun.BuildError
		Expect(errors.As(err, &be)).To(BeTrue(), "a package that needs its tests does not build alone: %v", err)
		Expect(be.Problems).To(ContainElement(And(
			HaveField("Line", 3), HaveField("Message", ContainSubstring("undefined: TestSuite")))),
			"the compiler names the line that reaches into the tests")
	})
})
