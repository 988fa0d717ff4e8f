package grade

import (
	"fmt"
	"reflect"
	"slices"
	"unicode/utf8"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/racekit/racekit/pkg/internal/course"
	"github.com/racekit/racekit/pkg/internal/testrun"
)

// Status is the outcome of a lesson, a spec or a whole grading.
type Status string

// The outcomes, from best to worst.
const (
	// Pass: every pristine spec ran and passed, and no data race was seen.
	Pass Status = "pass"
	// Fail: the specs ran, and some failed or the race detector reported a
	// race; or the lesson's code was turned away without running because it
	// uses the test framework.
	Fail Status = "fail"
	// Error: the specs could not all run: the lesson did not build,
	// crashed, hung, exited early or turned on Ginkgo's dry run (or is
	// missing from the submission).
	Error Status = "error"
	// Skipped is a spec that did not run, usually because an earlier one
	// of its ordered container failed. Only specs have it.
	Skipped Status = "skipped"
)

// worse reports whether a is a worse outcome than b.
func worse(a, b Status) bool {
	rank := map[Status]int{Pass: 0, Skipped: 1, Fail: 2, Error: 3}
	return rank[a] > rank[b]
}

// Spec is the outcome of one spec of a lesson. A data race, which Ginkgo
// counts against the whole suite and not one spec, is a Spec of its own
// named RaceSpecName.
type Spec struct {
	Name    string `json:"name"`    // the spec's full text: its containers' and its own
	Status  Status `json:"status"`  // pass, fail, error or skipped
	Message string `json:"message"` // why it failed, with paths relative to the lesson; "" when it passed
}

// RaceSpecName names the Spec that stands for the race detector's reports.
const RaceSpecName = "the race detector reports no data race"

// Lesson is the outcome of one lesson: plain data, which Grader.Lesson
// fills in.
type Lesson struct {
	Slug     string `json:"slug"`      // the lesson's slug: "lost-update"
	Title    string `json:"title"`     // the lesson's title in the catalogue
	Status   Status `json:"status"`    // pass, fail or error
	Score    int    `json:"score"`     // 1 when the lesson passed, else 0
	MaxScore int    `json:"max_score"` // 1
	// MaxPoints is what the lesson is worth (Result.Weigh sets it); Add
	// makes 0 one point. Points is what it earned: all of MaxPoints when
	// it passed, else 0; Add sets it from Status.
	Points    int `json:"points"`
	MaxPoints int `json:"max_points"`
	// Message says in a few lines why the lesson did not pass (or that it
	// did), and notes test files of the submission that were ignored.
	Message string `json:"message"`
	// Specs are the outcomes of the lesson's specs that ran or failed (a
	// setup node that went well is left out), and of the grader's own
	// checks when one failed: the race detector, the rules, the build.
	Specs []Spec `json:"specs"`

	// Code is the SHA-256 of the names and bytes of the lesson's exercise
	// files (course.Fingerprint), once grading has read them: two lessons
	// with the same Code have the same code, byte for byte.
	Code string `json:"code,omitempty"`
	// Reused is true when the verdict is that of an identical lesson
	// graded before (see Verdicts), not built and run again.
	Reused bool `json:"reused,omitempty"`
	// Untouched is true when GradeClass found the lesson's code to be its
	// untouched starter, which a class table shows as "todo".
	Untouched bool `json:"-"`

	// Lesson is the lesson graded.
	Lesson course.Lesson `json:"-"`
	// Report is Ginkgo's report of the lesson's suite, with the race
	// detector's reports added as a failed spec; for a lesson whose specs
	// did not run, a report that says why (as Ginkgo's own CLI makes for a
	// suite that failed to compile). WriteJUnit renders it.
	Report types.Report `json:"-"`
	// Output is the test binary's output, or the go command's for a build
	// that failed.
	Output string `json:"-"`
	// Ignored lists the submission's test files that were not used: extra
	// _test.go files and edited copies of the kit's specs.
	Ignored []string `json:"-"`
	// SameAsSolution is true when every exercise file of the submission is
	// byte for byte the kit's solution's (which learners can read), for an
	// instructor to notice; it does not change the grade.
	SameAsSolution bool `json:"-"`
	// Where says where the goroutines of a hung lesson were waiting, one
	// per line, in the lesson's files ("object.go:31  (*Object).IncRef
	// [sync.Mutex.Lock]"); empty otherwise.
	Where []string `json:"-"`
	// Dir is the lesson's folder in the kit, against which Output's paths
	// can be made relative.
	Dir string `json:"-"`
}

