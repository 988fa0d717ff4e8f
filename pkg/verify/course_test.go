package verify_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/course"
	"github.com/racekit/racekit/pkg/verify"
)

var root = func() string {
	r, err := course.Root()
	if err != nil {
		panic(err)
	}
	return r
}()

// The kit's own test of its course runs the checks racekit verify runs,
// one spec per check, under the same names.
var _ = Describe("the course", func() {
	for _, c := range verify.KitChecks(root) {
		It(c.Name, func(ctx SpecContext) {
			Expect(c.Run(ctx)).To(Succeed(), c.Why)
		})
	}

	for _, l := range course.InKit() {
		Describe(l.Dir(), Ordered, func() {
			v := &verify.Lesson{Root: root, Lesson: l}

			// Compile everything the lesson's checks run up front, two builds
			// at a time: linking a test binary dominates the kit's test time.
			BeforeAll(func(ctx SpecContext) {
				DeferCleanup(v.Close)
				Expect(v.Prepare(ctx)).To(Succeed(), "the lesson's starter and solution must compile")
			})

			for _, c := range v.Checks() {
				It(c.Name, func(ctx SpecContext) {
					Expect(c.Run(ctx)).To(Succeed(), c.Why)
				})
			}
		})
	}
})
