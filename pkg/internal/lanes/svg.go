package lanes

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/racekit/racekit/pkg/gil"
)

// DefaultWindow is how much of each timeline a Picture with no Window
// draws: its first 50 ms, ten turns of the new GIL's 5 ms switch interval.
const DefaultWindow = 50 * time.Millisecond

// DefaultWidth is the width in pixels of a Picture with no Width.
const DefaultWidth = 800

// Panel is one lock's timeline in a picture: a heading, then one lane per
// thread of the timeline, then a row of switch marks and a time axis. The
// lanes are in the order of the threads' names, and a thread has the same
// colour in every panel, so that panels compare, and so do two runs
// whose threads started in a different order.
type Panel struct {
	Name     string // the lock's name, the panel's heading: "old GIL"
	Timeline gil.Timeline
}

// Picture is what Write draws: panels stacked top to bottom, all on one
// time scale so that they compare. The zero Picture has no panels, which
// Write refuses.
type Picture struct {
	Title   string // the heading of the whole picture; "" for none
	Caption string // a sentence under the title, wrapped to the width; "" for none
	Panels  []Panel
	// Window is how much of each timeline to draw, from the timeline's
	// first event. 0 means DefaultWindow, cut to the longest timeline when
	// that is shorter, so that a short run is drawn whole.
	Window time.Duration
	// Width is the picture's width in pixels; 0 means DefaultWidth. A
	// pixel column of the lanes is one column of Lay.
	Width int
}

// Thread colours: a solid one for holding, a light one for waiting.
var palette = []struct{ solid, light string }{
	{"#1f77b4", "#c6dbef"}, {"#ff7f0e", "#fdd0a2"}, {"#2ca02c", "#c7e9c0"},
	{"#9467bd", "#dadaeb"}, {"#8c564b", "#e7cbb8"}, {"#17becf", "#c5eff3"},
}

// Geometry, in pixels.
const (
	right     = 24  // margin right of the lanes
	laneH     = 18  // a lane's height
	laneGap   = 6   // the space under a lane
	switchH   = 10  // the switch row's height
	charWidth = 7   // about the width of a character at 12 px
	maxLeft   = 200 // the most room for the lane labels, left of the lanes
)

