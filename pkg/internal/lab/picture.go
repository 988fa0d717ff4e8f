package lab

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/racekit/racekit/pkg/internal/lanes"
)

// Picture returns an SVG document that shows what x measured in res, for
// racekit lab --svg. For an experiment that recorded lock timelines (the
// battle) it is their lanes, one panel per lock (see package lanes), under
// the experiment's name and its reading. For the others it is a bar chart
// drawn with gonum/plot: a horizontal bar per row, coloured by runtime, its
// length the row's ratio to its baseline with the seed's ratio marked where
// there is one, or, for rows that count lost updates, the fraction lost.
// It fails only for a result it cannot draw: no rows and no timelines.
func Picture(x Experiment, res Result) ([]byte, error) {
	if len(res.Timelines) > 0 {
		return lanesPicture(x, res)
	}
	return chartPicture(x, res)
}

// title is a picture's heading: the experiment and where it comes from.
func title(x Experiment) string {
	return fmt.Sprintf("racekit lab %s (%s)", x.Name, x.Source)
}

// lanesPicture draws res's timelines in the order the rows name them
// (battle: "old GIL" before "new GIL"), any the rows do not name after
// them, by name.
func lanesPicture(x Experiment, res Result) ([]byte, error) {
	names := make([]string, 0, len(res.Timelines))
	for name := range res.Timelines {
		names = append(names, name)
	}
	first := func(name string) int {
		for i, r := range res.Rows {
			if strings.HasPrefix(r.Label, name) {
				return i
			}
		}
		return len(res.Rows)
	}
	slices.SortFunc(names, func(a, b string) int {
		if fa, fb := first(a), first(b); fa != fb {
			return fa - fb
		}
		return strings.Compare(a, b)
	})
	p := lanes.Picture{Title: title(x), Caption: res.Reading}
	for _, name := range names {
		p.Panels = append(p.Panels, lanes.Panel{Name: name, Timeline: res.Timelines[name]})
	}
	var b bytes.Buffer
	if err := lanes.Write(&b, p); err != nil {
		return nil, fmt.Errorf("lab: the %s picture: %w", x.Name, err)
	}
	return b.Bytes(), nil
}
