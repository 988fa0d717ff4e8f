package testrun_test

import (
	"fmt"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/internal/testrun"
)

// The samples in testdata/*.txt were printed by the go command and by
// lesson 01's test binary, with the kit's path made /kit and the module
// cache's /home/learner/go:
//
//   - build-errors.txt: go test -c with an overlaid object.go that has a
//     type error and an undefined name, so the spec file fails too;
//   - syntax-error.txt: the same with a syntax error;
//   - setup-failed.txt: go test -c of a folder that does not exist;
//   - race.txt: a run with RefCount unlocked (two race reports);
//   - test-timeout.txt: a run whose DecRef loops forever, stopped by go
//     test's -test.timeout, which dumps every goroutine;
//   - crash.txt: a run whose DecRef starts a goroutine that panics.

// lessonDir is lesson 01's folder as the samples name it.
const lessonDir = "/kit/lessons/01-lost-update"

// sample reads testdata/name.
func sample(name string) string {
	GinkgoHelper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	Expect(err).NotTo(HaveOccurred(), "the sample %s is part of the package's testdata", name)
	return string(data)
}

// stackOf returns the stack of goroutine n in stacks.
func stackOf(stacks []testrun.Stack, n int) testrun.Stack {
	GinkgoHelper()
	for _, s := range stacks {
		if s.Goroutine() == n {
			return s
		}
	}
	Fail(fmt.Sprintf("the sample has no stack of goroutine %d", n))
	return testrun.Stack{}
}

var _ = Describe("ParseProblems", func() {
	When("the compiler found type errors", func() {
		problems := func() []testrun.Problem { return testrun.ParseProblems(sample("build-errors.txt")) }

		It("reads each file:line:col and message in the order printed", func() {
			p := problems()
			Expect(p).To(HaveLen(11), "ten errors, and the compiler's own 'too many errors' line")
			Expect(p[0]).To(Equal(testrun.Problem{
				File: "/tmp/racekit-grade/files/object.go", Line: 18, Col: 17,
				Message: `invalid operation: o.refcount.Get() - "1" (mismatched types int and untyped string)`,
			}), "the first problem is the learner's own line, with the path as the compiler printed it")
			Expect(p[1].String()).To(Equal("/tmp/racekit-grade/files/object.go:19:2: undefined: retrun"),
				"String gives the problem back as the compiler printed it")
			Expect(p[2].File).To(Equal("lessons/01-lost-update/object_test.go"), "paths relative to the go command's folder stay relative")
		})

		It("keeps the compiler's 'too many errors' line last, so a reader knows the list was cut", func() {
			p := problems()
			Expect(p[len(p)-1].Message).To(Equal("too many errors"), "the compiler stops at ten and says so, at the tenth error's place")
		})

		It("does not list a problem twice when the output repeats it", func() {
			twice := sample("build-errors.txt") + sample("build-errors.txt")
			Expect(testrun.ParseProblems(twice)).To(Equal(problems()), "the go command can print a package's errors more than once (vet, then build)")
		})

		It("skips the '# package' header", func() {
			Expect(problems()).NotTo(ContainElement(HaveField("File", HavePrefix("#"))))
		})
	})

	When("the compiler found syntax errors", func() {
		It("reads them the same way", func() {
			Expect(testrun.ParseProblems(sample("syntax-error.txt"))).To(Equal([]testrun.Problem{
				{File: "/tmp/racekit-grade/files/object.go", Line: 4, Col: 20, Message: "syntax error: unexpected {, expected semicolon or newline"},
				{File: "/tmp/racekit-grade/files/object.go", Line: 5, Col: 2, Message: "syntax error: unexpected }, expected expression"},
			}), "the parser's complaints have the same file:line:col: shape as the type checker's")
		})
	})

	When("the go command failed before compiling", func() {
		It("finds no problem, since no file:line was printed", func() {
			Expect(testrun.ParseProblems(sample("setup-failed.txt"))).To(BeEmpty(),
				"BuildError then shows the go command's output instead")
		})
	})

	It("prints a problem without a column as file:line: message", func() {
		p := testrun.ParseProblems("vet: x/object.go:12: something is off\n")
		Expect(p).To(Equal([]testrun.Problem{{File: "x/object.go", Line: 12, Message: "something is off"}}), "vet's prefix is dropped")
		Expect(p[0].String()).To(Equal("x/object.go:12: something is off"), "no column, no second colon")
	})
})

