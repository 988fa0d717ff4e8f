package grade

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/racekit/racekit/pkg/internal/course"
)

// MaxLessonPoints is the most points one lesson may be worth.
const MaxLessonPoints = 10000

// Points weighs a grade's lessons: how many points each lesson is worth,
// by slug, every value from 1 to MaxLessonPoints. A lesson earns all of
// its points when it passes and none when it does not. ParsePoints and
// ReadPoints make one; Result.Weigh applies it.
type Points map[string]int

// ParsePoints reads the weights racekit grade's --points takes: entries
// "lesson=points" separated by commas, a lesson named by number, slug or
// folder ("1=10,premature-free=10,03-deadlock=20"). Spaces around names,
// numbers and commas are ignored. A lesson named twice, a name that is no
// lesson, or points that are not a whole number from 1 to MaxLessonPoints
// is an error that quotes the entry.
func ParsePoints(list string) (Points, error) {
	p := Points{}
	for _, entry := range strings.Split(list, ",") {
		if strings.TrimSpace(entry) == "" {
			return nil, fmt.Errorf("grade: points %q have an empty entry: write lesson=points, comma-separated", list)
		}
		if err := p.set(entry); err != nil {
			return nil, fmt.Errorf("grade: %w", err)
		}
	}
	return p, nil
}

// ReadPoints reads a points file, which an instructor keeps in their
// template: one "lesson = points" a line, a lesson named as for
// ParsePoints; blank lines and everything from a # to the end of its line
// are ignored. An error names the line.
//
//	# racekit points: 100 in all
//	1 = 10   # lost-update
//	2 = 10
//	deadlock = 20
func ReadPoints(r io.Reader) (Points, error) {
	p := Points{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		if strings.TrimSpace(line) == "" {
			continue
		}
		if err := p.set(line); err != nil {
			return nil, fmt.Errorf("grade: line %d: %w", n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("grade: %w", err)
	}
	if len(p) == 0 {
		return nil, errors.New("grade: no points: not one line lesson = points")
	}
	return p, nil
}

// set reads one entry, "lesson=points", into p.
func (p Points) set(entry string) error {
	entry = strings.TrimSpace(entry)
	name, value, ok := strings.Cut(entry, "=")
	name, value = strings.TrimSpace(name), strings.TrimSpace(value)
	if !ok || name == "" || value == "" {
		return fmt.Errorf("%q is not lesson=points (e.g. 1=10)", entry)
	}
	l, err := course.Find(name)
	if err != nil {
		return fmt.Errorf("%q: %w", entry, err)
	}
	n, err := strconv.Atoi(value)
	if err != nil || n < 1 || n > MaxLessonPoints {
		return fmt.Errorf("%q: a lesson's points must be a whole number from 1 to %d, got %q", entry, MaxLessonPoints, value)
	}
	if _, twice := p[l.Slug]; twice {
		return fmt.Errorf("%q: lesson %s is given points twice", entry, l.Dir())
	}
	p[l.Slug] = n
	return nil
}

// Weigh returns r with each lesson worth the points p gives it (a lesson p
// does not name keeps what it was worth) and the points earned and the
// totals counted again. r itself is left as it was.
func (r Result) Weigh(p Points) Result {
	var out Result
	for _, l := range r.Lessons {
		if n, ok := p[l.Slug]; ok {
			l.MaxPoints = n
		}
		out.Add(l)
	}
	return out
}

// WriteClassroomNotices writes r's points as the two workflow commands of
// GitHub Classroom's reporter action, which Classroom's gradebook reads:
//
//	::notice title=Autograding complete::Points 55/100
//	::notice title=Autograding report::{"totalPoints":55,"maxPoints":100}
//
// in that order, a line each, escaped as the action's toolkit escapes a
// command (classroom-resources/autograding-grading-reporter, v1,
// src/notify-classroom.js; @actions/core's command.ts). Like the action, it
// writes nothing for a result worth no points (one with no lessons).
// Points are whole numbers, so they are written as the action's
// JavaScript writes them, with no rounding to do.
func WriteClassroomNotices(w io.Writer, r Result) error {
	if r.MaxPoints == 0 {
		return nil
	}
	report, err := json.Marshal(struct {
		TotalPoints int `json:"totalPoints"`
		MaxPoints   int `json:"maxPoints"`
	}{r.Points, r.MaxPoints})
	if err != nil {
		return fmt.Errorf("grade: %w", err)
	}
	_, err = io.WriteString(w,
		workflowCommand("notice", "title", "Autograding complete", fmt.Sprintf("Points %d/%d", r.Points, r.MaxPoints))+
			workflowCommand("notice", "title", "Autograding report", string(report)))
	return err
}

// workflowCommand returns a GitHub Actions workflow command with one
// property, "::name key=value::message\n", escaped as @actions/core's
// Command.toString escapes it: % and line breaks in both the value and the
// message, and : and , in the value too.
func workflowCommand(name, key, value, message string) string {
	data := strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	property := strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
	return "::" + name + " " + key + "=" + property.Replace(value) + "::" + data.Replace(message) + "\n"
}
