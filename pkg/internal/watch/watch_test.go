package watch_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gleak"

	"github.com/racekit/racekit/pkg/internal/watch"
)

// The options the specs watch with: fsnotify with the default debounce,
// and polling fast enough for specs to be quick.
var (
	notify  = watch.Options{}
	polling = watch.Options{Poll: true, Interval: 20 * time.Millisecond, Debounce: 50 * time.Millisecond}
)

// arrives is how long a spec waits for an Event; quietFor how long it
// watches for a second one that should not come (several quiet gaps).
const (
	arrives  = 5 * time.Second
	quietFor = 600 * time.Millisecond
)

// watching starts a watch of a new temporary folder and returns the
// folder, the channel and the mode. When the spec ends it cancels the
// watch and expects the channel closed and no goroutine left behind.
func watching(opts watch.Options) (string, <-chan watch.Event, watch.Mode) {
	dir := GinkgoT().TempDir()
	changes, mode := watchingDir(dir, opts)
	return dir, changes, mode
}

// watchingDir is watching for a folder the spec made.
func watchingDir(dir string, opts watch.Options) (<-chan watch.Event, watch.Mode) {
	before := gleak.Goroutines()
	ctx, cancel := context.WithCancel(context.Background())
	changes, mode, err := watch.Watch(ctx, dir, opts)
	Expect(err).NotTo(HaveOccurred(), "a folder that exists can be watched")
	DeferCleanup(func() {
		cancel()
		Eventually(changes, arrives).Should(BeClosed(), "cancelling the context closes the channel")
		Eventually(gleak.Goroutines, arrives).ShouldNot(gleak.HaveLeaked(before),
			"once the channel is closed, every goroutine of the watch (fsnotify's too) has returned")
	})
	return changes, mode
}

// write writes contents to the file name in dir.
func write(dir, name, contents string) {
	GinkgoHelper()
	Expect(os.WriteFile(filepath.Join(dir, name), []byte(contents), 0o644)).To(Succeed())
}

// writeIgnored writes what editors write besides the file they save
// (swap, backup and lock files, vim's write test, GoLand's temporary file),
// then a subfolder with a file in it: none of it is a change.
func writeIgnored(dir string) {
	GinkgoHelper()
	for _, name := range []string{".object.go.swp", ".object.go.swx", "object.go~", "#object.go#", "4913", "object.go___jb_tmp___"} {
		write(dir, name, "x")
	}
	Expect(os.Remove(filepath.Join(dir, "4913"))).To(Succeed(), "vim removes its write test at once")
	Expect(os.Mkdir(filepath.Join(dir, "sub"), 0o755)).To(Succeed())
	write(filepath.Join(dir, "sub"), "object.go", "x")
}

// oneEvent expects exactly one Event on changes and returns it.
func oneEvent(changes <-chan watch.Event, why string) watch.Event {
	GinkgoHelper()
	var ev watch.Event
	Eventually(changes, arrives).Should(Receive(&ev), why)
	Consistently(changes, quietFor).ShouldNot(Receive(), "one save is one Event, however many events the file system sent for it")
	return ev
}

// noEvent expects no Event on changes for a while.
func noEvent(changes <-chan watch.Event, why string) {
	GinkgoHelper()
	Consistently(changes, quietFor).ShouldNot(Receive(), why)
}

