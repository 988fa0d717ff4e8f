package heap_test

import (
	"fmt"

	"github.com/racekit/racekit/pkg/heap"
)

// A block freed once and then used again panics with its name.
func ExampleBlock_Use() {
	foo := heap.Alloc("foo")
	foo.Use()
	foo.Free()
	defer func() { fmt.Println(recover()) }()
	foo.Use()
	// Output: heap: foo used after it was freed
}

// Freeing twice panics: the second Free names the double free.
func ExampleBlock_Free() {
	foo := heap.Alloc("foo")
	foo.Free()
	fmt.Println(foo.Freed(), foo.Frees())
	defer func() { fmt.Println(recover()) }()
	foo.Free()
	// Output:
	// true 1
	// heap: foo freed twice (double free)
}
