package lostupdate

import "github.com/racekit/racekit/pkg/interleave"

// Object: DecRef hands its work to a goroutine that panics. Nothing
// recovers a panic in a goroutine of the code's own, so the whole test
// binary dies with it.
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
	go func() { panic("lostupdate: DecRef below zero") }()
	o.refcount.Set(o.refcount.Get() - 1)
}

func (o *Object) RefCount() int { return o.refcount.Get() }
