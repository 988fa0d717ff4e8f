// Command freerun hammers one interleave.Int from two goroutines outside any
// run, with a mutex when -locked is set. Built with -race, the unlocked
// version must be reported: a cell adds no synchronisation of its own.
package main

import (
	"flag"
	"fmt"
	"sync"

	"github.com/racekit/racekit/pkg/interleave"
)

func main() {
	locked := flag.Bool("locked", false, "guard the cell with a mutex")
	flag.Parse()
	c := interleave.NewInt("hits", 0)
	var mu sync.Mutex // guards c when locked
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for range 1000 {
				if *locked {
					mu.Lock()
				}
				c.Set(c.Get() + 1)
				if *locked {
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	fmt.Println("hits:", c.Get())
}