var _ = Describe("Watch", func() {
	When("fsnotify can watch the folder", func() {
		var (
			dir     string
			changes <-chan watch.Event
		)
		BeforeEach(func() {
			var mode watch.Mode
			dir, changes, mode = watching(notify)
			Expect(mode.String()).To(Equal("fsnotify"), "a temporary folder on this machine can be watched with fsnotify (if not: is the machine out of inotify instances?)")
		})

		It("delivers one Event naming a file that was written", func() {
			write(dir, "object.go", "package lostupdate\n")
			Expect(oneEvent(changes, "writing a file is a change").Files).To(Equal([]string{"object.go"}))
		})

		It("delivers a burst of writes to several files as one Event", func() {
			for i := range 20 {
				write(dir, "object.go", "package lostupdate\n"+string(rune('a'+i)))
				write(dir, "doc.go", "package lostupdate\n"+string(rune('a'+i)))
			}
			Expect(oneEvent(changes, "twenty quick writes are a change").Files).To(Equal([]string{"doc.go", "object.go"}),
				"the Event names every file of the burst, each once, sorted")
		})

		It("delivers an editor-style save (a temporary file renamed over the old one) as one Event", func() {
			write(dir, "object.go", "package lostupdate\n")
			oneEvent(changes, "creating the file is a change")

			tmp, err := os.CreateTemp(dir, ".object.go-*")
			Expect(err).NotTo(HaveOccurred())
			_, err = tmp.WriteString("package lostupdate // saved\n")
			Expect(err).NotTo(HaveOccurred())
			Expect(tmp.Close()).To(Succeed())
			Expect(os.Chmod(tmp.Name(), 0o644)).To(Succeed())
			Expect(os.Rename(tmp.Name(), filepath.Join(dir, "object.go"))).To(Succeed())

			Expect(oneEvent(changes, "renaming a new version over the file is a change").Files).To(Equal([]string{"object.go"}),
				"the hidden temporary file is not named")
		})

		It("ignores editors' temporary and backup files and files in subfolders", func() {
			writeIgnored(dir)
			noEvent(changes, "editors' temporary and backup files, a subfolder and its files are not the lesson's files")

			write(dir, "object.go", "package lostupdate\n")
			Expect(oneEvent(changes, "the watch still sees a real save").Files).To(Equal([]string{"object.go"}),
				"the ignored files were not kept for the next Event either")
		})

		It("merges the changes made while the receiver is busy into one Event", func() {
			write(dir, "object.go", "package lostupdate\n")
			time.Sleep(3 * watch.DefaultDebounce) // the receiver is busy; the first burst is over
			write(dir, "doc.go", "package lostupdate\n")
			time.Sleep(3 * watch.DefaultDebounce) // still busy: the second burst is over too
			Expect(oneEvent(changes, "changes are kept until received").Files).To(Equal([]string{"doc.go", "object.go"}),
				"an Event that waits to be received takes in later changes instead of queueing a second Event")
		})

		It("goes on by polling when the folder itself is removed", func() {
			Expect(os.Remove(dir)).To(Succeed())
			ev := oneEvent(changes, "removing the folder is a change")
			Expect(ev.Files).To(BeEmpty(), "the watch cannot tell which files went with the folder")

			Expect(os.Mkdir(dir, 0o755)).To(Succeed())
			write(dir, "object.go", "package lostupdate\n")
			Eventually(changes, arrives).Should(Receive(HaveField("Files", ContainElement("object.go"))),
				"a file in the folder made again is seen, by polling, since fsnotify lost the old folder")
		})
	})

	When("polling", func() {
		var (
			dir     string
			changes <-chan watch.Event
		)
		BeforeEach(func() {
			dir = GinkgoT().TempDir()
			write(dir, "object.go", "package lostupdate\n")
			var mode watch.Mode
			changes, mode = watchingDir(dir, polling)
			Expect(mode).To(Equal(watch.Mode{Polling: true}), "the caller asked for polling")
			Expect(mode.String()).To(Equal("polling"))
			noEvent(changes, "files that were there when the watch began are not changes")
		})

		It("detects a changed file", func() {
			write(dir, "object.go", "package lostupdate // changed\n")
			Expect(oneEvent(changes, "a file whose size and modification time changed is a change").Files).To(Equal([]string{"object.go"}))
		})

		It("detects a new file", func() {
			write(dir, "doc.go", "package lostupdate\n")
			Expect(oneEvent(changes, "a file that was not there is a change").Files).To(Equal([]string{"doc.go"}))
		})

		It("detects a removed file", func() {
			Expect(os.Remove(filepath.Join(dir, "object.go"))).To(Succeed())
			Expect(oneEvent(changes, "a file that is gone is a change").Files).To(Equal([]string{"object.go"}))
		})

		It("ignores editors' temporary and backup files and files in subfolders", func() {
			writeIgnored(dir)
			noEvent(changes, "editors' temporary and backup files, a subfolder and its files are not the lesson's files")

			write(dir, "doc.go", "package lostupdate\n")
			Expect(oneEvent(changes, "the watch still sees a real save").Files).To(Equal([]string{"doc.go"}))
		})
	})

	When("fsnotify cannot start", func() {
		It("polls, says why, and still sees changes", func() {
			DeferCleanup(watch.FailFSNotify(errors.New("couldn't initialize inotify: too many open files")))
			dir, changes, mode := watching(watch.Options{Interval: 20 * time.Millisecond, Debounce: 50 * time.Millisecond})
			Expect(mode.Polling).To(BeTrue(), "without fsnotify the watch falls back to polling")
			Expect(mode.String()).To(Equal("polling (fsnotify: couldn't initialize inotify: too many open files)"),
				"the mode says why it polls, so a learner on a full machine knows")

			write(dir, "object.go", "package lostupdate\n")
			Expect(oneEvent(changes, "polling sees the new file").Files).To(Equal([]string{"object.go"}))
		})
	})

	When("the context is cancelled", func() {
		for _, opts := range []watch.Options{notify, polling} {
			It("closes the channel and leaves no goroutine behind, "+map[bool]string{false: "with fsnotify", true: "polling"}[opts.Poll], func() {
				before := gleak.Goroutines()
				ctx, cancel := context.WithCancel(context.Background())
				changes, _, err := watch.Watch(ctx, GinkgoT().TempDir(), opts)
				Expect(err).NotTo(HaveOccurred())
				cancel()
				Eventually(changes, arrives).Should(BeClosed(), "cancelling the context closes the channel")
				Eventually(gleak.Goroutines, arrives).ShouldNot(gleak.HaveLeaked(before),
					"once the channel is closed, every goroutine of the watch has returned")
			})
		}
	})

	When("the folder is not there", func() {
		It("is an error", func() {
			_, _, err := watch.Watch(context.Background(), filepath.Join(GinkgoT().TempDir(), "missing"), watch.Options{})
			Expect(err).To(MatchError(ContainSubstring("watch: ")), "a missing folder cannot be watched, and the error says so")
			Expect(errors.Is(err, os.ErrNotExist)).To(BeTrue(), "the error wraps the file system's")
		})

		It("is an error for a file", func() {
			file := filepath.Join(GinkgoT().TempDir(), "object.go")
			write(filepath.Dir(file), "object.go", "package lostupdate\n")
			_, _, err := watch.Watch(context.Background(), file, watch.Options{})
			Expect(err).To(MatchError("watch: "+file+" is not a folder"), "only a folder can be watched")
		})
	})
})
