package grade

import (
	"github.com/onsi/ginkgo/v2/types"

	"github.com/racekit/racekit/pkg/course"
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
	// Message says in a few lines why the lesson did not pass (or that it
	// did), and notes test files of the submission that were ignored.
	Message string `json:"message"`
	// Specs are the outcomes of the lesson's specs that ran or failed (a
	// setup node that went well is left out), and of the grader's own
	// checks when one failed: the race detector, the rules, the build.
	Specs []Spec `json:"specs"`

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
	Status   Status   `json:"status"`
	Score    int      `json:"score"`
	MaxScore int      `json:"max_score"`
	Lessons  []Lesson `json:"lessons"`
}

// Add appends a lesson's outcome and updates the totals and the status.
func (r *Result) Add(l Lesson) {
	if len(r.Lessons) == 0 {
		r.Status = Pass
	}
	r.Lessons = append(r.Lessons, l)
	r.Score += l.Score
	r.MaxScore += l.MaxScore
	if worse(l.Status, r.Status) {
		r.Status = l.Status
	}
}
