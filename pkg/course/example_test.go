package course_test

import (
	"fmt"

	"github.com/racekit/racekit/pkg/course"
)

// Find takes a lesson's number, slug or folder name.
func ExampleFind() {
	l, _ := course.Find("2")
	fmt.Println(l.Dir(), "teaches", l.Concept)
	_, err := course.Find("42")
	fmt.Println(err)
	// Output:
	// 02-premature-free teaches premature free
	// course: no lesson "42"; the lessons are: 1 or lost-update, 2 or premature-free, 3 or deadlock, 4 or global-lock, 5 or cpu-bound, 6 or io-release
}
