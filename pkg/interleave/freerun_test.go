package interleave_test

import (
	"os/exec"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"
)

var _ = Describe("Int outside a run", Ordered, func() {
	var bin string
	BeforeAll(func() {
		var err error
		bin, err = gexec.Build("./testdata/freerun", "-race")
		Expect(err).NotTo(HaveOccurred(), "the free-running program builds with -race")
		DeferCleanup(gexec.CleanupBuildArtifacts)
	})

	When("two goroutines update it without a lock", func() {
		It("is reported by the race detector, because a cell adds no synchronisation", func() {
			session, err := gexec.Start(exec.Command(bin), GinkgoWriter, GinkgoWriter)
			Expect(err).NotTo(HaveOccurred())
			Eventually(session).WithTimeout(time.Minute).Should(gexec.Exit(66), "the race runtime exits with 66 after a report")
			Expect(session.Err).To(gbytes.Say("WARNING: DATA RACE"), "go test -race must see unprotected use of a cell")
		})
	})

	When("the goroutines hold a mutex around each update", func() {
		It("is not reported, and no update is lost", func() {
			session, err := gexec.Start(exec.Command(bin, "-locked"), GinkgoWriter, GinkgoWriter)
			Expect(err).NotTo(HaveOccurred())
			Eventually(session).WithTimeout(time.Minute).Should(gexec.Exit(0))
			Expect(session.Out).To(gbytes.Say("hits: 2000"))
		})
	})
})
