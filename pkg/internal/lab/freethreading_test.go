package lab

import (
	"context"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/vm"
)

// The free-threading experiment's times are measurements: these specs run
// it small and check its rows and ratios, and run each build without a
// GIL for real, with two threads at once, so that `go test -race` checks
// its counting.
var _ = Describe("the free-threading experiment", func() {
	It("times each build on one thread and on two, one thread to the GIL build's, two threads to their own one", func() {
		res, err := runFreeThreading(context.Background(), Options{}, nil, 100)
		Expect(err).NotTo(HaveOccurred())
		var labels []string
		for _, r := range res.Rows {
			labels = append(labels, r.Label)
			Expect(r.Runtime).To(Equal(VM), "no CPython rows without Options.CPython")
			Expect(r.Seconds).To(BeNumerically(">", 0), "%s was timed", r.Label)
		}
		Expect(labels).To(Equal([]string{
			"GIL build (the VM's counts): one thread", "GIL build (the VM's counts): two threads, half each",
			"no GIL, atomic counts: one thread", "no GIL, atomic counts: two threads, half each",
			"no GIL, biased counts: one thread", "no GIL, biased counts: two threads, half each",
		}))
		gilOne := res.Rows[0].Seconds
		for i := 0; i < len(res.Rows); i += 2 {
			one, two := res.Rows[i], res.Rows[i+1]
			Expect(one.Ratio).To(BeNumerically("~", one.Seconds/gilOne, 1e-9), "%s: to the GIL build's one thread", one.Label)
			Expect(two.Ratio).To(BeNumerically("~", two.Seconds/one.Seconds, 1e-9), "%s: to its own one thread", two.Label)
		}
		Expect(res.Reading).To(HavePrefix("without a GIL two threads take"))
		Expect(res.Reading).NotTo(ContainSubstring("free-threaded python"), "no word of CPython when it did not run")
	})

	for _, b := range ftBuilds[1:] {
		When("two threads run churn at once in the build "+b.name, func() {
			It("frees each thread's object once, on that thread, and nothing else", func() {
				c := b.config("main")
				c.Checks = vm.CheckFreed // a use of a freed object, or a second free, panics
				c.MaxFrees = 0           // and every free is listed
				in, _, err := churnOn(c, 2, 200)
				Expect(err).NotTo(HaveOccurred(), "each thread's churn returns its own obj")
				frees := in.Frees()
				Expect(frees).To(HaveLen(2), "each thread's obj is freed, and nothing else: the counters stay small ints")
				for i, f := range frees {
					Expect(f.Object.Frees()).To(Equal(1), "%v was freed once", f.Object)
					Expect(f.Thread).NotTo(BeNil(), "free %d happened on a thread", i)
					Expect(f.Thread.Name()).To(Or(Equal("T1"), Equal("T2")))
				}
				Expect(frees[0].Thread).NotTo(BeIdenticalTo(frees[1].Thread), "each thread freed its own obj")
				Expect(freedOnceEach(in)).To(Succeed())
			})
		})
	}

	Describe("looking for a free-threaded python", func() {
		// fakePython puts on PATH, alone, a python named name that prints
		// what the probe of a build would print.
		fakePython := func(name, prints string) string {
			dir := GinkgoT().TempDir()
			path := filepath.Join(dir, name)
			Expect(os.WriteFile(path, []byte("#!/bin/sh\necho '"+prints+"'\n"), 0o755)).To(Succeed())
			GinkgoT().Setenv("PATH", dir)
			return path
		}

		It("finds one whose GIL is off", func() {
			path := fakePython("python3.13t", "3.13 False")
			found, version := findFreeThreaded(context.Background())
			Expect(found).To(Equal(path))
			Expect(version).To(Equal("3.13"))
			Expect(pythonBuild(version, false)).To(Equal("CPython 3.13t"))
		})

		It("passes over one whose GIL is on", func() {
			fakePython("python3t", "3.13 True")
			found, _ := findFreeThreaded(context.Background())
			Expect(found).To(BeEmpty(), "a free-threaded build run with PYTHON_GIL=1 has its GIL on")
		})

		It("says in the reading when there was none", func() {
			rows := []Row{{Label: twoThreadsOf("CPython 3.11"), Runtime: CPython, Ratio: 1.1}}
			Expect(freeThreadingReading(rows, []string{"CPython 3.11"}, "")).To(And(
				ContainSubstring("CPython 3.11: two threads take 1.10×"),
				ContainSubstring("no free-threaded python (python3.13t, python3.14t, python3.15t, python3t) was found on PATH")))
		})
	})
})
