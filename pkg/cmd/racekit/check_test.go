package main_test

import (
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"

	"github.com/racekit/racekit/pkg/internal/progress"
)

var _ = Describe("racekit check", Ordered, func() {
	// One copy of the kit for every spec here: the first check in a new
	// folder compiles pkg/ afresh, the later ones reuse the build cache.
	var kit, lessonFile, starter string

	BeforeAll(func() {
		kit = tempKit()
		lessonFile = filepath.Join(kit, "lessons", "01-lost-update", "object.go")
		data, err := os.ReadFile(lessonFile)
		Expect(err).NotTo(HaveOccurred())
		starter = string(data)
	})

	// learnerWrites puts text in the learner's object.go of lesson 1.
	learnerWrites := func(text string) {
		Expect(os.WriteFile(lessonFile, []byte(text), 0o644)).To(Succeed())
	}
	// fixture reads a file of the kit's real checkout.
	fixture := func(parts ...string) string {
		data, err := os.ReadFile(filepath.Join(append([]string{kitRoot}, parts...)...))
		Expect(err).NotTo(HaveOccurred())
		return string(data)
	}
	// check runs racekit check in the copy and waits for it.
	check := func(args ...string) (*gexec.Session, int) {
		s := racekit(kit, append([]string{"check"}, args...)...)
		return s, finish(s, 2*time.Minute)
	}

	AfterEach(func() { learnerWrites(starter) })

	When("the lesson is the untouched starter", func() {
		It("fails with the lesson's teaching message, the numbered trace and a pointer to a hint, and changes no file of the learner's", func() {
			before := snapshot(filepath.Join(kit, "lessons"))
			s, code := check("1")
			Expect(code).To(Equal(1), "a failing lesson exits with status 1")
			Expect(s.Out).To(gbytesSay("lost update"), "the failure names the lesson's concept")
			Expect(string(s.Out.Contents())).To(And(
				ContainSubstring("1. A  IncRef  reads foo.refcount -> 1, writes 2"),
				ContainSubstring("replay this schedule: A*3 B*3 A B A B"),
				ContainSubstring("racekit hint 1"),
				ContainSubstring("or be the scheduler yourself, and make it break: go run ./pkg/cmd/racekit play 1")),
				"the learner sees the interleaving that broke the code, where to get help, and the game that plays it")
			Expect(snapshot(filepath.Join(kit, "lessons"))).To(Equal(before), "check must leave the learner's files byte-for-byte as they were")
			st, err := progress.Load(kit)
			Expect(err).NotTo(HaveOccurred())
			Expect(st.Lessons).To(HaveKeyWithValue("01-lost-update", HaveField("Status", progress.Failing)), "check records the result for racekit status")
		})
	})

	When("the learner's fix still races", func() {
		It("reports the data race as a failure of its own, in the learner's file:line pairs", func() {
			// The solution plus an unguarded statistics counter: no spec's
			// invariant breaks, only the race detector sees it.
			learnerWrites(fixture("testdata", "submissions", "data-race", "lessons", "01-lost-update", "object.go"))
			s, code := check("lost-update")
			Expect(code).To(Equal(1))
			out := string(s.Out.Contents())
			Expect(out).To(ContainSubstring("the race detector reported a data race"), "Ginkgo counts a race against the whole suite, so check names it on its own")
			Expect(out).To(MatchRegexp(`object\.go:\d+\s+\(\*Object\)\.IncRef`), "the race report is shortened to the learner's own file:line pairs")
			Expect(out).NotTo(ContainSubstring("0x00c0"), "the race detector's addresses are left out")
		})
	})

	When("the learner's code does not build", func() {
		It("names the file and line the compiler complains about", func() {
			learnerWrites(starter + "\nfunc broken() { x := 1 }\n")
			s, code := check("1")
			Expect(code).To(Equal(1))
			Expect(string(s.Out.Contents())).To(And(
				ContainSubstring("does not build"),
				MatchRegexp(`lessons/01-lost-update/object\.go:\d+:\d+: declared and not used: x`)),
				"a build error is shown with the learner's path, not a temporary folder's")
		})
	})

	When("the learner adds a test file of their own", func() {
		It("checks with the kit's specs only, and says the extra file was ignored", func() {
			extra := filepath.Join(kit, "lessons", "01-lost-update", "mine_test.go")
			Expect(os.WriteFile(extra, []byte("package lostupdate\n"), 0o644)).To(Succeed())
			DeferCleanup(os.Remove, extra)
			s, code := check("1")
			Expect(code).To(Equal(1), "the starter still fails")
			Expect(string(s.Out.Contents())).To(ContainSubstring("mine_test.go (not one of the kit's specs)"))
		})
	})

	When("the lesson is solved", func() {
		It("passes, congratulates and names the next lesson; a check with no lesson then checks the next one", func() {
			learnerWrites(fixture("solutions", "01-lost-update", "object.go"))
			s, code := check("01-lost-update")
			Expect(code).To(Equal(0), "a passing lesson exits with status 0")
			out := string(s.Out.Contents())
			Expect(out).To(ContainSubstring("✓ passed"))
			Expect(out).To(ContainSubstring("Next: lesson 2"), "the learner is told where to go next")
			Expect(out).NotTo(ContainSubstring("\x1b["), "output that is not a terminal has no colour codes")

			s, _ = check()
			Expect(string(s.Out.Contents())).To(ContainSubstring("checking 02-premature-free"), "with no lesson named, check takes the first lesson not yet passed")
		})
	})

	When("the lesson's folder is missing", func() {
		It("says so on a line that ends cleanly and points at reset, which brings the folder back", func() {
			dir := filepath.Join(kit, "lessons", "03-deadlock")
			Expect(os.RemoveAll(dir)).To(Succeed())
			DeferCleanup(func() {
				Expect(os.RemoveAll(dir)).To(Succeed())
				Expect(copyTree(filepath.Join(kitRoot, "lessons", "03-deadlock"), dir)).To(Succeed(), "the later specs get the lesson back as it ships")
			})
			s, code := check("3")
			Expect(code).To(Equal(1), "a missing lesson is the learner's to put right, like a failing one")
			out := string(s.Out.Contents())
			Expect(out).To(MatchRegexp(`(?m)^✗ .*lessons/03-deadlock.*[^:]$`), "the ✗ line names the missing folder")
			Expect(out).NotTo(MatchRegexp(`(?m)^✗ .*:$`), "a message with no colon gets none added, with nothing after it")
			Expect(out).To(ContainSubstring("racekit reset 3"), "reset is how a learner gets the lesson back")
			Expect(out).NotTo(ContainSubstring("fix lessons/03-deadlock"), "there is no folder there to fix")

			r := run(kit, "reset", "3")
			Expect(r.code).To(Equal(0), r.err)
			Expect(filepath.Join(dir, "list.go")).To(BeAnExistingFile(), "the reset check advised brings back the starter code")
			Expect(filepath.Join(dir, "list_test.go")).To(BeAnExistingFile(), "and the specs")
		})
	})

	When("the build cache is cold", func() {
		It("says before the build that the first build takes a minute or two, and shows no progress on a pipe", func() {
			// A fresh GOCACHE makes the build cold; the spec stops the
			// check once the line is out, so as not to wait the two
			// minutes a cold build takes on two cores.
			cache := GinkgoT().TempDir()
			s := racekitEnv(kit, []string{"GOCACHE=" + cache}, "check", "1")
			Eventually(s.Out, time.Minute).Should(gbytesSay("the first build compiles the race detector's runtime and the course's packages"),
				"a learner's first check names the wait before it starts")
			Expect(string(s.Out.Contents())).To(ContainSubstring("a minute or two on a cold cache"), "the line says how long")
			s.Interrupt()
			Expect(finish(s, time.Minute)).NotTo(Equal(0), "an interrupted check does not pass")
			Expect(string(s.Out.Contents())).NotTo(ContainSubstring("\r"), "piped, check shows the one line and no progress")
		})
	})

	When("the lesson named does not exist", func() {
		It("exits with status 2 and lists the lessons there are", func() {
			s, code := check("12")
			Expect(code).To(Equal(2), "bad input is a usage error")
			Expect(string(s.Err.Contents())).To(And(ContainSubstring(`no lesson "12"`), ContainSubstring("1 or lost-update")))
		})
	})
})
