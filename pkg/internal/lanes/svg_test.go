package lanes_test

import (
	"bytes"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/gil"
	"github.com/racekit/racekit/pkg/internal/lanes"
	"github.com/racekit/racekit/pkg/internal/lanes/svgtest"
)

// draw writes p and parses what it wrote, which must be well-formed SVG.
func draw(p lanes.Picture) (*svgtest.Element, []byte) {
	GinkgoHelper()
	var b bytes.Buffer
	Expect(lanes.Write(&b, p)).To(Succeed())
	doc, err := svgtest.Parse(b.Bytes())
	Expect(err).NotTo(HaveOccurred(), "Write writes well-formed SVG:\n%s", b.String())
	return doc, b.Bytes()
}

// threads returns the threads the lanes of a panel are for, from their
// data-thread attributes, and checks that each lane is labelled with its
// thread's name.
func threads(panel *svgtest.Element) []string {
	GinkgoHelper()
	var names []string
	for _, lane := range panel.Class("lane") {
		name := lane.Attr["data-thread"]
		labels := lane.Class("lane-label")
		Expect(labels).To(HaveLen(1), "the lane of %s has one label", name)
		Expect(labels[0].Text()).To(Equal(name), "the lane of %s is labelled with the thread's name", name)
		names = append(names, name)
	}
	return names
}