var _ = Describe("BuildError", func() {
	It("lists the problems, or the go command's output when it named none", func() {
		out := sample("build-errors.txt")
		err := &testrun.BuildError{Output: out, Problems: testrun.ParseProblems(out)}
		Expect(err.Error()).To(HavePrefix("testrun: the package did not build:\n/tmp/racekit-grade/files/object.go:18:17: invalid operation"), "the problems, one a line, under a line that says what failed")
		Expect(err.Error()).NotTo(ContainSubstring("# github.com"), "with problems to list, the header lines are left out")

		setup := &testrun.BuildError{Output: sample("setup-failed.txt")}
		Expect(setup.Error()).To(ContainSubstring("stat /kit/lessons/09-nothing: directory not found"), "with none, the output says what went wrong")
	})
})

var _ = Describe("ParseStacks", func() {
	When("go test's timeout dumped every goroutine", func() {
		stacks := func() []testrun.Stack { return testrun.ParseStacks(sample("test-timeout.txt")) }

		It("reads every goroutine, its number and its wait state", func() {
			s := stacks()
			Expect(s).To(HaveLen(8), "the dump holds eight goroutines")
			Expect(s[0].Header).To(Equal("goroutine 12 [running]:"), "stacks come in the order printed, each with its header line")
			Expect(s[0].Goroutine()).To(Equal(12), "Goroutine reads the number from the header")
			Expect(s[0].Wait()).To(Equal("running"), "Wait reads the state in brackets")
			Expect(stackOf(s, 1).Wait()).To(Equal("chan receive"), "a state may have spaces")
			Expect(stackOf(s, 5).Wait()).To(Equal("syscall"))
		})

		It("reads each frame's function without its arguments, its file and line", func() {
			g9 := stackOf(stacks(), 9)
			Expect(g9.Frames[0]).To(Equal(testrun.Frame{
				Func: "github.com/racekit/racekit/pkg/interleave.(*Run).settle",
				File: "/kit/pkg/interleave/run.go", Line: 278,
			}), "the innermost frame comes first")
			Expect(stackOf(stacks(), 1).Frames).To(ContainElement(testrun.Frame{Func: "main.main", File: "_testmain.go", Line: 46}),
				"the generated _testmain.go has no folder in a dump")
		})

		It("reads a 'created by' line as the go statement that started the goroutine", func() {
			g10 := stackOf(stacks(), 10)
			last := g10.Frames[len(g10.Frames)-1]
			Expect(last).To(Equal(testrun.Frame{
				Func: "github.com/racekit/racekit/pkg/interleave.(*Run).Go", File: "/kit/pkg/interleave/run.go", Line: 138, Created: true,
			}), "the function, without 'created by' and 'in goroutine 9'")
			Expect(last.Where()).To(Equal("started by (*Run).Go"), "Where says the goroutine was started there, not that it waits there")
			Expect(g10.Frames[0].Created).To(BeFalse(), "the goroutine's own calls are not marked")
		})

		It("picks out the frames in a folder, innermost first", func() {
			in := stackOf(stacks(), 10).In(lessonDir)
			Expect(in).To(HaveLen(2), "DecRef and the spec's closure are in the lesson; interleave's frames are not")
			Expect(in[0].ShortFunc()).To(Equal("(*Object).DecRef"), "DecRef is where the goroutine spins")
			Expect(in[1].Where()).To(Equal("in the spec"), "a closure in a _test.go file's spec tree reads as the spec")
			Expect(stackOf(stacks(), 12).In(lessonDir)).To(BeEmpty(), "go test's alarm goroutine has no frame in the lesson")
			Expect(stackOf(stacks(), 10).In("/kit/lessons/01-lost")).To(BeEmpty(), "a folder whose name is a prefix of another is not its parent")
		})
	})

	When("a goroutine panicked", func() {
		It("reads the panicking goroutine, its closure and where it was started", func() {
			s := testrun.ParseStacks(sample("crash.txt"))
			Expect(s).To(HaveLen(1), "a panic prints only the goroutine that panicked")
			Expect(s[0].Wait()).To(Equal("running"))
			Expect(s[0].Frames).To(HaveLen(2), "the closure that panicked, and the go statement that started it")
			Expect(s[0].Frames[0].Where()).To(Equal("(*Object).DecRef.func1"), "the panic was in DecRef's closure")
			Expect(s[0].Frames[1].Where()).To(Equal("started by (*Object).DecRef"), "which DecRef started")
		})
	})

	It("drops the minutes a goroutine has been blocked from its wait state", func() {
		s := testrun.ParseStacks("goroutine 7 [chan receive, 2 minutes]:\nmain.wait(...)\n\t/src/main.go:9 +0x1d\n")
		Expect(s).To(HaveLen(1), "one goroutine, one frame")
		Expect(s[0].Wait()).To(Equal("chan receive"), "the minutes are not part of the state")
		Expect(s[0].Frames[0].ShortFunc()).To(Equal("wait"), "an elided argument list (...) is not part of the name")
	})

	It("finds no stack in text without one", func() {
		Expect(testrun.ParseStacks("ok  \tgithub.com/x\t0.1s\nnothing: here\n")).To(BeEmpty(), "a line ending in ':' is a header only when frames follow it")
	})
})

