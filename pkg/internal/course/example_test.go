package course_test

import (
	"fmt"

	"github.com/racekit/racekit/pkg/internal/course"
)

// Find takes a lesson's number, slug or folder name.
func ExampleFind() {
	l, _ := course.Find("2")
	fmt.Println(l.Dir(), "teaches", l.Concept)
	_, err := course.Find("42")
	fmt.Println(err)
	// Output:
	// 02-premature-free teaches premature free
	// course: no lesson "42"; the lessons are: 1 or lost-update, 2 or premature-free, 3 or deadlock, 4 or global-lock, 5 or cpu-bound, 6 or io-release, 7 or convoy, 8 or gil-is-not-a-lock, 9 or free-threading
}

// A lesson's code imports the kit's sync in place of the standard
// library's; the kit's specs and grader point at the import to change.
func ExampleKitSyncFor() {
	for _, p := range []string{"sync", "sync/atomic", "fmt"} {
		kit, ok := course.KitSyncFor(p)
		fmt.Printf("%q -> %q %v\n", p, kit, ok)
	}
	// Output:
	// "sync" -> "github.com/racekit/racekit/pkg/sync" true
	// "sync/atomic" -> "github.com/racekit/racekit/pkg/sync/atomic" true
	// "fmt" -> "" false
}

// A lesson's starter and its solution differ in the code the learner
// edits (first in doc.go, whose comment says what the fix is), and the
// lesson's specs are the solution's, byte for byte.
func ExampleCompareFiles() {
	root, _ := course.Root()
	l, _ := course.Find("1")
	diff, _ := course.CompareFiles(course.ExerciseFiles, l.StarterDir(root), l.SolutionDir(root))
	fmt.Println("starter and solution differ in", diff.File)
	diff, _ = course.CompareFiles(course.SpecFiles, l.LessonDir(root), l.SolutionDir(root))
	fmt.Println("specs differ:", diff != nil)
	// Output:
	// starter and solution differ in doc.go
	// specs differ: false
}
