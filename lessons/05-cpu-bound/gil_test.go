package cpubound

import (
	"fmt"
	"sync/atomic"

	"github.com/racekit/racekit/pkg/vm"
)

// oldGIL is the interpreter lock the controlled specs give every
// interpreter: CPython 2's GIL, which its holder drops and takes again at
// every eval-breaker check, whether or not another thread waits (it does
// not implement vm.DropRequester). So a job's thread reaches a scheduling
// point, "drops the GIL", every 20 instructions even when it is alone in its
// interpreter, and the specs can stop it in the middle of its countdown.
//
// A thread that finds the lock taken waits in a channel send, which the
// scheduler sees as "blocks in chan send" at the line below.
type oldGIL struct {
	slot   chan struct{}             // holds a token while the lock is held
	holder atomic.Pointer[vm.Thread] // the holder; nil while free
}

func newOldGIL() *oldGIL { return &oldGIL{slot: make(chan struct{}, 1)} }

// Acquire waits until the lock is free and takes it for t.
func (l *oldGIL) Acquire(t *vm.Thread) {
	l.slot <- struct{}{}
	l.holder.Store(t)
}

// Release lets go of the lock, which t must hold.
func (l *oldGIL) Release(t *vm.Thread) error {
	if h := l.holder.Load(); h != t {
		return fmt.Errorf("cpubound: the GIL %w: thread %s released it while %s holds it", vm.ErrNotHolder, t.Name(), h.Name())
	}
	l.holder.Store(nil)
	<-l.slot
	return nil
}
