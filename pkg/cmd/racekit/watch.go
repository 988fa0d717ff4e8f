package main

import (
	"context"
	"slices"
	"strings"

	"github.com/racekit/racekit/pkg/internal/course"
	"github.com/racekit/racekit/pkg/internal/progress"
	"github.com/racekit/racekit/pkg/internal/watch"
)

// runWatch carries out racekit watch: it checks the lesson, then checks it
// again whenever one of its Go files is saved, until Ctrl-C. A check that
// could not run is said and the watch goes on; a lesson that passes is
// still watched, and the next lesson is named, not switched to.
func runWatch(ctx context.Context, e *env, args []string) error {
	fs := e.flags("watch")
	poll := fs.Bool("poll", false, "look at the lesson's files every half second instead of asking the operating system (for network disks, or when saves go unseen)")
	rest, err := e.parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	l, err := e.lesson(rest, true)
	if err != nil {
		return err
	}
	dir := l.LessonDir(e.root)
	changes, mode, err := watch.Watch(ctx, dir, watch.Options{Poll: *poll})
	if err != nil {
		return err
	}
	waiting := func() {
		e.out.printf("\nwatching %s for changes (%s); press Ctrl-C to stop\n", e.display(dir), mode)
	}
	first := true
	watchLoop(ctx, changes, func(ev watch.Event) {
		if !first {
			e.out.printf("\n%s\n", e.out.paint(bold, changed(e.out, ev.Files)))
		}
		first = false
		passed, err := checkLesson(ctx, e, l)
		if ctx.Err() != nil {
			return
		}
		switch {
		case err != nil:
			e.errOut.printf("racekit watch: %v\n", err)
		case passed:
			e.watchNext(l)
		}
		waiting()
	})
	for range changes {
		// Wait for the watch to close: fsnotify is shut down tidily.
	}
	e.out.printf("\nstopped watching %s\n", e.display(dir))
	return nil
}

// watchLoop calls check once, then again after every Event on changes that
// names a Go file (or cannot say which files changed), until ctx is done or
// changes is closed. The Events that arrived while check ran are merged
// into one, so a check is followed by at most one more, whatever the number
// of saves meanwhile. The first call gets the zero Event.
func watchLoop(ctx context.Context, changes <-chan watch.Event, check func(watch.Event)) {
	check(watch.Event{})
	for {
		var ev watch.Event
		select {
		case <-ctx.Done():
			return
		case e, ok := <-changes:
			if !ok {
				return
			}
			ev = e
		}
		unknown := len(ev.Files) == 0
		// Take in whatever else is waiting, without waiting for more.
	merge:
		for {
			select {
			case e, ok := <-changes:
				if !ok {
					break merge
				}
				unknown = unknown || len(e.Files) == 0
				ev.Files = append(ev.Files, e.Files...)
			default:
				break merge
			}
		}
		if ctx.Err() != nil {
			return
		}
		if unknown {
			ev.Files = nil
		} else if !namesGoFile(ev.Files) {
			continue // notes, READMEs: the check's result cannot change
		}
		check(ev)
	}
}

// namesGoFile reports whether files holds a Go source file.
func namesGoFile(files []string) bool { return len(goFiles(files)) > 0 }

// goFiles returns the Go source files among files, sorted, each once.
func goFiles(files []string) []string {
	var out []string
	for _, f := range files {
		if strings.HasSuffix(f, ".go") {
			out = append(out, f)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// changed says which Go files changed: "object.go changed", "doc.go and
// object.go changed", "the lesson's folder changed" when the watch cannot
// tell.
func changed(p *printer, files []string) string {
	names := goFiles(files)
	switch len(names) {
	case 0:
		return p.tr("the lesson's folder changed")
	case 1:
		return p.tr("%s changed", names[0])
	default:
		return p.tr("%s and %s changed", strings.Join(names[:len(names)-1], ", "), names[len(names)-1])
	}
}

// watchNext says, after lesson l passed, that watch goes on with l and how
// to watch the next lesson not yet passed instead.
func (e *env) watchNext(l course.Lesson) {
	st, err := progress.Load(e.root)
	if err != nil {
		return // check has already said what is wrong with the file
	}
	if next, ok := st.Next(course.InKit()); ok {
		e.out.printf("still watching lesson %d; to watch lesson %d instead, press Ctrl-C and run %s\n",
			l.Number, next.Number, e.suggest("watch", next.Number))
	}
}
