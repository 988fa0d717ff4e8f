package lostupdate

import (
	"sync"

	"github.com/racekit/racekit/pkg/interleave"
)

type Object struct {
	name     string
	mu       sync.Mutex // guards refcount
	refcount *interleave.Int
}

func NewObject(name string) *Object {
	return &Object{name: name, refcount: interleave.NewInt(name+".refcount", 1)}
}

func (o *Object) Name() string { return o.name }

func (o *Object) IncRef() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.refcount.Set(o.refcount.Get() + 1)
}

func (o *Object) DecRef() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.refcount.Set(o.refcount.Get() - 1)
}

func (o *Object) RefCount() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.refcount.Get()
}
