package testrun

import (
	"fmt"
	"unicode/utf8"
)

// DefaultOutputLimit is how many bytes of a process's output are kept when
// Options.OutputLimit or Build.OutputLimit is zero: the first half and the
// last half. A lesson's failing run prints a few tens of kilobytes.
const DefaultOutputLimit = 1 << 20

// capture is an io.Writer that keeps the first and the last limit/2 bytes
// written to it and counts the rest, so that a process that prints without
// end costs a bounded amount of memory. The zero value keeps nothing; it
// is not safe for concurrent use (exec.Cmd writes a shared Stdout and
// Stderr from one goroutine).
type capture struct {
	limit   int
	head    []byte
	tail    []byte // the last bytes written after head filled, at most 2*(limit/2)
	dropped int64  // bytes written that are in neither head nor tail
}

// newCapture returns a capture keeping limit bytes, or DefaultOutputLimit
// when limit is zero or less.
func newCapture(limit int) *capture {
	if limit <= 0 {
		limit = DefaultOutputLimit
	}
	return &capture{limit: limit}
}

// Write keeps what fits in head, then the latest bytes in tail.
func (c *capture) Write(p []byte) (int, error) {
	n := len(p)
	if room := c.limit/2 - len(c.head); room > 0 {
		k := min(room, len(p))
		c.head = append(c.head, p[:k]...)
		p = p[k:]
	}
	keep := c.limit - c.limit/2
	if len(p) > keep {
		c.dropped += int64(len(c.tail) + len(p) - keep)
		c.tail = append(c.tail[:0], p[len(p)-keep:]...)
		return n, nil
	}
	c.tail = append(c.tail, p...)
	if over := len(c.tail) - keep; over > 0 && len(c.tail) >= 2*keep {
		c.dropped += int64(over)
		c.tail = append(c.tail[:0], c.tail[over:]...)
	}
	return n, nil
}

// String is everything kept: all of it when nothing was dropped, else the
// head, a line saying how many bytes were left out, and the tail (from its
// first whole character).
func (c *capture) String() string {
	keep := c.limit - c.limit/2
	tail := c.tail
	if over := len(tail) - keep; over > 0 {
		c.dropped += int64(over)
		tail = tail[over:]
		c.tail = tail
	}
	if c.dropped == 0 {
		return string(c.head) + string(tail)
	}
	for i := 0; i < len(tail) && i < utf8.UTFMax && !utf8.RuneStart(tail[0]); i++ {
		tail = tail[1:]
	}
	return fmt.Sprintf("%s\n... (%d bytes of output left out) ...\n%s", c.head, c.dropped, tail)
}
