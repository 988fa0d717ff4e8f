package lazy_test

import (
	"fmt"
	"strings"

	"github.com/racekit/racekit/pkg/internal/lazy"
)

// A lock that keeps its holder behind a lazy.Pointer prints the same
// whoever holds it.
func ExamplePointer() {
	type state struct{ holder string }
	type lock struct{ s lazy.Pointer[state] }

	var a, b lock
	a.s.Get().holder = "A"
	b.s.Get()
	fmt.Println(a.s.Get() == a.s.Get())
	fmt.Println(strings.Contains(fmt.Sprintf("%+v", &a), "A"), strings.Contains(fmt.Sprintf("%+v", &b), "A"))
	// Output:
	// true
	// false false
}
