package lab

import (
	"fmt"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/gil"
	"github.com/racekit/racekit/pkg/internal/lanes/svgtest"
)

// picture draws x's picture of res and parses it, which must succeed.
func picture(x Experiment, res Result) *svgtest.Element {
	GinkgoHelper()
	data, err := Picture(x, res)
	Expect(err).NotTo(HaveOccurred(), "the %s picture is drawn", x.Name)
	doc, err := svgtest.Parse(data)
	Expect(err).NotTo(HaveOccurred(), "the %s picture is well-formed SVG:\n%s", x.Name, data)
	return doc
}

// filled counts the paths of doc filled with colour ("#1F77B4").
func filled(doc *svgtest.Element, colour string) int {
	return len(doc.Find(func(e *svgtest.Element) bool {
		return e.Name == "path" && strings.Contains(e.Attr["style"], "fill:"+colour)
	}))
}

var _ = Describe("Picture", func() {
	When("the experiment measured a table", func() {
		// countdown's rows on both runtimes, as a run with --cpython gives them:
		// the times are made up, the labels and seed ratios are countdown's.
		seedTwo, seedProcs := seed004TwoThreads/seed004OneThread, seed004TwoProcesses/seed004OneThread
		res := Result{Rows: []Row{
			{Label: oneThread, Runtime: VM, Seconds: 0.5, Ratio: 1, SeedRatio: 1},
			{Label: twoThreads, Runtime: VM, Seconds: 0.55, Ratio: 1.1, SeedRatio: seedTwo},
			{Label: twoInterpreters, Runtime: VM, Seconds: 0.3, Ratio: 0.6, SeedRatio: seedProcs},
			{Label: oneThread, Runtime: CPython, Seconds: 0.2, Ratio: 1, SeedRatio: 1},
			{Label: twoThreads, Runtime: CPython, Seconds: 0.25, Ratio: 1.25, SeedRatio: seedTwo},
			{Label: twoInterpretersP, Runtime: CPython, Seconds: 0.15, Ratio: 0.75, SeedRatio: seedProcs},
		}}
		var doc *svgtest.Element
		BeforeEach(func() { doc = picture(countdownExperiment, res) })

		It("is titled with the experiment and its seed", func() {
			Expect(doc.Texts()).To(ContainElement("racekit lab countdown (seed 004)"))
		})

		It("labels a bar per row with the row's label, runtime and ratio", func() {
			texts := doc.Texts()
			for _, r := range res.Rows {
				Expect(texts).To(ContainElement(r.Label+" ("+r.Runtime+")"), "the row %s (%s) is labelled", r.Label, r.Runtime)
			}
			for _, r := range res.Rows {
				Expect(texts).To(ContainElement(fmt.Sprintf("%.2f× (seed: %.2f×)", r.Ratio, r.SeedRatio)),
					"the row %s (%s) has its ratio and the seed's at the right", r.Label, r.Runtime)
			}
			Expect(filled(doc, "#1F77B4")).To(Equal(3+1), "a bar per VM row, and the legend's swatch")
			Expect(filled(doc, "#FF7F0E")).To(Equal(3+1), "a bar per CPython row, and the legend's swatch")
		})

		It("says the unit of its axis, and what the markers and colours are", func() {
			Expect(doc.Texts()).To(ContainElement("time, × the time of “one thread”"), "the ratios are to one thread")
			Expect(doc.Texts()).To(ContainElements("the kit's VM", "CPython", "the seed's ratio (seed 004)"), "the legend")
		})
	})

	It("names each group's baseline when the table has several", func() {
		doc := picture(cpuVsIOExperiment, Result{Rows: []Row{
			{Label: cpuSequential, Runtime: VM, Seconds: 1, Ratio: 1},
			{Label: cpuThreads, Runtime: VM, Seconds: 1.1, Ratio: 1.1},
			{Label: ioSequential, Runtime: VM, Seconds: 1, Ratio: 1},
			{Label: ioThreads, Runtime: VM, Seconds: 0.5, Ratio: 0.5},
		}})
		Expect(doc.Texts()).To(ContainElement("time, × its group's baseline (each group's first row, at 1.00×)"))
		Expect(doc.Texts()).NotTo(ContainElement(ContainSubstring("seed's ratio")), "no seed marker without a seed ratio")
	})

	It("charts the fraction of updates lost when the rows count them, and only the rows that do", func() {
		doc := picture(lostUpdatesExperiment, Result{Rows: []Row{
			{Label: "counter += 1, every instruction", Runtime: VM, Seconds: 0.01, Ratio: 1, Lost: 24_849, Of: 80_000},
			{Label: "counter += 1, jumps and calls", Runtime: VM, Seconds: 0.005, Ratio: 0.5, Lost: 0, Of: 80_000},
			{Label: "a row that counts nothing", Runtime: VM, Seconds: 1, Ratio: 100},
		}})
		texts := doc.Texts()
		Expect(texts).To(ContainElement("updates lost, % of those made"), "the axis says its unit")
		Expect(texts).To(ContainElements("31.1% (24,849 of 80,000)", "0.0% (0 of 80,000)"), "each counting row's fraction and count")
		Expect(texts).To(ContainElements("counter += 1, every instruction (vm)", "counter += 1, jumps and calls (vm)"))
		Expect(texts).NotTo(ContainElement(ContainSubstring("counts nothing")), "a row with no count has no bar on a fraction's axis")
		Expect(filled(doc, "#1F77B4")).To(Equal(2+1), "a bar per counting row, and the legend's swatch")
	})

	It("draws the battle's timelines as lanes, the old GIL's above the new one's, with the reading", func() {
		at := func(ms int) time.Time {
			return time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(ms) * time.Millisecond)
		}
		old := gil.Timeline{Events: []gil.Event{
			{Seq: 1, Time: at(0), Thread: "A", Kind: gil.Acquired},
			{Seq: 2, Time: at(1), Thread: "B", Kind: gil.Waiting, Other: "A"},
			{Seq: 3, Time: at(40), Thread: "A", Kind: gil.Released},
			{Seq: 4, Time: at(40), Thread: "B", Kind: gil.Acquired, Other: "A"},
			{Seq: 5, Time: at(60), Thread: "B", Kind: gil.Released},
		}}
		nw := gil.Timeline{Events: []gil.Event{
			{Seq: 1, Time: at(0), Thread: "B", Kind: gil.Acquired},
			{Seq: 2, Time: at(1), Thread: "A", Kind: gil.Waiting, Other: "B"},
			{Seq: 3, Time: at(6), Thread: "A", Kind: gil.Requested, Other: "B"},
			{Seq: 4, Time: at(7), Thread: "B", Kind: gil.Released, OnRequest: true},
			{Seq: 5, Time: at(7), Thread: "B", Kind: gil.AwaitingSwitch},
			{Seq: 6, Time: at(7), Thread: "A", Kind: gil.Acquired, Other: "B"},
			{Seq: 7, Time: at(30), Thread: "A", Kind: gil.Released},
		}}
		res := Result{
			Rows:      []Row{{Label: "old GIL: two CPU-bound threads", Runtime: VM, Ratio: 1}, {Label: "new GIL: two CPU-bound threads", Runtime: VM, Ratio: 1}},
			Reading:   "the old GIL changed hands once, the new GIL once too, at a drop request",
			Timelines: map[string]gil.Timeline{"new GIL": nw, "old GIL": old},
		}
		for name, tl := range res.Timelines {
			Expect(tl.Check()).To(Succeed(), "the spec's %s timeline describes a lock", name)
		}
		doc := picture(battleExperiment, res)
		Expect(doc.Class("title")[0].Text()).To(Equal("racekit lab battle (seed 000, lesson 07)"), "the title names the experiment and its sources")
		Expect(doc.Class("caption")[0].Text()).To(Equal(res.Reading), "the reading is the caption")
		panels := doc.Class("panel")
		Expect(panels).To(HaveLen(2))
		for i, name := range []string{"old GIL", "new GIL"} {
			Expect(panels[i].Attr["data-lock"]).To(Equal(name), "the rows name the old GIL first")
			var threads []string
			for _, lane := range panels[i].Class("lane") {
				threads = append(threads, lane.Attr["data-thread"])
				Expect(lane.Class("lane-label")[0].Text()).To(Equal(lane.Attr["data-thread"]), "a lane is labelled with its thread")
			}
			Expect(threads).To(Equal([]string{"A", "B"}), "a lane per thread of the %s, A first in both", name)
		}
		Expect(panels[1].Class("requests")).To(HaveLen(1), "A's drop request on the new GIL is marked")
	})

	It("orders timelines the rows do not name by name, after the others", func() {
		at := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
		tl := gil.Timeline{Events: []gil.Event{{Seq: 1, Time: at, Thread: "A", Kind: gil.Acquired}}}
		doc := picture(battleExperiment, Result{
			Rows:      []Row{{Label: "second: x", Runtime: VM}, {Label: "first: y", Runtime: VM}},
			Timelines: map[string]gil.Timeline{"first": tl, "zeta": tl, "second": tl, "alpha": tl},
		})
		var order []string
		for _, p := range doc.Class("panel") {
			order = append(order, p.Attr["data-lock"])
		}
		Expect(order).To(Equal([]string{"second", "first", "alpha", "zeta"}))
	})

	It("refuses a table with no rows", func() {
		_, err := Picture(countdownExperiment, Result{})
		Expect(err).To(MatchError("lab: the countdown picture: no rows to chart"))
	})
})
