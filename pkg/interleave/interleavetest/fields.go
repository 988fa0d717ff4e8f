package interleavetest

import "reflect"

// FieldOf returns the value of the first field of type T, exported or not,
// of the struct that p points to, for which keep returns true (keep nil
// keeps the first of type T); ok is false when p is not a pointer to a
// struct or no field fits.
//
// A spec uses it to check what an object really holds rather than what its
// methods say about it: the value its interleave.Int cell holds, not the
// count its RefCount reports; the frees its heap.Block saw, not what its
// Freed reports. Code under test can answer those methods from anything,
// a second count kept on the side for one, while the cell the scheduler
// watches still loses updates.
//
//	cell, ok := interleavetest.FieldOf(foo, func(c *interleave.Int) bool {
//		return c != nil && c.Name() == "foo.refcount"
//	})
//
// The field's type must be T exactly: a field of type *interleave.Int is
// found with T *interleave.Int, and embedded fields count as fields of
// their own type. FieldOf reads the field and never changes the struct;
// like any read, it must be ordered after the writes of that field (call it
// once the goroutines that use the struct have finished, or from one of
// them).
func FieldOf[T any](p any, keep func(T) bool) (field T, ok bool) {
	v := reflect.ValueOf(p)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return field, false
	}
	s := v.Elem()
	want := reflect.TypeFor[T]()
	for i := range s.NumField() {
		f := s.Field(i)
		if f.Type() != want {
			continue
		}
		// Interface refuses an unexported field; a pointer made from its
		// address reads it all the same.
		x := reflect.NewAt(want, f.Addr().UnsafePointer()).Elem().Interface().(T)
		if keep == nil || keep(x) {
			return x, true
		}
	}
	return field, false
}
