package grade

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = ginkgo.Describe("Verdicts", func() {
	ctx := context.Background()
	verdict := func(msg string) func() (Lesson, error) {
		return func() (Lesson, error) { return Lesson{Status: Pass, Message: msg}, nil }
	}

	ginkgo.It("grades a key once and gives that verdict, marked reused, to every later lesson with the key", func() {
		var v Verdicts
		first, err := v.reach(ctx, "k", verdict("first"))
		Expect(err).NotTo(HaveOccurred())
		Expect(first.Reused).To(BeFalse(), "the lesson that was graded is not reused")
		again, err := v.reach(ctx, "k", func() (Lesson, error) { panic("a remembered key must not be graded again") })
		Expect(err).NotTo(HaveOccurred())
		Expect(again.Message).To(Equal("first"), "the verdict of the first grading")
		Expect(again.Reused).To(BeTrue(), "a verdict taken from before is marked Reused")
		other, _ := v.reach(ctx, "other", verdict("other"))
		Expect(other.Message).To(Equal("other"), "another key is graded on its own")
		Expect(other.Reused).To(BeFalse(), "a key graded for the first time is not reused")
	})

	ginkgo.When("a grading ends in an error or is cancelled", func() {
		ginkgo.It("remembers nothing, and the next lesson with the key is graded", func() {
			var v Verdicts
			_, err := v.reach(ctx, "k", func() (Lesson, error) { return Lesson{}, errors.New("the go command is missing") })
			Expect(err).To(MatchError("the go command is missing"))
			cancelled, cancel := context.WithCancel(ctx)
			cancel()
			_, err = v.reach(cancelled, "k", verdict("cut short"))
			Expect(err).NotTo(HaveOccurred(), "reach hands back what the grading returned")
			out, err := v.reach(ctx, "k", verdict("graded"))
			Expect(err).NotTo(HaveOccurred())
			Expect(out.Message).To(Equal("graded"), "neither the error nor the cancelled grading left a verdict")
			Expect(out.Reused).To(BeFalse())
		})
	})
})

// Identical lessons graded at once: one is built and run, and the others
// wait for its verdict. In a synctest bubble, the grading's sleep ends only
// once every other goroutine is blocked, so all five are inside reach
// together. (A plain test: synctest.Test needs the *testing.T.)
func TestVerdictsGradeIdenticalLessonsAtOnceOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var (
			v      Verdicts
			graded atomic.Int32
			reused atomic.Int32
			wg     sync.WaitGroup
		)
		for range 5 {
			wg.Go(func() {
				out, err := v.reach(context.Background(), "k", func() (Lesson, error) {
					graded.Add(1)
					time.Sleep(time.Second) // a build, in fake time
					return Lesson{Status: Fail}, nil
				})
				if err != nil || out.Status != Fail {
					t.Errorf("reach = %v, %v; want the graded verdict, fail", out.Status, err)
				}
				if out.Reused {
					reused.Add(1)
				}
			})
		}
		wg.Wait()
		if n := graded.Load(); n != 1 {
			t.Errorf("five lessons with one key, graded at once, were built and run %d times; want once", n)
		}
		if n := reused.Load(); n != 4 {
			t.Errorf("%d of the five verdicts were marked Reused; want 4", n)
		}
	})
}
