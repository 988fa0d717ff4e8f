package watch

import "github.com/fsnotify/fsnotify"

// FailFSNotify makes fsnotify fail to start with err, as it does when the
// machine is out of inotify instances, until restore is called. Specs that
// use it must not run in parallel with other specs of this process.
func FailFSNotify(err error) (restore func()) {
	newFSWatcher = func() (*fsnotify.Watcher, error) { return nil, err }
	return func() { newFSWatcher = fsnotify.NewWatcher }
}