var _ = Describe("lanes.Write", func() {
	When("it draws the battle: the old GIL, then the new one", func() {
		var doc *svgtest.Element
		BeforeEach(func() {
			doc, _ = draw(lanes.Picture{
				Title:   "battle",
				Caption: "the old GIL changed hands twice, the new GIL every 5 ms",
				Panels:  []lanes.Panel{{Name: "old GIL", Timeline: oldGIL()}, {Name: "new GIL", Timeline: newGIL()}},
			})
		})

		It("has the title, the caption and a legend of what the marks mean", func() {
			Expect(doc.Class("title")[0].Text()).To(Equal("battle"), "the title is drawn")
			Expect(doc.Class("caption")[0].Text()).To(ContainSubstring("changed hands twice"), "the caption is drawn")
			Expect(doc.Class("legend")[0].Texts()).To(Equal([]string{
				"holds the lock", "waits for it", "asks the holder to drop it", "a switch: the lock changes hands"}), "the legend names each mark")
		})

		It("stacks a panel per lock, in order, each headed with its name and switch count", func() {
			panels := doc.Class("panel")
			Expect(panels).To(HaveLen(2))
			Expect(panels[0].Attr["data-lock"]).To(Equal("old GIL"))
			Expect(panels[1].Attr["data-lock"]).To(Equal("new GIL"))
			Expect(panels[0].Class("panel-title")[0].Text()).To(Equal("old GIL · 2 switches in 55 ms, the first 50 ms shown"),
				"the default window is 50 ms, and both timelines are longer")
			Expect(panels[1].Class("panel-title")[0].Text()).To(Equal("new GIL · 12 switches in 62 ms, the first 50 ms shown"))
		})

		It("gives each thread a lane labelled with its name, with bars where it held the lock and waited", func() {
			for _, panel := range doc.Class("panel") {
				Expect(threads(panel)).To(Equal([]string{"A", "B"}), "a lane per thread in %s", panel.Attr["data-lock"])
				for _, lane := range panel.Class("lane") {
					Expect(lane.Class("holds")[0].Named("rect")).NotTo(BeEmpty(), "%s held the %s in the window", lane.Attr["data-thread"], panel.Attr["data-lock"])
					Expect(lane.Class("waits")[0].Named("rect")).NotTo(BeEmpty(), "%s waited for the %s in the window", lane.Attr["data-thread"], panel.Attr["data-lock"])
				}
			}
			oldA := doc.Class("panel")[0].Class("lane")[0]
			Expect(oldA.Class("holds")[0].Named("rect")).To(HaveLen(2), "A's 800 short holds of the old GIL are merged into one bar before B's turn, and one after it")
			newA := doc.Class("panel")[1].Class("lane")[0]
			Expect(newA.Class("holds")[0].Named("rect")).To(HaveLen(5), "A holds the new GIL in five of the ten 5 ms turns of the window")
		})

		It("marks the new GIL's drop requests on the asking thread's lane, and every switch", func() {
			old, nw := doc.Class("panel")[0], doc.Class("panel")[1]
			Expect(old.Class("requests")).To(BeEmpty(), "the old GIL takes no requests")
			Expect(strings.Count(old.Class("switches")[0].Attr["d"], "M")).To(Equal(2), "the old GIL changed hands twice")
			Expect(strings.Count(nw.Class("switches")[0].Attr["d"], "M")).To(Equal(9), "the new GIL changed hands at 5.1, 10.1, ... 45.1 ms in the window")
			for i, lane := range nw.Class("lane") {
				req := lane.Class("requests")
				Expect(req).To(HaveLen(1), "%s asked for drops", lane.Attr["data-thread"])
				Expect(strings.Count(req[0].Attr["d"], "M")).To(Equal([]int{4, 5}[i]), "a triangle per request of %s in the window (B at 5, 15, ... 45 ms)", lane.Attr["data-thread"])
			}
		})

		It("has a time axis in milliseconds under each panel", func() {
			for _, panel := range doc.Class("panel") {
				var ticks []string
				for _, t := range panel.Class("tick") {
					ticks = append(ticks, t.Text())
				}
				Expect(ticks).To(Equal([]string{"0", "10", "20", "30", "40", "50"}), "ticks every 10 ms in %s", panel.Attr["data-lock"])
			}
			Expect(doc.Class("axis-title")[0].Text()).To(Equal("time since each lock's first event (ms)"), "the axis says its unit")
		})
	})

	It("orders lanes by thread name, and keeps a thread's colour from panel to panel", func() {
		first := (&events{}).hold(0, 1_000, "A", "").hold(1_000, 2_000, "B", "A").checked()
		second := (&events{}).hold(0, 1_000, "B", "").hold(1_000, 2_000, "C", "B").hold(2_000, 3_000, "A", "C").checked()
		doc, _ := draw(lanes.Picture{Panels: []lanes.Panel{{Name: "first", Timeline: first}, {Name: "second", Timeline: second}}})
		panels := doc.Class("panel")
		Expect(threads(panels[0])).To(Equal([]string{"A", "B"}))
		Expect(threads(panels[1])).To(Equal([]string{"A", "B", "C"}), "the lanes are in the order of the threads' names, though B acted first in the second panel")
		fill := func(panel *svgtest.Element, i int) string {
			return panel.Class("lane")[i].Class("holds")[0].Attr["fill"]
		}
		Expect(fill(panels[1], 0)).To(Equal(fill(panels[0], 0)), "A has one colour")
		Expect(fill(panels[1], 1)).To(Equal(fill(panels[0], 1)), "B has one colour")
		Expect(fill(panels[1], 2)).NotTo(BeElementOf(fill(panels[0], 0), fill(panels[0], 1)), "C has its own")
	})

	It("draws a short timeline whole and marks where a shorter one ends", func() {
		short := (&events{}).hold(0, 2_000, "A", "").tl
		doc, _ := draw(lanes.Picture{Panels: []lanes.Panel{{Name: "short", Timeline: short}, {Name: "long", Timeline: (&events{}).hold(0, 8_000, "A", "").tl}}})
		Expect(doc.Class("title")).To(BeEmpty(), "no title when none is given")
		panels := doc.Class("panel")
		Expect(panels[1].Class("panel-title")[0].Text()).To(Equal("long · 0 switches in 8 ms"), "the window is the longest timeline when it is under 50 ms")
		Expect(panels[0].Class("end")).NotTo(BeEmpty(), "the short timeline's end is marked")
		Expect(panels[1].Class("end")).To(BeEmpty(), "the long one runs to the window's end")
	})

	It("escapes names, so that any thread or lock name keeps the document well-formed", func() {
		tl := (&events{}).hold(0, 1_000, `<b a="1">&`, "").tl
		doc, _ := draw(lanes.Picture{Title: "a < b & c", Panels: []lanes.Panel{{Name: `"lock" <1>`, Timeline: tl}}})
		Expect(doc.Class("title")[0].Text()).To(Equal("a < b & c"))
		Expect(doc.Class("panel")[0].Attr["data-lock"]).To(Equal(`"lock" <1>`))
		Expect(threads(doc)).To(Equal([]string{`<b a="1">&`}))
	})

	It("keeps the file small however many events the timeline holds", func() {
		// 400,000 events: A and B hand the lock over every 2 µs for 400 ms.
		b := &events{}
		names := []string{"A", "B"}
		for i := range 200_000 {
			prev := ""
			if i > 0 {
				prev = names[(i+1)%2]
			}
			b.hold(2*i, 2*i+1, names[i%2], prev)
		}
		start := time.Now()
		doc, data := draw(lanes.Picture{Panels: []lanes.Panel{{Name: "busy", Timeline: b.tl}}})
		Expect(time.Since(start)).To(BeNumerically("<", 10*time.Second), "drawing reads the window's events only")
		Expect(len(data)).To(BeNumerically("<", 50_000), "the spans are merged to the pixel: a bar per lane and a tick per pixel of switches")
		for _, lane := range doc.Class("lane") {
			Expect(lane.Class("holds")[0].Named("rect")).To(HaveLen(1), "%s held the lock in every pixel's time", lane.Attr["data-thread"])
		}
	})

	DescribeTable("refuses a picture it cannot draw",
		func(p lanes.Picture, msg string) {
			Expect(lanes.Write(&bytes.Buffer{}, p)).To(MatchError(msg))
		},
		Entry("no panels", lanes.Picture{Title: "empty"}, "lanes: a picture needs at least one panel"),
		Entry("a negative window", lanes.Picture{Panels: []lanes.Panel{{Name: "x"}}, Window: -time.Second}, "lanes: window -1s is negative"),
		Entry("a width too narrow for lanes", lanes.Picture{Panels: []lanes.Panel{{Name: "x"}}, Width: 150}, "lanes: width 150 is too narrow for the lanes: at least 196 pixels"),
	)

	It("draws a panel with no events as a heading that says so", func() {
		doc, _ := draw(lanes.Picture{Panels: []lanes.Panel{{Name: "idle", Timeline: gil.Timeline{}}}})
		Expect(doc.Class("panel-title")[0].Text()).To(Equal("idle · no events"))
		Expect(doc.Class("lane")).To(BeEmpty())
	})
})
