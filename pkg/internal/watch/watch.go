// Package watch tells when the files of one folder are saved: racekit
// watch uses it to check a lesson again whenever the learner saves one of
// its files.
//
// It asks the operating system through fsnotify (inotify, kqueue,
// ReadDirectoryChangesW, FEN) and falls back to polling, stating every file
// of the folder at an interval, where fsnotify cannot start or cannot watch
// the folder (out of inotify instances or watches, say) or when the caller
// asks for it. On a network file system fsnotify may start yet see only the
// changes made on this machine: ask for polling there.
//
// Editors save a file as several events (write a temporary file, rename it
// over the old one, set its mode), so changes are debounced: a burst of
// changes with no quiet gap of Options.Debounce is one Event. Editors'
// temporary and backup files (".object.go.swp", "object.go~", "#object.go#",
// vim's "4913", GoLand's "object.go___jb_tmp___") and anything in a
// subfolder are not changes.
package watch

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

// The defaults for Options' zero fields.
const (
	DefaultInterval = 500 * time.Millisecond // how often polling stats the files
	DefaultDebounce = 200 * time.Millisecond // the quiet gap that ends a burst
)

// maxBurst is how many quiet gaps a burst may last at most: a folder that
// never stays quiet (a program writing a log into it) still gets an Event
// this often instead of none at all.
const maxBurst = 10

// Options tune Watch. The zero value watches with fsnotify where it can,
// polls every DefaultInterval where it cannot, and debounces bursts with
// DefaultDebounce.
type Options struct {
	// Poll asks for polling even where fsnotify works.
	Poll bool
	// Interval is how often polling stats the folder's files; zero or
	// less means DefaultInterval.
	Interval time.Duration
	// Debounce is how long the folder must stay quiet before a burst of
	// changes is delivered as one Event; zero or less means
	// DefaultDebounce. When polling, a burst ends only after one more
	// Interval, so that a save caught half-way by one poll is finished by
	// the next.
	Debounce time.Duration
}

// Event is one burst of changes to the folder's files.
type Event struct {
	// Files are the base names of the files that were written, created,
	// removed, renamed or had their mode changed, sorted, each once. It is
	// empty when the watch knows something changed but not what: the
	// operating system's event queue overflowed, or the folder itself was
	// removed or renamed.
	Files []string
}

// Mode is how a watch sees changes. Its zero value is fsnotify.
type Mode struct {
	// Polling is true when the watch stats the files every Interval
	// instead of asking the operating system.
	Polling bool
	// Reason is why it polls when fsnotify could not watch the folder:
	// fsnotify's error. It is empty when the caller asked for polling.
	Reason string
}

// String is "fsnotify", "polling" or "polling (fsnotify: <why not>)".
func (m Mode) String() string {
	switch {
	case !m.Polling:
		return "fsnotify"
	case m.Reason == "":
		return "polling"
	default:
		return "polling (fsnotify: " + m.Reason + ")"
	}
}

// newFSWatcher starts fsnotify; specs replace it to see the fallback.
var newFSWatcher = fsnotify.NewWatcher

// Watch watches the files directly in folder dir until ctx is done, and
// returns the channel that delivers a burst of changes as one Event and how
// it watches. It is an error when dir is not a folder; when fsnotify cannot
// watch it, Watch polls and says why in the Mode. The Mode is how the watch
// begins: should fsnotify later lose the folder (removed or renamed) or
// fail, the watch goes on by polling.
//
// Events are not lost while the receiver is busy: changes made meanwhile
// are merged into the one Event waiting to be received, so a slow receiver
// gets at most one Event per receive, naming everything that changed since
// the last one. After ctx is done the channel is closed, and by then every
// goroutine Watch started has returned and fsnotify is closed.
//
// Watch is safe for concurrent use; each call is a watch of its own. The
// channel may be received from by any number of goroutines, each Event
// going to one of them.
func Watch(ctx context.Context, dir string, opts Options) (<-chan Event, Mode, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, Mode{}, fmt.Errorf("watch: %w", err)
	}
	if !st.IsDir() {
		return nil, Mode{}, fmt.Errorf("watch: %s is not a folder", dir)
	}
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	if opts.Debounce <= 0 {
		opts.Debounce = DefaultDebounce
	}
	w := &watcher{dir: filepath.Clean(dir), opts: opts, out: make(chan Event)}
	var mode Mode
	if opts.Poll {
		mode = Mode{Polling: true}
	} else if err := w.startFSNotify(); err != nil {
		mode = Mode{Polling: true, Reason: err.Error()}
	}
	if mode.Polling {
		w.startPolling()
	}
	go w.run(ctx)
	return w.out, mode, nil
}

// watcher is one watch. Only its own goroutine touches it after Watch
// returns.
type watcher struct {
	dir  string
	opts Options
	out  chan Event

	fsw *fsnotify.Watcher // nil when polling

	tick *time.Ticker        // nil when using fsnotify
	last map[string]fileStat // the files the last poll saw
}

// fileStat is what polling compares between two looks at a file.
type fileStat struct {
	size  int64
	mtime int64 // nanoseconds since 1970
	mode  fs.FileMode
}

