package verify_test

import (
	"context"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/internal/course"
	"github.com/racekit/racekit/pkg/internal/verify"
)

var root = func() string {
	r, err := course.Root()
	if err != nil {
		panic(err)
	}
	return r
}()

// aheadOfTime compiles the lessons' binaries in the background, a lesson
// ahead of the one whose checks run: compiling a lesson's starter, solution
// and fixtures takes most of the kit's test time, and linking keeps one
// core busy, so the next lesson compiles while this one's binaries run.
// Lessons run in catalogue order (they are in one container), so the
// next lesson is the next one there.
type aheadOfTime struct {
	lessons []*verify.Lesson
	mu      sync.Mutex // guards started
	started []bool
	done    []chan struct{} // closed when the lesson's Prepare returned
	errs    []error         // a lesson's Prepare error, set before its done closes
}

func newAheadOfTime(lessons []*verify.Lesson) *aheadOfTime {
	a := &aheadOfTime{lessons: lessons, started: make([]bool, len(lessons)), done: make([]chan struct{}, len(lessons)), errs: make([]error, len(lessons))}
	for i := range a.done {
		a.done[i] = make(chan struct{})
	}
	return a
}

// start begins compiling lesson i's binaries, unless that began already
// or there is no lesson i.
func (a *aheadOfTime) start(i int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if i >= len(a.lessons) || a.started[i] {
		return
	}
	a.started[i] = true
	go func() {
		defer close(a.done[i])
		// Not the spec's context: the next lesson's build outlives it.
		a.errs[i] = a.lessons[i].Prepare(context.Background())
	}()
}

// wait returns lesson i's Prepare error once its binaries are built.
func (a *aheadOfTime) wait(ctx context.Context, i int) error {
	select {
	case <-a.done[i]:
		return a.errs[i]
	case <-ctx.Done():
		return ctx.Err()
	}
}

// closeAll waits for every build that started and removes its binaries.
func (a *aheadOfTime) closeAll() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i, began := range a.started {
		if began {
			<-a.done[i]
			a.lessons[i].Close()
		}
	}
}

// ahead compiles the lessons of "the course" ahead of their checks.
var ahead *aheadOfTime

var _ = AfterSuite(func() {
	if ahead != nil {
		ahead.closeAll()
	}
})

// The kit's own test of its course runs the checks racekit verify runs,
// one spec per check, under the same names.
var _ = Describe("the course", func() {
	for _, c := range verify.KitChecks(root) {
		It(c.Name, func(ctx SpecContext) {
			Expect(c.Run(ctx)).To(Succeed(), c.Why)
		})
	}

	var lessons []*verify.Lesson
	for _, l := range course.InKit() {
		lessons = append(lessons, &verify.Lesson{Root: root, Lesson: l})
	}
	ahead = newAheadOfTime(lessons)
	// Compiling ahead pays off in a whole run; a focused run compiles only
	// the lessons it checks.
	suite, _ := GinkgoConfiguration()
	focused := len(suite.FocusStrings) > 0 || len(suite.SkipStrings) > 0 || suite.LabelFilter != "" || len(suite.FocusFiles) > 0

	for i, v := range lessons {
		Describe(v.Lesson.Dir(), Ordered, func() {
			BeforeAll(func(ctx SpecContext) {
				ahead.start(i)
				DeferCleanup(func() { <-ahead.done[i]; v.Close() })
				if !focused {
					ahead.start(i + 1)
				}
				Expect(ahead.wait(ctx, i)).To(Succeed(), "the lesson's starter and solution must compile")
			})

			for _, c := range v.Checks() {
				It(c.Name, func(ctx SpecContext) {
					Expect(c.Run(ctx)).To(Succeed(), c.Why)
				})
			}
		})
	}
})