// Write draws p as an SVG document on w: per panel, a lane per thread with
// a solid bar where the thread held the lock, a hatched bar where it
// waited for it, a triangle where it asked the holder to drop it, then a
// tick per switch and a time axis in milliseconds; a title, a caption and
// a legend on top. What is shorter than a pixel is merged (see Lay), so
// the document's size depends on the width, not on how many events the
// timelines hold: at most about 100 KB a panel of two threads at the
// default width, and a few KB for the battle's. Write reads p only, and
// is safe to call from several goroutines at once.
func Write(w io.Writer, p Picture) error {
	if len(p.Panels) == 0 {
		return errors.New("lanes: a picture needs at least one panel")
	}
	if p.Window < 0 {
		return fmt.Errorf("lanes: window %v is negative", p.Window)
	}
	width := p.Width
	if width == 0 {
		width = DefaultWidth
	}
	window := p.Window
	if window == 0 {
		longest := time.Duration(0)
		for _, pn := range p.Panels {
			longest = max(longest, duration(pn.Timeline))
		}
		window = DefaultWindow
		if longest > 0 {
			window = min(window, longest)
		}
	}
	// The left margin holds the lane labels.
	labelLen := len("switches")
	for _, pn := range p.Panels {
		for _, e := range pn.Timeline.Events {
			labelLen = max(labelLen, len(e.Thread))
		}
	}
	left := min(16+charWidth*labelLen, maxLeft)
	cols := width - left - right
	if cols < 100 {
		return fmt.Errorf("lanes: width %d is too narrow for the lanes: at least %d pixels", width, left+right+100)
	}

	// A thread has the same colour and place in every panel, and in every
	// run: threads are ordered by name.
	layouts := make([]Layout, len(p.Panels))
	var threads []string
	for i, pn := range p.Panels {
		layouts[i] = Lay(pn.Timeline, window, cols)
		for _, ln := range layouts[i].Lanes {
			threads = append(threads, ln.Thread)
		}
		slices.SortFunc(layouts[i].Lanes, func(a, b Lane) int { return strings.Compare(a.Thread, b.Thread) })
	}
	slices.Sort(threads)
	threads = slices.Compact(threads)
	order := map[string]int{}
	for i, t := range threads {
		order[t] = i
	}

	var body bytes.Buffer
	d := &drawing{b: &body, left: left, cols: cols}
	y := 0
	if p.Title != "" {
		y += 26
		d.text(16, y, "title", `font-size="17" font-weight="bold"`, p.Title)
	}
	if p.Caption != "" {
		for _, line := range wrap(p.Caption, (width-32)/charWidth) {
			y += 17
			d.text(16, y, "caption", `fill="#444"`, line)
		}
	}
	y = d.legend(y + 14)
	step := tickStep(window)
	for i, pn := range p.Panels {
		y = d.panel(y+12, pn, layouts[i], order, window, step)
	}
	y += 22
	d.text(left+cols/2, y, "axis-title", `text-anchor="middle"`, "time since each lock's first event (ms)")
	height := y + 12

	var out bytes.Buffer
	fmt.Fprintf(&out, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	out.WriteString("<defs>\n")
	for i, c := range palette {
		fmt.Fprintf(&out, `<pattern id="wait-%d" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="%s"/><rect width="2" height="6" fill="%s" fill-opacity="0.6"/></pattern>`+"\n", i, c.light, c.solid)
	}
	out.WriteString("</defs>\n")
	fmt.Fprintf(&out, `<rect width="%d" height="%d" fill="white"/>`+"\n", width, height)
	body.WriteTo(&out)
	out.WriteString("</svg>\n")
	_, err := out.WriteTo(w)
	return err
}

// duration is the time from tl's first event to its last.
func duration(tl gil.Timeline) time.Duration {
	if len(tl.Events) == 0 {
		return 0
	}
	return tl.Events[len(tl.Events)-1].Time.Sub(tl.Events[0].Time)
}

// drawing writes the elements of a picture's body.
type drawing struct {
	b    *bytes.Buffer
	left int // x of the lanes' column 0
	cols int // the lanes' width, one column a pixel
}

// text writes a <text> element at x, y with the given class and extra
// attributes (written as they are: constants only), its content escaped.
func (d *drawing) text(x, y int, class, attrs, s string) {
	fmt.Fprintf(d.b, `<text x="%d" y="%d" class="%s"`, x, y, class)
	if attrs != "" {
		d.b.WriteString(" " + attrs)
	}
	d.b.WriteString(">")
	xml.EscapeText(d.b, []byte(s))
	d.b.WriteString("</text>\n")
}

// legend draws the legend's row with its top at y and returns the y under
// it.
func (d *drawing) legend(y int) int {
	x := 16
	d.b.WriteString(`<g class="legend">` + "\n")
	item := func(swatch, label string) {
		d.b.WriteString(swatch)
		d.text(x+20, y+11, "legend-label", "", label)
		x += 20 + charWidth*len(label) + 18
	}
	item(fmt.Sprintf(`<rect x="%d" y="%d" width="14" height="12" fill="%s"/>`, x, y+1, palette[0].solid), "holds the lock")
	item(fmt.Sprintf(`<rect x="%d" y="%d" width="14" height="12" fill="url(#wait-0)"/>`, x, y+1), "waits for it")
	item(fmt.Sprintf(`<path d="M%d %dh8l-4 6z" fill="#111"/>`, x+3, y+3), "asks the holder to drop it")
	item(fmt.Sprintf(`<path d="M%d %dv12" stroke="#333"/>`, x+7, y+1), "a switch: the lock changes hands")
	d.b.WriteString("</g>\n")
	return y + 16
}

// panel draws one panel with its top at y and returns the y under it.
func (d *drawing) panel(y int, pn Panel, l Layout, order map[string]int, window, step time.Duration) int {
	tl := pn.Timeline
	fmt.Fprintf(d.b, `<g class="panel" data-lock="%s">`+"\n", attr(pn.Name))
	heading := fmt.Sprintf("%d switches in %s", tl.Switches(), fmtMS(duration(tl)))
	if duration(tl) > window {
		heading += ", the first " + fmtMS(window) + " shown"
	}
	if tl.Omitted > 0 {
		heading += fmt.Sprintf("; %d later events were not kept", tl.Omitted)
	}
	if len(tl.Events) == 0 {
		heading = "no events"
	}
	y += 14
	fmt.Fprintf(d.b, `<text x="16" y="%d" class="panel-title"><tspan font-weight="bold">`, y)
	xml.EscapeText(d.b, []byte(pn.Name))
	d.b.WriteString("</tspan>")
	xml.EscapeText(d.b, []byte(" · "+heading))
	d.b.WriteString("</text>\n")
	y += 10

	top := y
	lanesH := len(l.Lanes)*(laneH+laneGap) + switchH
	// Grid lines at the ticks, behind everything.
	var grid strings.Builder
	for t := time.Duration(0); t <= window; t += step {
		fmt.Fprintf(&grid, "M%.1f %dv%d", d.x(t, window), top, lanesH)
	}
	fmt.Fprintf(d.b, `<path class="grid" d="%s" stroke="#ddd"/>`+"\n", grid.String())

	for _, ln := range l.Lanes {
		c := order[ln.Thread] % len(palette)
		fmt.Fprintf(d.b, `<g class="lane" data-thread="%s">`+"\n", attr(ln.Thread))
		fmt.Fprintf(d.b, "<title>%s: holds the lock in %d stretches, waits in %d, asks for a drop %d times (merged to the pixel)</title>\n",
			esc(ln.Thread), len(ln.Holds), len(ln.Waits), len(ln.Requests))
		d.text(d.left-8, y+13, "lane-label", `text-anchor="end"`, ln.Thread)
		fmt.Fprintf(d.b, `<rect x="%d" y="%d" width="%d" height="%d" fill="#f4f4f4"/>`+"\n", d.left, y, d.cols, laneH)
		fmt.Fprintf(d.b, `<g class="waits" fill="url(#wait-%d)">`, c)
		d.runs(ln.Waits, y+3, laneH-6)
		d.b.WriteString("</g>\n")
		fmt.Fprintf(d.b, `<g class="holds" fill="%s">`, palette[c].solid)
		d.runs(ln.Holds, y, laneH)
		d.b.WriteString("</g>\n")
		if len(ln.Requests) > 0 {
			var marks strings.Builder
			for _, col := range ln.Requests {
				fmt.Fprintf(&marks, "M%d.5 %dh8l-4 6z", d.left+col-4, y-3)
			}
			fmt.Fprintf(d.b, `<path class="requests" d="%s" fill="#111"/>`+"\n", marks.String())
		}
		d.b.WriteString("</g>\n")
		y += laneH + laneGap
	}

	d.text(d.left-8, y+9, "lane-label", `text-anchor="end" fill="#555"`, "switches")
	var ticks strings.Builder
	for _, col := range l.Switches {
		fmt.Fprintf(&ticks, "M%d.5 %dv%d", d.left+col, y, switchH)
	}
	fmt.Fprintf(d.b, `<path class="switches" d="%s" stroke="#333"/>`+"\n", ticks.String())
	y += switchH

	if l.Ends < l.Columns && len(tl.Events) > 0 {
		x := d.left + l.Ends
		fmt.Fprintf(d.b, `<path class="end" d="M%d.5 %dv%d" stroke="#999" stroke-dasharray="3 2"/>`+"\n", x, top-4, y-top+4)
		d.text(x+4, top+8, "end", `fill="#777" font-size="10"`, "timeline ends")
	}

	// The axis.
	y += 4
	var axis strings.Builder
	fmt.Fprintf(&axis, "M%d %dh%d", d.left, y, d.cols)
	for t := time.Duration(0); t <= window; t += step {
		fmt.Fprintf(&axis, "M%.1f %dv4", d.x(t, window), y)
	}
	fmt.Fprintf(d.b, `<path class="axis" d="%s" stroke="#333"/>`+"\n", axis.String())
	for t := time.Duration(0); t <= window; t += step {
		d.text(int(math.Round(d.x(t, window))), y+16, "tick", `text-anchor="middle"`, strconv.FormatFloat(float64(t)/1e6, 'f', -1, 64))
	}
	d.b.WriteString("</g>\n")
	return y + 18
}

// x is the x coordinate of time t since the first event.
func (d *drawing) x(t, window time.Duration) float64 {
	return float64(d.left) + float64(t)/float64(window)*float64(d.cols)
}

// runs writes a rect per run, from y, h high.
func (d *drawing) runs(runs []Run, y, h int) {
	for _, r := range runs {
		fmt.Fprintf(d.b, `<rect x="%d" y="%d" width="%d" height="%d"/>`, d.left+r.From, y, r.To-r.From, h)
	}
}

// tickStep is the axis's step for a window: 1, 2 or 5 times a power of
// ten, for four to ten ticks.
func tickStep(window time.Duration) time.Duration {
	raw := float64(window) / 8
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if s := time.Duration(math.Round(m * mag)); float64(s) >= raw {
			return max(s, 1)
		}
	}
	return max(time.Duration(10*mag), 1)
}

// fmtMS shows d in milliseconds to three significant digits: "812 ms",
// "5 ms", "0.05 ms"; under 10 µs, in microseconds.
func fmtMS(d time.Duration) string {
	ms := float64(d) / 1e6
	if ms < 0.01 {
		return strconv.FormatFloat(ms*1000, 'g', 3, 64) + " µs"
	}
	if ms >= 100 {
		return strconv.FormatFloat(math.Round(ms), 'f', -1, 64) + " ms"
	}
	return strconv.FormatFloat(ms, 'g', 3, 64) + " ms"
}

// wrap splits s into lines of at most n characters, at spaces.
func wrap(s string, n int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		if line != "" && len(line)+1+len(word) > n {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

// esc escapes s for an element's content.
func esc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// attr escapes s for an attribute's value in double quotes (EscapeText
// escapes the quote too).
func attr(s string) string { return esc(s) }
