package lab

import (
	"bytes"
	"fmt"
	"image/color"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Runtime colours: the VM's, then CPython's, as the lanes colour threads.
var runtimeColour = map[string]color.Color{
	VM:      color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff},
	CPython: color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff},
}

// runtimeName is how a chart's legend names a runtime.
var runtimeName = map[string]string{VM: "the kit's VM", CPython: "CPython"}

// A chart's measures: the bars' thickness and the room a row takes (its
// label above its bar), in points.
const (
	barWidth  = vg.Length(12)
	rowHeight = vg.Length(34)
	slack     = vg.Length(36)
)

// chartKind is what a chart draws for each row, and its axis label.
type chartKind struct {
	axis  string
	value func(Row) (v float64, label string)
	// seeds is true when the seed's ratio is a value on the same axis.
	seeds bool
}

// chartOf returns what to chart for rows: the fraction of updates lost
// when any row counts them (lost-updates; only those rows are drawn), and
// otherwise each row's time as its ratio to its baseline, in "×".
func chartOf(rows []Row) (chartKind, []Row) {
	var counting []Row
	for _, r := range rows {
		if r.Of > 0 {
			counting = append(counting, r)
		}
	}
	if len(counting) > 0 {
		return chartKind{
			axis: "updates lost, % of those made",
			value: func(r Row) (float64, string) {
				pct := 100 * float64(r.Lost) / float64(r.Of)
				return pct, fmt.Sprintf("%.1f%% (%s)", pct, r.LostOf())
			},
		}, counting
	}
	return chartKind{
		axis:  ratioAxis(rows),
		value: func(r Row) (float64, string) { return r.Ratio, fmt.Sprintf("%.2f×", r.Ratio) },
		seeds: true,
	}, rows
}

// ratioAxis is the label of a ratio chart's axis: what the ratios are to,
// the rows whose ratio is 1; named when there is one, said to be each
// group's first when there are several.
func ratioAxis(rows []Row) string {
	var bases []string
	for _, r := range rows {
		if r.Ratio == 1 && !slices.Contains(bases, r.Label) {
			bases = append(bases, r.Label)
		}
	}
	switch len(bases) {
	case 0:
		return "time, × its baseline's"
	case 1:
		return "time, × the time of “" + bases[0] + "”"
	}
	return "time, × its group's baseline (each group's first row, at 1.00×)"
}

