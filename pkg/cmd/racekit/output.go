package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/language"

	"github.com/racekit/racekit/pkg/internal/i18n"
)

// printer writes racekit's output, in colour only when it goes to a
// terminal and NO_COLOR (https://no-color.org) is unset or empty, and in
// the language the learner asked for (see i18n).
type printer struct {
	w     io.Writer
	color bool
	lang  language.Tag // the zero Tag (und) prints English
}

// newPrinter returns a printer for w that speaks lang.
func newPrinter(w io.Writer, lang language.Tag) *printer {
	return &printer{w: w, color: isTerminal(w) && os.Getenv("NO_COLOR") == "", lang: lang}
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

// printf writes formatted text, format translated into the printer's
// language when the catalogue has it (i18n.Sprintf).
func (p *printer) printf(format string, args ...any) { io.WriteString(p.w, p.tr(format, args...)) }

// text is s in the printer's language (i18n.Text): for a title or a
// status, which is not a format string.
func (p *printer) text(s string) string { return i18n.Text(p.lang, s) }

// tr formats format with args in the printer's language, as printf does.
func (p *printer) tr(format string, args ...any) string {
	if p.lang == language.Und {
		return fmt.Sprintf(format, args...)
	}
	return i18n.Sprintf(p.lang, format, args...)
}

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
