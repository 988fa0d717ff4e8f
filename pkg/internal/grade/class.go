package grade

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/racekit/racekit/pkg/internal/course"
)

// A Learner is one learner's checkout in a class folder, and its grade.
type Learner struct {
	Name   string // the folder's name in the class folder: "alice"
	Dir    string // the folder
	Result Result // the grade, as for one submission
}

// Class is a whole class's grades. The zero value is an empty class.
type Class struct {
	// Lessons are the lessons graded, in the order of every learner's
	// Result.Lessons.
	Lessons []course.Lesson
	// Learners are the learners graded, in the order of their names.
	Learners []Learner
	// Built counts the lessons whose code was built and run; Reused those
	// that took the verdict of an identical lesson graded before
	// (Lesson.Reused); TurnedAway those refused before a build (a missing
	// folder, a link, a file too big, a rule broken).
	Built, Reused, TurnedAway int
}

// ClassFolders lists the learners of the class folder dir: every folder in
// it whose name does not start with "." or "_", sorted by name. Anything
// else in dir (a file, a link, a hidden folder) is left out, and skipped
// says what and why, a line each; a folder without a lessons/ folder is
// listed, and graded (every lesson an error that says the folder is
// missing), and skipped has a line for it too. It is an error for dir to
// hold no learner folder.
func ClassFolders(dir string) (learners, skipped []string, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("grade: the class folder: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		switch {
		case strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_"):
			continue
		case e.Type()&os.ModeSymlink != 0:
			skipped = append(skipped, fmt.Sprintf("%s: a link, not a folder; copy or clone the learner's checkout into the class folder", name))
		case !e.IsDir():
			skipped = append(skipped, fmt.Sprintf("%s: not a folder", name))
		default:
			learners = append(learners, name)
			if st, err := os.Lstat(filepath.Join(dir, name, "lessons")); err != nil || !st.IsDir() {
				skipped = append(skipped, fmt.Sprintf("%s: no lessons/ folder (is it a racekit checkout?); every lesson is graded an error", name))
			}
		}
	}
	if len(learners) == 0 {
		return nil, skipped, fmt.Errorf("grade: the class folder %s holds no learner folder: put each learner's racekit checkout in a folder of its own there", dir)
	}
	return learners, skipped, nil
}

// GradeClass grades the learners named (folders of the class folder dir,
// as ClassFolders lists them) one after the other, each as Grade grades one
// submission, weighed by points when it is not nil. Every lesson whose
// exercise files are byte for byte those of a lesson graded before in the
// class is not built and run again but takes that verdict (through g's
// Verdicts, or one of its own when g has none), and its message says whose
// it is; an untouched starter's says so. learned, when not nil, is called
// with each learner once graded, in order, from the calling goroutine.
// Like Grade, GradeClass returns an error only when grading itself cannot
// go on.
func (g Grader) GradeClass(ctx context.Context, dir string, learners []string, lessons []course.Lesson, points Points, learned func(Learner)) (Class, error) {
	if g.Verdicts == nil {
		g.Verdicts = &Verdicts{}
	}
	c := Class{Lessons: lessons}
	// The code of each lesson's untouched starter, and who was first to
	// hand in each lesson's code (with the same notes), to say in a
	// reused verdict's message whose it is.
	starters := map[string]string{}
	for _, l := range lessons {
		if code, err := course.Fingerprint(course.ExerciseFiles, l.StarterDir(g.Kit)); err == nil {
			starters[l.Dir()] = code
		}
	}
	first := map[string]string{}
	for _, name := range learners {
		sub := filepath.Join(dir, name)
		r, err := g.Grade(ctx, sub, lessons)
		if err != nil {
			return c, err
		}
		if points != nil {
			r = r.Weigh(points)
		}
		for i := range r.Lessons {
			l := &r.Lessons[i]
			if l.Code == "" {
				c.TurnedAway++ // before its code was read: nothing to reuse
				continue
			}
			key := g.verdictKey(*l)
			l.Untouched = l.Code == starters[l.Lesson.Dir()]
			if l.Reused {
				c.Reused++
				what, whose := "the same code as", "a lesson graded before"
				if first[key] != "" {
					whose = first[key] + "'s"
				}
				if l.Untouched {
					what = "the untouched starter, like"
				}
				l.Message += fmt.Sprintf("\nnote: %s %s, byte for byte: that verdict was reused, not built and run again", what, whose)
			} else {
				c.Built++
				if _, ok := first[key]; !ok {
					first[key] = name
				}
			}
		}
		lr := Learner{Name: name, Dir: sub, Result: r}
		c.Learners = append(c.Learners, lr)
		if learned != nil {
			learned(lr)
		}
	}
	return c, nil
}

// Passed counts, for each lesson of c, the learners who passed it.
func (c Class) Passed() []int {
	out := make([]int, len(c.Lessons))
	for _, lr := range c.Learners {
		for i, l := range lr.Result.Lessons {
			if l.Status == Pass {
				out[i]++
			}
		}
	}
	return out
}

