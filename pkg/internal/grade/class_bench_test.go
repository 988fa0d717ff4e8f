package grade_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/racekit/racekit/pkg/internal/course"
	"github.com/racekit/racekit/pkg/internal/grade"
	"github.com/racekit/racekit/pkg/internal/testrun"
	"github.com/racekit/racekit/pkg/internal/verify"
)

// BenchmarkGradeClass grades a class of 30 learners × the whole course, as
// racekit grade --class does, and reports how many lessons were built and
// run and how many reused a verdict:
//
//	go test ./pkg/internal/grade -run '^$' -bench GradeClass -benchtime 1x
//
// (with GOCACHE=$(mktemp -d) for a cold build cache). "mid-course" is a
// class as makeClass describes it; "all-different" gives every lesson of
// every learner code of its own, so nothing can be reused.
func BenchmarkGradeClass(b *testing.B) {
	kit, err := course.Root()
	if err != nil {
		b.Fatal(err)
	}
	for _, allDifferent := range []bool{false, true} {
		name := map[bool]string{false: "mid-course", true: "all-different"}[allDifferent]
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				class := b.TempDir()
				learners := makeClass(b, kit, class, 30, allDifferent)
				b.StartTimer()
				// As racekit grade --class does: on a cold build cache, the
				// lessons' imports are built once, one lesson at a time,
				// before two lessons are graded at once.
				if err := warmIfCold(kit); err != nil {
					b.Fatal(err)
				}
				c, err := grade.Grader{Kit: kit}.GradeClass(context.Background(), class, learners, course.InKit(), nil, nil)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(c.Built), "built")
				b.ReportMetric(float64(c.Reused), "reused")
				passed := 0
				for _, n := range c.Passed() {
					passed += n
				}
				b.ReportMetric(float64(passed), "passed")
			}
		})
	}
}

// warmIfCold prebuilds every lesson (grade.Prebuild) when the build cache
// lacks enough for the first builds to be slow, as racekit grade does.
func warmIfCold(kit string) error {
	var pkgs []string
	for _, l := range course.InKit() {
		pkgs = append(pkgs, "./solutions/"+l.Dir())
	}
	stale, err := testrun.StaleDeps(context.Background(), kit, pkgs...)
	if err != nil || !testrun.LikelySlow(stale) {
		return err
	}
	work, err := os.MkdirTemp("", "racekit-bench-warm-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	for _, l := range course.InKit() {
		if err := grade.Prebuild(context.Background(), kit, l, work); err != nil {
			return err
		}
	}
	return nil
}

// makeClass writes n learner checkouts into class and returns their names.
// Learner i (from 0) has solved the first 9 − i mod 10 lessons, is in the
// middle of the next with a wrong fix from testdata/fixtures, and has not
// touched the rest (their starters). A solved lesson is the kit's solution
// as it is (one in six), a correct alternative from the fixtures (one in
// six, where the lesson has one) or the solution with a comment of the
// learner's own (the rest: code of its own, as most learners write); half
// the wrong fixes carry such a comment too. With allDifferent, every lesson
// carries one.
func makeClass(b *testing.B, kit, class string, n int, allDifferent bool) []string {
	var names []string
	for i := range n {
		name := fmt.Sprintf("learner%02d", i+1)
		names = append(names, name)
		solved := 9 - i%10
		for j, l := range course.InKit() {
			dir := l.LessonDir(filepath.Join(class, name))
			copyDir(b, l.LessonDir(kit), dir) // README, hints, specs and the starter
			fixtures, err := verify.Fixtures(kit, l)
			if err != nil {
				b.Fatal(err)
			}
			var pass, fail []verify.Fixture
			for _, f := range fixtures {
				if f.Pass {
					pass = append(pass, f)
				} else {
					fail = append(fail, f)
				}
			}
			own := allDifferent
			switch {
			case j < solved && (i+j)%6 == 0:
				copyDir(b, l.SolutionDir(kit), dir)
			case j < solved && (i+j)%6 == 1 && len(pass) > 0:
				copyDir(b, l.StarterDir(kit), dir)
				copyDir(b, pass[i%len(pass)].Dir, dir)
			case j < solved:
				copyDir(b, l.SolutionDir(kit), dir)
				own = true
			case j == solved && len(fail) > 0:
				copyDir(b, fail[i%len(fail)].Dir, dir)
				own = own || i%2 == 0
			}
			if own {
				f, err := os.OpenFile(filepath.Join(dir, "doc.go"), os.O_APPEND|os.O_WRONLY, 0)
				if err == nil {
					_, err = fmt.Fprintf(f, "\n// %s's own.\n", name)
					err = errors.Join(err, f.Close())
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	return names
}

// copyDir copies the .go files of folder src into dst (made when missing),
// over any of the same names.
func copyDir(b *testing.B, src, dst string) {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		b.Fatal(err)
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		b.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() || filepath.Ext(e.Name()) != ".go" && filepath.Ext(e.Name()) != ".md" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err == nil {
			err = os.WriteFile(filepath.Join(dst, e.Name()), data, 0o644)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}
