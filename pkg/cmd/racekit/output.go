package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode"
)

// printer writes racekit's output, in colour only when it goes to a
// terminal and NO_COLOR (https://no-color.org) is unset or empty.
type printer struct {
	w     io.Writer
	color bool
}

// newPrinter returns a printer for w.
func newPrinter(w io.Writer) *printer {
	return &printer{w: w, color: isTerminal(w) && os.Getenv("NO_COLOR") == ""}
}

// isTerminal reports whether w is a character device, such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// Write makes a printer an io.Writer.
func (p *printer) Write(b []byte) (int, error) { return p.w.Write(b) }

// printf writes formatted text.
func (p *printer) printf(format string, args ...any) { fmt.Fprintf(p.w, format, args...) }

// println writes its arguments and a newline.
func (p *printer) println(args ...any) { fmt.Fprintln(p.w, args...) }

// ANSI styles.
const (
	bold   = "1"
	dim    = "2"
	red    = "31"
	green  = "32"
	yellow = "33"
	cyan   = "36"
)

// paint returns s in the given style when the printer uses colour, and s
// unchanged otherwise.
func (p *printer) paint(style, s string) string {
	if !p.color || s == "" {
		return s
	}
	return "\x1b[" + style + "m" + s + "\x1b[0m"
}

// printable returns s with every control character but the line break and
// the tab, and every bidirectional override, written as a Go escape
// ("\x1b", "\u202e"), so that text from a submission (a panic message, a
// file name) cannot move the cursor, erase or recolour a line, or reorder
// what a terminal shows.
func printable(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r != '\n' && r != '\t' && (unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r)) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
