package sync

import (
	"fmt"
	stdsync "sync"

	"github.com/racekit/racekit/pkg/internal/schedhook"
)

// A WaitGroup waits for a collection of goroutines to finish, the standard
// library's sync.WaitGroup seen by the scheduler. The zero value is a group
// with no goroutines to wait for.
//
// A WaitGroup must not be copied after first use. As with sync.WaitGroup, a
// call to Done "synchronizes before" the return of any Wait call that it
// unblocks, and calls to Add with a positive delta that start when the
// counter is zero must happen before a Wait.
//
// Under a controlled run, Add, Done, Go's Add and Wait are scheduling points
// recorded in the trace ("done with wg: 1 left"), and a goroutine waiting in
// Wait is runnable again when the counter reaches zero.
type WaitGroup struct {
	_  noCopy
	wg stdsync.WaitGroup // the group itself, for Wait outside runs and for its happens-before
	mu stdsync.Mutex     // guards n
	n  int               // the counter, as Add has left it
}

func (wg *WaitGroup) op() schedhook.Op {
	return schedhook.Op{Obj: wg, Kind: "waitgroup", Write: true}
}

// Add adds delta, which may be negative, to the counter. If the counter
// becomes zero, every goroutine blocked in Wait is released. If it would go
// negative, Add panics.
func (wg *WaitGroup) Add(delta int) { wg.add(delta, "adds "+fmt.Sprint(delta)+" to") }

// Done decrements the counter by one.
func (wg *WaitGroup) Done() { wg.add(-1, "is done with") }

func (wg *WaitGroup) add(delta int, verb string) {
	g := schedhook.Goroutine()
	var op schedhook.Op
	if g != nil {
		op = wg.op()
		g.Point(op)
	} else if schedhook.Stopped() {
		return
	}
	wg.mu.Lock()
	if wg.n+delta < 0 {
		wg.mu.Unlock()
		panic("sync: negative WaitGroup counter")
	}
	wg.n += delta
	n := wg.n
	wg.wg.Add(delta)
	wg.mu.Unlock()
	if g != nil {
		g.Did(op, verb, fmt.Sprintf(": %d left", n))
	}
}

// Go calls f in a new goroutine and adds that task to the group: Add(1),
// then, when f returns, Done. A goroutine started this way is not one of
// the run's: the scheduler does not pause it.
func (wg *WaitGroup) Go(f func()) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		f()
	}()
}

func (wg *WaitGroup) count() int {
	wg.mu.Lock()
	defer wg.mu.Unlock()
	return wg.n
}

// Wait blocks until the counter is zero.
func (wg *WaitGroup) Wait() {
	g := schedhook.Goroutine()
	if g == nil {
		if schedhook.Stopped() {
			return
		}
		wg.wg.Wait()
		return
	}
	op := wg.op()
	op.Blocked = func() bool { return wg.count() > 0 }
	op.Waits = func() (string, string) { return "waits for", fmt.Sprintf(": %d left", wg.count()) }
	g.Point(op)
	wg.wg.Wait() // returns at once: the counter is zero; it orders every Done before us
	g.Did(op, "has waited for", "")
}