var _ = Describe("ParseRaces", func() {
	races := func() []testrun.Race { return testrun.ParseRaces(sample("race.txt")) }

	It("reads every report of the race detector, and HasRace sees them", func() {
		Expect(testrun.HasRace(sample("race.txt"))).To(BeTrue(), "the race detector's banner is there")
		Expect(testrun.HasRace(sample("test-timeout.txt"))).To(BeFalse(), "a goroutine dump is not a race report")
		Expect(races()).To(HaveLen(2), "the sample holds two reports")
	})

	It("keeps each report's text, from its banner to its closing line", func() {
		r := races()[0]
		Expect(r.Text).To(HavePrefix("WARNING: DATA RACE\nWrite at 0x00c0000162b0 by goroutine 317:"), "the text starts at the banner")
		Expect(r.Text).NotTo(ContainSubstring("=================="), "the ===== lines around a report are not part of it")
		Expect(r.Text).NotTo(ContainSubstring("Read at"), "the second report is not part of the first")
	})

	It("reads the two accesses and where their goroutines were started", func() {
		r := races()[0]
		var headers []string
		for _, a := range r.Accesses {
			headers = append(headers, a.Header)
		}
		Expect(headers).To(Equal([]string{
			"Write at 0x00c0000162b0 by goroutine 317:",
			"Previous read at 0x00c0000162b0 by goroutine 316:",
			"Goroutine 317 (running) created at:",
			"Goroutine 316 (running) created at:",
		}), "the access, the one it raced with, and where both goroutines were started")
		Expect(r.Accesses[0].Goroutine()).To(Equal(317), "the writer was goroutine 317")
		Expect(r.Accesses[1].In(lessonDir)[0].ShortFunc()).To(Equal("(*Object).RefCount"), "the read raced in RefCount")
	})

	Describe("Race.Short", func() {
		It("names each access and only the lesson's own frames, relative to its folder", func() {
			Expect(races()[0].Short(lessonDir)).To(Equal(
				"write by goroutine 317\n"+
					"    object.go:28  (*Object).IncRef\n"+
					"    object_test.go:116  in the spec\n"+
					"previous read by goroutine 316\n"+
					"    object.go:40  (*Object).RefCount\n"+
					"    object_test.go:121  in the spec"), "interleave's frames and where the goroutines started are left out")
		})

		It("keeps the first access's first frames when none is in the folder", func() {
			Expect(races()[1].Short("/somewhere/else")).To(Equal(
				"read by goroutine 317\n"+
					"    /kit/pkg/interleave/cell.go:49  (*Int).GetAs\n"+
					"    /kit/pkg/interleave/cell.go:34  (*Int).Get\n"+
					"    /kit/lessons/01-lost-update/object.go:40  (*Object).RefCount"),
				"a race with nothing in the folder still says something")
		})
	})
})
