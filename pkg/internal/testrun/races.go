package testrun

import (
	"fmt"
	"path/filepath"
	"strings"
)

// raceBanner starts every report of Go's race detector.
const raceBanner = "WARNING: DATA RACE"

// Race is one report of the race detector: the access that raced and the
// earlier one it raced with (and where their goroutines were created).
type Race struct {
	Accesses []Stack // "Write at ... by goroutine 9:", "Previous read at ... by goroutine 8:", ...
	Text     string  // the report as printed, between its ===== lines
}

// HasRace reports whether output holds a race detector report.
func HasRace(output string) bool { return strings.Contains(output, raceBanner) }

// ParseRaces reads every race detector report in output, in order.
func ParseRaces(output string) []Race {
	var out []Race
	parts := strings.Split(output, raceBanner)
	for _, part := range parts[1:] {
		if end := strings.Index(part, "\n=================="); end >= 0 {
			part = part[:end]
		}
		r := Race{Text: raceBanner + part}
		for _, s := range ParseStacks(part) {
			h := strings.ToLower(s.Header)
			if strings.Contains(h, " at 0x") || strings.HasPrefix(h, "goroutine") {
				r.Accesses = append(r.Accesses, s)
			}
		}
		out = append(out, r)
	}
	return out
}

// Short is the race in the learner's terms: each access ("write by
// goroutine 9", "previous read by goroutine 8") with only the frames in dir, as
// "file.go:28 (*Object).IncRef" with paths relative to dir. Accesses with no
// frame in dir are left out; a race with none at all keeps its first frames.
func (r Race) Short(dir string) string {
	var b strings.Builder
	for _, a := range r.Accesses {
		if strings.HasPrefix(a.Header, "Goroutine") {
			continue // where the goroutines started says little the accesses don't
		}
		frames := a.In(dir)
		if len(frames) == 0 {
			continue
		}
		fmt.Fprintf(&b, "%s\n", accessName(a.Header))
		for _, f := range frames {
			rel, _ := filepath.Rel(dir, f.File)
			fmt.Fprintf(&b, "    %s:%d  %s\n", rel, f.Line, f.Where())
		}
	}
	if b.Len() == 0 && len(r.Accesses) > 0 {
		a := r.Accesses[0]
		fmt.Fprintf(&b, "%s\n", accessName(a.Header))
		for _, f := range a.Frames[:min(3, len(a.Frames))] {
			fmt.Fprintf(&b, "    %s:%d  %s\n", f.File, f.Line, f.ShortFunc())
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// accessName turns "Previous write at 0x00c0000162b0 by goroutine 316:"
// into "previous write by goroutine 316", and "Goroutine 316 (running)
// created at:" into "goroutine 316 was started".
func accessName(header string) string {
	h := strings.TrimSuffix(header, ":")
	if strings.HasPrefix(h, "Goroutine") {
		n, _, _ := strings.Cut(strings.TrimPrefix(h, "Goroutine "), " ")
		return "goroutine " + n + " was started"
	}
	what, by, _ := strings.Cut(h, " at 0x")
	if _, g, ok := strings.Cut(by, " by "); ok {
		return strings.ToLower(what) + " by " + g
	}
	return strings.ToLower(what)
}
