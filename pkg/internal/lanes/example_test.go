package lanes_test

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/racekit/racekit/pkg/gil"
	"github.com/racekit/racekit/pkg/internal/lanes"
)

// The new GIL's hand-off, laid out one column a millisecond: B waits, asks
// A to drop the lock at 5 ms, and holds it from 6 ms to 7 ms; A waits
// meanwhile and takes it back. Write draws these lanes as SVG.
func Example() {
	t0 := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	tl := gil.Timeline{Events: []gil.Event{
		{Seq: 1, Time: at(0), Thread: "A", Kind: gil.Acquired},
		{Seq: 2, Time: at(0), Thread: "B", Kind: gil.Waiting, Other: "A"},
		{Seq: 3, Time: at(5), Thread: "B", Kind: gil.Requested, Other: "A"},
		{Seq: 4, Time: at(6), Thread: "A", Kind: gil.Released, OnRequest: true},
		{Seq: 5, Time: at(6), Thread: "A", Kind: gil.AwaitingSwitch},
		{Seq: 6, Time: at(6), Thread: "B", Kind: gil.Acquired, Other: "A"},
		{Seq: 7, Time: at(6), Thread: "A", Kind: gil.Waiting, Other: "B"},
		{Seq: 8, Time: at(7), Thread: "B", Kind: gil.Released},
		{Seq: 9, Time: at(7), Thread: "A", Kind: gil.Acquired, Other: "B"},
		{Seq: 10, Time: at(11), Thread: "A", Kind: gil.Released},
	}}
	l := lanes.Lay(tl, 12*time.Millisecond, 12)
	for _, ln := range l.Lanes {
		fmt.Println(ln)
	}
	fmt.Println("switches at", l.Switches)

	var svg bytes.Buffer
	err := lanes.Write(&svg, lanes.Picture{
		Title:  "the new GIL's hand-off",
		Panels: []lanes.Panel{{Name: "new GIL", Timeline: tl}},
	})
	fmt.Println(err, strings.HasPrefix(svg.String(), "<svg"))
	// Output:
	// A  holds 0-6 7-11  waits 6-7
	// B  holds 6-7  waits 0-6  asks for a drop at 5
	// switches at [6 7]
	// <nil> true
}