// startFSNotify watches w.dir with fsnotify.
func (w *watcher) startFSNotify() error {
	fsw, err := newFSWatcher()
	if err != nil {
		return err
	}
	if err := fsw.Add(w.dir); err != nil {
		fsw.Close()
		return err
	}
	w.fsw = fsw
	return nil
}

// startPolling closes fsnotify if it was open and polls from now on, the
// files as they are now being the baseline.
func (w *watcher) startPolling() {
	if w.fsw != nil {
		w.fsw.Close()
		w.fsw = nil
	}
	w.last = scan(w.dir)
	w.tick = time.NewTicker(w.opts.Interval)
}

// run delivers Events until ctx is done, then closes w.out.
func (w *watcher) run(ctx context.Context) {
	defer close(w.out)
	defer func() {
		if w.fsw != nil {
			w.fsw.Close()
		}
		if w.tick != nil {
			w.tick.Stop()
		}
	}()

	files := map[string]bool{} // the burst so far
	dirty := false             // something changed since the last Event
	var first time.Time        // when the burst began
	ready := false             // the burst is over: offer it on w.out
	quiet := time.NewTimer(time.Hour)
	quiet.Stop()
	defer quiet.Stop()

	changed := func(names []string, unknown bool) {
		if len(names) == 0 && !unknown {
			return
		}
		for _, n := range names {
			files[n] = true
		}
		now := time.Now()
		if !dirty {
			dirty, first = true, now
		}
		// A burst that has lasted maxBurst gaps is left to end: the timer
		// is already running, or the Event is already on offer.
		if gap := w.quietGap(); now.Sub(first) < maxBurst*gap {
			ready = false
			quiet.Reset(gap)
		}
	}

	for {
		var (
			events <-chan fsnotify.Event
			errs   <-chan error
			tick   <-chan time.Time
			out    chan<- Event
			ev     Event
		)
		if w.fsw != nil {
			events, errs = w.fsw.Events, w.fsw.Errors
		} else {
			tick = w.tick.C
		}
		if ready {
			out = w.out
			ev = Event{Files: slices.Sorted(maps.Keys(files))}
		}
		select {
		case <-ctx.Done():
			return
		case e := <-events:
			if filepath.Clean(e.Name) == w.dir {
				// The folder itself was removed or renamed: fsnotify
				// sees nothing more of it, polling does.
				if e.Has(fsnotify.Remove) || e.Has(fsnotify.Rename) {
					w.startPolling()
					changed(nil, true)
				}
				continue
			}
			if w.counts(e) {
				changed([]string{filepath.Base(e.Name)}, false)
			}
		case err := <-errs:
			if !errors.Is(err, fsnotify.ErrEventOverflow) {
				w.startPolling()
			}
			changed(nil, true)
		case <-tick:
			now := scan(w.dir)
			changed(diff(w.last, now), false)
			w.last = now
		case <-quiet.C:
			ready = true
		case out <- ev:
			clear(files)
			dirty, ready = false, false
		}
	}
}

// quietGap is how long the folder must stay quiet to end a burst.
func (w *watcher) quietGap() time.Duration {
	if w.fsw == nil {
		return w.opts.Debounce + w.opts.Interval
	}
	return w.opts.Debounce
}

// counts reports whether fsnotify event e is a change to a file directly in
// the folder that is not an editor's temporary or backup file.
func (w *watcher) counts(e fsnotify.Event) bool {
	if filepath.Dir(e.Name) != w.dir || ignored(filepath.Base(e.Name)) {
		return false
	}
	if e.Has(fsnotify.Create) || e.Has(fsnotify.Write) || e.Has(fsnotify.Chmod) {
		// A new subfolder is not a file; a file gone already is a change.
		if st, err := os.Lstat(e.Name); err == nil && st.IsDir() {
			return false
		}
	}
	return true
}

// ignored reports whether a file named name is an editor's temporary or
// backup file, or hidden.
func ignored(name string) bool {
	return strings.HasPrefix(name, ".") || strings.HasPrefix(name, "#") ||
		strings.HasSuffix(name, "~") || strings.HasSuffix(name, ".swp") ||
		strings.HasSuffix(name, ".swx") || strings.HasSuffix(name, "4913") ||
		strings.HasSuffix(name, "___jb_tmp___") || strings.HasSuffix(name, "___jb_old___")
}

// scan stats every file directly in dir that is not ignored. A folder that
// cannot be read (removed, say) has no files.
func scan(dir string) map[string]fileStat {
	entries, _ := os.ReadDir(dir)
	files := make(map[string]fileStat, len(entries))
	for _, e := range entries {
		if e.IsDir() || ignored(e.Name()) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // removed since ReadDir: the next scan says so
		}
		files[e.Name()] = fileStat{size: info.Size(), mtime: info.ModTime().UnixNano(), mode: info.Mode()}
	}
	return files
}

// diff returns the names of the files created, removed or changed between
// two scans.
func diff(before, after map[string]fileStat) []string {
	var names []string
	for name, st := range after {
		if old, ok := before[name]; !ok || old != st {
			names = append(names, name)
		}
	}
	for name := range before {
		if _, ok := after[name]; !ok {
			names = append(names, name)
		}
	}
	return names
}