// Result is the outcome of a grading. The zero Result has no lessons and
// an empty Status; Add makes it pass, fail or error. A Result is a plain
// value: it is not safe to Add to from several goroutines at once.
type Result struct {
	// Status is the worst of the lessons' statuses: pass when every lesson
	// passed, error when any could not run, fail otherwise.
	Status Status `json:"status"`
	// Score counts the lessons that passed, MaxScore those graded.
	Score    int `json:"score"`
	MaxScore int `json:"max_score"`
	// Points are the points the lessons earned, MaxPoints what they are
	// worth together: the points GitHub Classroom records.
	Points    int      `json:"points"`
	MaxPoints int      `json:"max_points"`
	Lessons   []Lesson `json:"lessons"`
}

// Add appends a lesson's outcome and updates the totals and the status. A
// lesson worth no points (MaxPoints 0: not weighed) is worth one; it earns
// them all when it passed and none otherwise, whatever its Points said.
func (r *Result) Add(l Lesson) {
	if len(r.Lessons) == 0 {
		r.Status = Pass
	}
	if l.MaxPoints <= 0 {
		l.MaxPoints = 1
	}
	l.Points = 0
	if l.Status == Pass {
		l.Points = l.MaxPoints
	}
	r.Lessons = append(r.Lessons, l)
	r.Score += l.Score
	r.MaxScore += l.MaxScore
	r.Points += l.Points
	r.MaxPoints += l.MaxPoints
	if worse(l.Status, r.Status) {
		r.Status = l.Status
	}
}

// bounded returns out with every text cut to MaxMessage (keeping its first
// and last halves): the message, each spec's name and message, the output,
// the waiting places, the ignored files and every string of the report, so
// that no submission can make the JSON, the JUnit file or a summary large.
func (out Lesson) bounded() Lesson {
	out.Message = clip(out.Message, MaxMessage)
	out.Output = clip(out.Output, testrun.DefaultOutputLimit)
	out.Specs = slices.Clone(out.Specs)
	for i := range out.Specs {
		out.Specs[i].Name = clip(out.Specs[i].Name, MaxMessage)
		out.Specs[i].Message = clip(out.Specs[i].Message, MaxMessage)
	}
	for _, list := range []*[]string{&out.Where, &out.Ignored} {
		*list = slices.Clone(*list)
		for i := range *list {
			(*list)[i] = clip((*list)[i], MaxMessage)
		}
	}
	clipStrings(reflect.ValueOf(&out.Report).Elem(), MaxMessage)
	return out
}

// clip returns s when it is at most n bytes long, else its first and last
// n/2 bytes (cut at whole characters) around a line saying how many bytes
// were left out.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	end, start := n/2, len(s)-n/2
	for end > 0 && !utf8.RuneStart(s[end]) {
		end--
	}
	for start < len(s) && !utf8.RuneStart(s[start]) {
		start++
	}
	head, tail := s[:end], s[start:]
	return fmt.Sprintf("%s\n... (%d bytes left out) ...\n%s", head, len(s)-len(head)-len(tail), tail)
}

// clipStrings clips, in place, every string v holds that can be set: in
// its exported fields, slices and pointers, at any depth. Ginkgo's report
// is plain data of that kind (maps and unexported fields hold nothing a
// submission writes at length).
func clipStrings(v reflect.Value, n int) {
	switch v.Kind() {
	case reflect.String:
		if v.CanSet() && v.Len() > n {
			v.SetString(clip(v.String(), n))
		}
	case reflect.Pointer:
		if !v.IsNil() {
			clipStrings(v.Elem(), n)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				clipStrings(v.Field(i), n)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			clipStrings(v.Index(i), n)
		}
	}
}
