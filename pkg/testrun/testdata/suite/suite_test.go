// Package suite is a throwaway Ginkgo suite for testrun's own specs: what
// it does is chosen by the SUITE_DOES environment variable.
package suite

import (
	"os"
	"os/exec"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestSuite(t *testing.T) {
	switch os.Getenv("SUITE_DOES") {
	case "exit":
		os.Exit(0) // before any spec runs, with the status of success
	case "block":
		select {} // before Ginkgo starts, so no Ginkgo timeout can fire
	case "orphan":
		// A child that outlives the binary and holds its output open.
		child := exec.Command("sleep", "5")
		child.Stdout, child.Stderr = os.Stdout, os.Stderr
		if err := child.Start(); err != nil {
			panic(err)
		}
	}
	RegisterFailHandler(Fail)
	RunSpecs(t, "testrun fixture suite")
}

var _ = Describe("the fixture", func() {
	It("passes", func() {
		Expect(Double(2)).To(Equal(4))
	})

	It("hangs when asked to", func() {
		if os.Getenv("SUITE_DOES") == "hang" {
			<-make(chan struct{}) // not a SpecContext: Ginkgo can only give up on it
		}
	})

	It("races when asked to", func() {
		if os.Getenv("SUITE_DOES") != "race" {
			return
		}
		n, done := 0, make(chan bool)
		go func() { n++; done <- true }()
		n++
		<-done
	})

	It("fails when asked to", func() {
		Expect(os.Getenv("SUITE_DOES")).NotTo(Equal("fail"), "asked to fail")
	})
})
