package lostupdate

import "runtime"

// quit ends the calling goroutine at once; its deferred calls still run,
// so whoever waits for it believes it finished.
func quit() {
	defer func() {}()
	runtime.Goexit()
}
