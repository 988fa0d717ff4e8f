package deadlock

import (
	"runtime"
	"strings"
)

// calledFromASpec says whether a _test.go function is up the stack, so
// that code could behave well only while it is being tested.
func calledFromASpec() bool {
	pcs := make([]uintptr, 64)
	n := runtime.Callers(2, pcs)
	for _, pc := range pcs[:n] {
		if fn := runtime.FuncForPC(pc); fn != nil &&
			strings.Contains(fn.Name(), "_test") {
			return true
		}
	}
	return false
}
