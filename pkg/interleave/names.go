package interleave

import "reflect"

// kitSync is the import path of the kit's sync package; its atomic package
// is below it.
var kitSync = machinery + "sync"

// isSyncType reports whether t is a type of the kit's sync or atomic
// package, whose operations the trace shows.
func isSyncType(t reflect.Type) bool {
	p := t.PkgPath()
	return p == kitSync || p == kitSync+"/atomic"
}

// Name gives the trace a name for the objects in v, so that it shows
// "locks foo.mu" rather than "locks mutex #1". v is a pointer: the object
// it points to is named name (a device the kit's VM reads, say, shows as
// "waits for disk to be fed"), and when it is a struct, its fields of the
// kit's sync or atomic packages (and those of its struct fields, but not
// what its pointers point to) are named name.field: Name(foo, "foo") names
// foo's mu field "foo.mu". Objects the run never names are called by their
// kind and a number, in order of first use.
//
// Name is called from Setup, like Go; it panics on a v that is not a
// non-nil pointer.
func (r *Run) Name(v any, name string) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		panic("interleave: Run.Name wants a non-nil pointer, got " + rv.Kind().String())
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.names[v] = name
	r.nameValue(rv.Elem(), rv.Interface(), name, 0)
}

// nameValue names the object at v (addressable, with pointer ptr) and the
// synchronisation objects among its fields.
func (r *Run) nameValue(v reflect.Value, ptr any, name string, depth int) {
	if isSyncType(v.Type()) {
		r.names[ptr] = name
		return
	}
	if v.Kind() != reflect.Struct || depth > 4 {
		return
	}
	for i := range v.NumField() {
		f := v.Field(i)
		sf := v.Type().Field(i)
		if sf.Name == "_" || !f.CanAddr() {
			continue
		}
		if f.Kind() != reflect.Struct {
			continue
		}
		// The pointer the kit's sync passes as its object: the field's
		// address, typed as a pointer to the field's type.
		fp := reflect.NewAt(f.Type(), f.Addr().UnsafePointer()).Interface()
		r.nameValue(f, fp, name+"."+sf.Name, depth+1)
	}
}