// chartPicture draws res's rows as a horizontal bar chart, a bar per row,
// top to bottom: rows with the same label one under the other (the VM's,
// then CPython's), labels in the order the rows first give them. Each bar
// has its row's label above it and its value, with the seed's where there
// is one, at the right end of its row.
func chartPicture(x Experiment, res Result) ([]byte, error) {
	kind, rows := chartOf(res.Rows)
	if len(rows) == 0 {
		return nil, fmt.Errorf("lab: the %s picture: no rows to chart", x.Name)
	}
	var labels []string
	for _, r := range rows {
		if !slices.Contains(labels, r.Label) {
			labels = append(labels, r.Label)
		}
	}
	rows = slices.Clone(rows)
	slices.SortStableFunc(rows, func(a, b Row) int { return slices.Index(labels, a.Label) - slices.Index(labels, b.Label) })
	n := len(rows)

	p := plot.New()
	p.Title.Text = title(x)
	p.X.Label.Text = kind.axis
	p.HideY()
	p.Legend.Top = true
	for _, s := range []*text.Style{&p.Title.TextStyle, &p.X.Label.TextStyle, &p.X.Tick.Label, &p.Legend.TextStyle} {
		s.Font.Variant = "Sans"
	}
	p.Add(&plotter.Grid{Vertical: draw.LineStyle{Color: color.Gray{Y: 0xdd}, Width: vg.Points(0.5)}})

	largest := 0.0
	var names, values plotter.XYLabels
	var seedXYs plotter.XYs
	legend := map[string]bool{}
	for i, r := range rows {
		y := float64(n - 1 - i) // the first row on top
		v, label := kind.value(r)
		largest = max(largest, v)
		bar, err := plotter.NewBarChart(plotter.Values{v}, barWidth)
		if err != nil {
			return nil, fmt.Errorf("lab: the %s picture: %w", x.Name, err)
		}
		bar.Horizontal = true
		bar.XMin = y
		bar.Color = runtimeColour[r.Runtime]
		if bar.Color == nil {
			bar.Color = color.Gray{Y: 0x80}
		}
		bar.LineStyle.Width = 0
		p.Add(bar)
		if !legend[r.Runtime] {
			legend[r.Runtime] = true
			name := runtimeName[r.Runtime]
			if name == "" {
				name = r.Runtime
			}
			p.Legend.Add(name, bar)
		}
		names.XYs = append(names.XYs, plotter.XY{X: 0, Y: y + 0.25})
		names.Labels = append(names.Labels, r.Label+" ("+r.Runtime+")")
		if kind.seeds && r.SeedRatio > 0 {
			largest = max(largest, r.SeedRatio)
			seedXYs = append(seedXYs, plotter.XY{X: r.SeedRatio, Y: y})
			label += fmt.Sprintf(" (seed: %.2f×)", r.SeedRatio)
		}
		values.XYs = append(values.XYs, plotter.XY{Y: y})
		values.Labels = append(values.Labels, label)
	}
	if largest <= 0 {
		largest = 1
	}
	p.X.Min, p.X.Max = 0, largest*1.45
	for i := range values.XYs {
		values.XYs[i].X = p.X.Max
	}
	legendRows := len(legend)
	if len(seedXYs) > 0 {
		legendRows++
	}
	p.Y.Min, p.Y.Max = -0.6, float64(n)-0.4+0.45*float64(legendRows)

	for _, l := range []struct {
		xy     plotter.XYLabels
		xAlign text.XAlignment
		yAlign text.YAlignment
	}{{names, text.XLeft, text.YBottom}, {values, text.XRight, text.YCenter}} {
		labels, err := plotter.NewLabels(l.xy)
		if err != nil {
			return nil, fmt.Errorf("lab: the %s picture: %w", x.Name, err)
		}
		for i := range labels.TextStyle {
			labels.TextStyle[i].XAlign, labels.TextStyle[i].YAlign = l.xAlign, l.yAlign
			labels.TextStyle[i].Font.Variant = "Sans"
		}
		p.Add(labels)
	}
	if len(seedXYs) > 0 {
		seed, err := plotter.NewScatter(seedXYs)
		if err != nil {
			return nil, fmt.Errorf("lab: the %s picture: %w", x.Name, err)
		}
		seed.GlyphStyle = draw.GlyphStyle{Color: color.Black, Radius: vg.Points(4), Shape: draw.CrossGlyph{}}
		p.Add(seed)
		p.Legend.Add("the seed's ratio ("+x.Source+")", seed)
	}

	height := vg.Inch + (vg.Length(n)+0.45*vg.Length(legendRows))*rowHeight
	c := vgsvg.New(9*vg.Inch, height)
	// Room at the right and the top for text in a font wider than the one
	// gonum/plot measured it with.
	p.Draw(draw.Crop(draw.New(c), 0, -slack, 0, -slack/3))
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return nil, fmt.Errorf("lab: the %s picture: %w", x.Name, err)
	}
	return withFallbackFonts(b.Bytes()), nil
}

// withFallbackFonts names fonts to fall back on after the Liberation fonts
// gonum/plot lays text out with, so that a viewer without them picks one of
// the same widths (Liberation Sans is metric-compatible with Arial) rather
// than its default font.
func withFallbackFonts(svg []byte) []byte {
	return bytes.ReplaceAll(svg, []byte("font-family:Liberation Sans;"), []byte("font-family:'Liberation Sans',Arial,Helvetica,sans-serif;"))
}
