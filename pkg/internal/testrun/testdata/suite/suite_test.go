// Package suite is a throwaway Ginkgo suite for testrun's own specs: what
// it does is chosen by the SUITE_DOES environment variable: pass (unset),
// fail, race, hang in a spec, exit before its specs, block before Ginkgo
// starts, leave a child running (orphan), take memory (hog) or threads
// without end, print 8 MiB (flood), or print its environment (env).
package suite

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestSuite(t *testing.T) {
	switch os.Getenv("SUITE_DOES") {
	case "exit":
		os.Exit(0) // before any spec runs, with the status of success
	case "block":
		select {} // before Ginkgo starts, so no Ginkgo timeout can fire
	case "hog":
		// Resident memory without end: every page of every MiB is written.
		var kept [][]byte
		for {
			b := make([]byte, 1<<20)
			for i := 0; i < len(b); i += 4096 {
				b[i] = 1
			}
			kept = append(kept, b)
		}
	case "threads":
		// A goroutine that locks its thread and blocks keeps that thread
		// for itself: every one of them makes the runtime start another.
		for range 2000 {
			go func() {
				runtime.LockOSThread()
				select {}
			}()
		}
		time.Sleep(time.Minute)
	case "flood":
		// Eight MiB of output, then the specs as usual.
		line := strings.Repeat("flood ", 15) + "\n"
		for range 8 << 20 / len(line) {
			fmt.Print(line)
		}
		fmt.Println("the last line")
	case "env":
		fmt.Printf("HOME=%q PWD=%q TOKEN=%q\n", os.Getenv("HOME"), os.Getenv("PWD"), os.Getenv("TESTRUN_PLANTED_TOKEN"))
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
