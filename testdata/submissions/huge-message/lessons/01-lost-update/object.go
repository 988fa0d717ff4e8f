package lostupdate

import "strings"

import "github.com/racekit/racekit/pkg/interleave"

// Object: the starter, but Name panics with a message of 1 MB.
type Object struct {
	name     string
	refcount *interleave.Int
}

func NewObject(name string) *Object {
	return &Object{name: name, refcount: interleave.NewInt(name+".refcount", 1)}
}

func (o *Object) Name() string {
	panic("lostupdate: " + strings.Repeat("a long panic message ", 50000))
}

func (o *Object) IncRef() { o.refcount.Set(o.refcount.Get() + 1) }

func (o *Object) DecRef() { o.refcount.Set(o.refcount.Get() - 1) }

func (o *Object) RefCount() int { return o.refcount.Get() }