// WriteClassCSV writes c as CSV for a spreadsheet: a header
// (learner, each lesson's folder, score, max_score, points, max_points),
// then a row per learner with each lesson's status (pass, fail or error)
// and the learner's totals. A learner name that a spreadsheet would read
// as a formula (it starts with =, +, -, @, a tab or a carriage return) is
// written with a ' before it, as OWASP advises for CSV files.
func WriteClassCSV(w io.Writer, c Class) error {
	cw := csv.NewWriter(w)
	header := []string{"learner"}
	for _, l := range c.Lessons {
		header = append(header, l.Dir())
	}
	header = append(header, "score", "max_score", "points", "max_points")
	if err := cw.Write(header); err != nil {
		return fmt.Errorf("grade: %w", err)
	}
	for _, lr := range c.Learners {
		row := []string{noFormula(lr.Name)}
		for _, l := range lr.Result.Lessons {
			row = append(row, string(l.Status))
		}
		r := lr.Result
		row = append(row, strconv.Itoa(r.Score), strconv.Itoa(r.MaxScore), strconv.Itoa(r.Points), strconv.Itoa(r.MaxPoints))
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("grade: %w", err)
		}
	}
	cw.Flush()
	return cw.Error()
}

// noFormula is s with a ' before it when a spreadsheet would take s for a
// formula.
func noFormula(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// WriteClassMarkdown writes c as a markdown table: a row per learner, a
// column per lesson (its number; the lessons' titles follow the table)
// with ✅ pass, ❌ fail, ⚠️ error or ⬜ todo (an untouched starter, which
// fails; see Lesson.Untouched), the learner's lessons and points; a last
// row counts who passed each lesson. Names are escaped as WriteSummary
// escapes a submission's text.
func WriteClassMarkdown(w io.Writer, c Class) error {
	var b strings.Builder
	fmt.Fprintf(&b, "### racekit grade: %d learners, %d lessons each\n\n| Learner |", len(c.Learners), len(c.Lessons))
	for _, l := range c.Lessons {
		fmt.Fprintf(&b, " %02d |", l.Number)
	}
	b.WriteString(" Lessons | Points |\n|---|")
	b.WriteString(strings.Repeat("---|", len(c.Lessons)+2) + "\n")
	for _, lr := range c.Learners {
		fmt.Fprintf(&b, "| %s |", cell(lr.Name))
		for _, l := range lr.Result.Lessons {
			fmt.Fprintf(&b, " %s |", ClassMark(l, true))
		}
		fmt.Fprintf(&b, " %d/%d | %d/%d |\n", lr.Result.Score, lr.Result.MaxScore, lr.Result.Points, lr.Result.MaxPoints)
	}
	b.WriteString("| passed |")
	for _, n := range c.Passed() {
		fmt.Fprintf(&b, " %d |", n)
	}
	b.WriteString(" | |\n\n")
	var titles []string
	for _, l := range c.Lessons {
		titles = append(titles, fmt.Sprintf("%02d %s", l.Number, l.Title))
	}
	fmt.Fprintf(&b, "Lessons: %s. ⬜ todo: the untouched starter (a fail). Lessons built and run: %d; the same code as one graded before, that verdict reused: %d; turned away before a build: %d.\n",
		strings.Join(titles, " · "), c.Built, c.Reused, c.TurnedAway)
	_, err := io.WriteString(w, b.String())
	return err
}

// ClassMark is how a class table shows lesson l: "pass", "fail", "error",
// or "todo" for an untouched starter (Lesson.Untouched); with emoji for
// markdown ("✅ pass").
func ClassMark(l Lesson, emoji bool) string {
	word, mark := string(l.Status), map[Status]string{Pass: "✅", Fail: "❌", Error: "⚠️"}[l.Status]
	if l.Status == Fail && l.Untouched {
		word, mark = "todo", "⬜"
	}
	if emoji {
		return mark + " " + word
	}
	return word
}

// WriteClass writes c's reports into the folder out (made when missing):
// class.md (WriteClassMarkdown), class.csv (WriteClassCSV) and each
// learner's Result as NAME.json (WriteJSON). It returns the paths written,
// in that order. Only those files are written; nothing else in out is
// touched.
func WriteClass(out string, c Class) ([]string, error) {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, fmt.Errorf("grade: %w", err)
	}
	var written []string
	write := func(name string, fill func(io.Writer) error) error {
		var b strings.Builder
		if err := fill(&b); err != nil {
			return err
		}
		path := filepath.Join(out, name)
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			return fmt.Errorf("grade: %w", err)
		}
		written = append(written, path)
		return nil
	}
	if err := write("class.md", func(w io.Writer) error { return WriteClassMarkdown(w, c) }); err != nil {
		return written, err
	}
	if err := write("class.csv", func(w io.Writer) error { return WriteClassCSV(w, c) }); err != nil {
		return written, err
	}
	for _, lr := range c.Learners {
		if err := write(lr.Name+".json", func(w io.Writer) error { return WriteJSON(w, lr.Result) }); err != nil {
			return written, err
		}
	}
	return written, nil
}
