package main

// These specs run in the racekit suite (RunSpecs is in package main_test):
// they print made-up results, so they check the table's layout without
// running an experiment.

import (
	"strings"
	"unicode/utf8"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"golang.org/x/text/language"

	"github.com/racekit/racekit/pkg/internal/lab"
)

var _ = Describe("the lab's table", func() {
	// table prints res as racekit lab does, and returns its lines.
	table := func(res lab.Result) []string {
		var out strings.Builder
		e := &env{out: newPrinter(&out, language.Und)}
		e.showExperiment(lab.Experiment{Name: "x", Source: "lesson 08"}, res)
		return strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	}

	It("has a lost column when a row counts updates, with the count of how many", func() {
		lines := table(lab.Result{Reading: "r", Rows: []lab.Row{
			{Label: "a", Runtime: lab.VM, Seconds: 1, Ratio: 1, Lost: 1234, Of: 200_000},
			{Label: "b", Runtime: lab.CPython, Seconds: 1, Ratio: 1, Of: 8},
			{Label: "c", Runtime: lab.VM, Seconds: 1, Ratio: 1},
		}})
		Expect(lines).To(HaveLen(6), "a title, a header, three rows and the reading")
		Expect(lines[1]).To(MatchRegexp(`seed  +lost$`), "the header names the column")
		Expect(lines[2]).To(MatchRegexp(`-  1,234 of 200,000$`), "a row's lost updates of how many, after its seed ratio")
		Expect(lines[3]).To(MatchRegexp(`-  +0 of 8$`), "a row that lost none says so")
		Expect(lines[4]).To(MatchRegexp(`-  +-$`), "a row that counts nothing has a dash")
		for _, l := range lines[1:5] {
			Expect(utf8.RuneCountInString(l)).To(Equal(utf8.RuneCountInString(lines[2])), "the column is right-aligned: %q", l)
		}
	})

	It("has no lost column when no row counts updates", func() {
		lines := table(lab.Result{Reading: "r", Rows: []lab.Row{{Label: "a", Runtime: lab.VM, Seconds: 1, Ratio: 1}}})
		Expect(lines[1]).To(HaveSuffix("seed"), "the header ends with the seed column")
		Expect(lines[2]).To(HaveSuffix("-"), "the row ends with its seed ratio")
	})
})

var _ = Describe("ratioBar", func() {
	DescribeTable("draws a ratio in block characters, the largest ratio the full width, to an eighth of a cell",
		func(v, largest float64, width int, bar string) {
			Expect(ratioBar(v, largest, width)).To(Equal(bar))
		},
		Entry("the largest ratio fills the width", 2.5, 2.5, 4, "████"),
		Entry("half of it, half the width", 1.25, 2.5, 4, "██"),
		Entry("a part of a cell in eighths", 1.0, 2.0, 3, "█▌"),
		Entry("an eighth of a cell, the least that shows", 1.0, 32.0, 4, "▏"),
		Entry("under a sixteenth of a cell, nothing", 1.0, 100.0, 4, ""),
		Entry("a ratio above the largest, cut at the width", 3.0, 2.0, 4, "████"),
		Entry("no ratio", 0.0, 2.0, 4, ""),
		Entry("no largest ratio", 1.0, 0.0, 4, ""),
	)
})

var _ = Describe("the experiments racekit lab runs", func() {
	names := func(xs []lab.Experiment) []string {
		var out []string
		for _, x := range xs {
			out = append(out, x.Name)
		}
		return out
	}

	It("lists them, running none, when given nothing", func() {
		xs, err := experimentsToRun(nil, false)
		Expect(err).NotTo(HaveOccurred())
		Expect(xs).To(BeNil(), "racekit lab alone lists the experiments")
	})

	It("runs every one when given flags and no name", func() {
		xs, err := experimentsToRun(nil, true)
		Expect(err).NotTo(HaveOccurred())
		Expect(names(xs)).To(Equal(lab.Names()), "racekit lab --cpython --svg out runs all of them, in order")
	})

	It("runs the ones named, in the order named", func() {
		xs, err := experimentsToRun([]string{"battle", "countdown"}, false)
		Expect(err).NotTo(HaveOccurred())
		Expect(names(xs)).To(Equal([]string{"battle", "countdown"}))
	})

	It("turns an unknown name away", func() {
		_, err := experimentsToRun([]string{"battle", "nope"}, true)
		Expect(err).To(MatchError(ContainSubstring(`no experiment "nope"`)))
	})
})
