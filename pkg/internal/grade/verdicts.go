package grade

import (
	"context"
	"fmt"
	"strings"
	"sync"
)

// Verdicts remembers the lessons a Grader has graded, so that a lesson
// whose exercise files are byte for byte those of one graded before (an
// untouched starter, a copied solution, two learners' identical code) is
// built and run once and its verdict reused. A verdict is reused only for
// the same lesson, the same exercise files (Lesson.Code), the same notes
// (test files ignored) and a Grader with the same kit and limits; a
// grading that ended in an error or was cancelled is not remembered.
//
// The zero value is empty and ready to use. A Verdicts is safe for
// concurrent use: when two identical lessons are graded at once, one is
// built and run and the other waits for its verdict.
type Verdicts struct {
	mu    sync.Mutex          // guards byKey
	byKey map[string]*verdict // by verdictKey
}

// verdict is one lesson's verdict, once done is closed: out when ok, and
// nothing (grade again) when the grading that was to reach it failed.
type verdict struct {
	done chan struct{}
	out  Lesson
	ok   bool
}

// verdictKey names what a lesson's verdict depends on once its checks have
// passed: g's kit, limits and environment, the lesson, its code and its
// notes.
func (g Grader) verdictKey(out Lesson) string {
	return fmt.Sprintf("%s\x00%v %v %d %d %d %q\x00%s\x00%s\x00%q",
		g.Kit, g.Timeout, g.BuildTimeout, g.BuildMemory, g.Memory, g.Threads, g.Env,
		out.Lesson.Dir(), out.Code, strings.Join(out.Ignored, "\x00"))
}

// reach returns the verdict remembered under key, marked Reused, or grades
// with grade and remembers what it returns.
func (v *Verdicts) reach(ctx context.Context, key string, grade func() (Lesson, error)) (Lesson, error) {
	for {
		v.mu.Lock()
		if v.byKey == nil {
			v.byKey = map[string]*verdict{}
		}
		e, ok := v.byKey[key]
		if !ok {
			e = &verdict{done: make(chan struct{})}
			v.byKey[key] = e
			v.mu.Unlock()
			out, err := grade()
			v.mu.Lock()
			if err != nil || ctx.Err() != nil {
				delete(v.byKey, key) // no verdict: a waiter grades it itself
			} else {
				e.out, e.ok = out, true
			}
			v.mu.Unlock()
			close(e.done)
			return out, err
		}
		v.mu.Unlock()
		select {
		case <-e.done:
		case <-ctx.Done():
			return Lesson{}, ctx.Err()
		}
		if e.ok {
			out := e.out
			out.Reused = true
			return out, nil
		}
	}
}
