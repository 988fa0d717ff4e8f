package lostupdate

import "github.com/racekit/racekit/pkg/interleave"

// Object: DecRef spins forever, as a learner's retry loop that never
// succeeds would.
type Object struct {
	name     string
	refcount *interleave.Int
}

func NewObject(name string) *Object {
	return &Object{name: name, refcount: interleave.NewInt(name+".refcount", 1)}
}

func (o *Object) Name() string { return o.name }

func (o *Object) IncRef() { o.refcount.Set(o.refcount.Get() + 1) }

func (o *Object) DecRef() {
	for {
	}
}

func (o *Object) RefCount() int { return o.refcount.Get() }
