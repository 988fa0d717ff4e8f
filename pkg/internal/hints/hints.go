// Package hints reads a lesson's HINTS.md: a title line, a short intro,
// then one "## Hint N" section per hint, numbered 1, 2, 3 in order, each
// revealing more than the one before. racekit hint shows them one at a
// time.
//
// Everything here is a pure function of its input and safe for concurrent
// use.
package hints

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// FileName is the name of a lesson's hints file, and KoreanFileName of its
// Korean translation, whose headings are "## 힌트 N".
const (
	FileName       = "HINTS.md"
	KoreanFileName = "HINTS.ko.md"
)

// Hint is one hint of a lesson. The zero value is no hint (number 0, empty
// body).
type Hint struct {
	Number int    // its place among the lesson's hints, from 1
	Line   int    // the line of its "## Hint N" heading in the file, from 1
	Body   string // the markdown below the heading, without surrounding blank lines
}

// hintHeading is a second-level heading that names a hint. The number is
// checked separately, so that "## Hint two" gets its own message.
var hintHeading = regexp.MustCompile(`^##\s+(?:Hint\b|힌트)\s*(.*?)\s*#*\s*$`)

// Parse reads the text of a hints file and returns its hints in order.
// name is what errors call the file ("lessons/01-lost-update/HINTS.md").
//
// Text before the first "## Hint 1" is the title and intro, and is left
// out. A hint runs to the next second-level heading or the end of the file;
// lines inside ``` or ~~~ code fences are never headings. Parse returns an
// error naming the line when a second-level heading is not "## Hint N",
// when the numbers do not run 1, 2, 3 in order, or when a hint is empty,
// and an error when the file has no hints at all.
func Parse(name string, data []byte) ([]Hint, error) {
	var (
		out   []Hint
		body  []string
		fence string // the fence that opened the code block we are in, or ""
	)
	flush := func() error {
		if len(out) == 0 {
			return nil
		}
		h := &out[len(out)-1]
		h.Body = strings.Trim(strings.Join(body, "\n"), "\n")
		if strings.TrimSpace(h.Body) == "" {
			return fmt.Errorf("hints: %s line %d: hint %d is empty; write the hint below its heading", name, h.Line, h.Number)
		}
		return nil
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		trimmed := strings.TrimSpace(line)
		switch {
		case fence != "":
			if strings.HasPrefix(trimmed, fence) && strings.Trim(trimmed, fence[:1]) == "" {
				fence = ""
			}
		case strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~"):
			fence = trimmed[:3]
		case strings.HasPrefix(line, "## ") || line == "##":
			m := hintHeading.FindStringSubmatch(line)
			if m == nil {
				return nil, fmt.Errorf("hints: %s line %d: %q is not a hint heading; every second-level heading must read \"## Hint %d\"", name, n, line, len(out)+1)
			}
			num, err := strconv.Atoi(m[1])
			if err != nil || num < 1 {
				return nil, fmt.Errorf("hints: %s line %d: %q does not number its hint; write \"## Hint %d\"", name, n, line, len(out)+1)
			}
			if want := len(out) + 1; num != want {
				return nil, fmt.Errorf("hints: %s line %d: hint %d comes where hint %d should; number the hints 1, 2, 3 in order", name, n, num, want)
			}
			if err := flush(); err != nil {
				return nil, err
			}
			out = append(out, Hint{Number: num, Line: n})
			body = body[:0]
			continue
		}
		if len(out) > 0 {
			body = append(body, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("hints: %s: %w", name, err)
	}
	if err := flush(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("hints: %s has no hints; start each with a \"## Hint 1\", \"## Hint 2\" ... heading", name)
	}
	return out, nil
}

// Load reads and parses the hints file at path; errors name the file by
// path.
func Load(path string) ([]Hint, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("hints: %w", err)
	}
	return Parse(path, data)
}
