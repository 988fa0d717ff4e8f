package hints_test

import (
	"fmt"

	"github.com/racekit/racekit/pkg/internal/hints"
)

func ExampleParse() {
	text := `# Hints for lesson 01: lost update

Read one hint, try again, and come back for the next only if you need it.

## Hint 1

Which lines of IncRef are the critical section?

## Hint 2

Put a sync.Mutex next to the count:

` + "```go" + `
mu sync.Mutex // guards refcount
` + "```" + `
`
	hs, err := hints.Parse("HINTS.md", []byte(text))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, h := range hs {
		fmt.Printf("hint %d of %d (line %d):\n%s\n", h.Number, len(hs), h.Line, h.Body)
	}

	_, err = hints.Parse("HINTS.md", []byte("# Hints\n\n## Hint 1\n\nOne.\n\n## Hint 3\n\nThree.\n"))
	fmt.Println(err)
	// Output:
	// hint 1 of 2 (line 5):
	// Which lines of IncRef are the critical section?
	// hint 2 of 2 (line 9):
	// Put a sync.Mutex next to the count:
	//
	// ```go
	// mu sync.Mutex // guards refcount
	// ```
	// hints: HINTS.md line 7: hint 3 comes where hint 2 should; number the hints 1, 2, 3 in order
}
