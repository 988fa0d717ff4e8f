package freethreading

import (
	"github.com/racekit/racekit/pkg/interleave"
	"github.com/racekit/racekit/pkg/vm"
)

// Counter does the reference counting of an interpreter that runs without
// a GIL (vm.Config{NoGIL: true, RefCounter: Counter{}}): the interpreter
// calls NewCount for every object it makes, IncRef for every reference a
// thread takes and DecRef for every reference a thread drops, and frees an
// object when DecRef says so. Its methods are called from many threads at
// once, for the same object too.
type Counter struct{}

// count is one object's count state: what NewCount makes, and what
// o.Count() returns for that object.
type count struct {
	refs *interleave.Int // references held, its maker's included
}

// NewCount returns the count state of a new object o, which has one
// reference: its maker's. The count lives in an interleave.Int named
// "<name>.refcount", so the specs' scheduler sees every read and write.
func (Counter) NewCount(o *vm.Object) any {
	return &count{refs: interleave.NewInt(o.Name()+".refcount", 1)}
}

// IncRef records that thread t took a reference to o.
func (Counter) IncRef(t *vm.Thread, o *vm.Object) {
	c := o.Count().(*count)
	c.refs.Set(c.refs.Get() + 1)
}

// DecRef records that thread t dropped a reference to o, and reports
// whether that was the last one, so that the interpreter frees o.
func (Counter) DecRef(t *vm.Thread, o *vm.Object) bool {
	c := o.Count().(*count)
	n := c.refs.Get() - 1
	c.refs.Set(n)
	return n == 0
}
