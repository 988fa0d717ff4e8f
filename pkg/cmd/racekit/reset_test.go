package main_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/internal/course"
	"github.com/racekit/racekit/pkg/internal/progress"
)

var _ = Describe("racekit reset", func() {
	var kit, lessonDir, backups string
	lesson := course.Lessons[0]

	BeforeEach(func() {
		kit = tempKit()
		lessonDir = lesson.LessonDir(kit)
		backups = filepath.Join(kit, progress.Dir, "backups")
	})

	// write puts text in a file of lesson 1.
	write := func(name, text string) {
		Expect(os.WriteFile(filepath.Join(lessonDir, name), []byte(text), 0o644)).To(Succeed())
	}
	// backupFolders lists the folders in .racekit/backups.
	backupFolders := func() []string {
		entries, err := os.ReadDir(backups)
		if os.IsNotExist(err) {
			return nil
		}
		Expect(err).NotTo(HaveOccurred())
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		return names
	}

	When("the lesson is untouched", func() {
		It("says so and changes nothing, not even a backup", func() {
			write("notes.txt", "my notes")
			before := snapshot(kit)
			r := run(kit, "reset", "1")
			Expect(r.code).To(Equal(0), r.err)
			Expect(r.out).To(ContainSubstring("already holds the starter"), "the learner learns there was nothing to do")
			Expect(r.out).To(ContainSubstring("no backup made"))
			Expect(snapshot(kit)).To(Equal(before), "reset of an untouched lesson writes nothing at all")
		})
	})

	When("the learner edited, added and deleted files", func() {
		It("backs up every file first, restores the starter and specs byte for byte, and removes only .go files it backed up", func() {
			write("object.go", "package lostupdate\n\n// my attempt\n")
			write("object_test.go", "package lostupdate_test\n")
			write("helper.go", "package lostupdate\n\nfunc helper() {}\n")
			write("notes.txt", "what I tried")
			write("README.md", "my own readme")
			Expect(os.Remove(filepath.Join(lessonDir, "doc.go"))).To(Succeed())
			Expect(os.Mkdir(filepath.Join(lessonDir, "scratch"), 0o755)).To(Succeed())
			write(filepath.Join("scratch", "idea.go"), "package scratch\n")
			before := snapshot(lessonDir)

			r := run(kit, "reset", "lost-update")
			Expect(r.code).To(Equal(0), r.err)

			folders := backupFolders()
			Expect(folders).To(HaveLen(1), "one reset makes one backup")
			Expect(folders[0]).To(MatchRegexp(`^01-lost-update-\d{8}-\d{6}$`), "the backup is named after the lesson and the time")
			backup := filepath.Join(backups, folders[0])
			Expect(snapshot(backup)).To(Equal(before), "the backup holds every file the lesson had, byte for byte, folders included")
			Expect(r.out).To(ContainSubstring(filepath.Join(progress.Dir, "backups", folders[0])), "reset says where the backup is")
			Expect(r.out).To(ContainSubstring("all %d of its files", len(before)), "and how many files it copied")

			for _, src := range []struct{ dir, name string }{
				{lesson.StarterDir(kit), "doc.go"},
				{lesson.StarterDir(kit), "object.go"},
				{lesson.SolutionDir(kit), "object_test.go"},
			} {
				want, err := os.ReadFile(filepath.Join(src.dir, src.name))
				Expect(err).NotTo(HaveOccurred())
				got, err := os.ReadFile(filepath.Join(lessonDir, src.name))
				Expect(err).NotTo(HaveOccurred(), "%s is restored", src.name)
				Expect(string(got)).To(Equal(string(want)), "%s is the pristine copy, byte for byte", src.name)
				Expect(r.out).To(MatchRegexp(`(?m)^  %s +from \S+%s`, regexp.QuoteMeta(src.name), regexp.QuoteMeta(src.name)), "reset lists what it restored and from where")
			}
			Expect(r.out).To(MatchRegexp(`doc\.go +from testdata/starters/01-lost-update/doc\.go \(yours was missing\)`), "reset tells a deleted file from an edited one")
			Expect(r.out).To(MatchRegexp(`object\.go +from testdata/starters/01-lost-update/object\.go \(yours differed\)`))
			Expect(filepath.Join(lessonDir, "helper.go")).NotTo(BeAnExistingFile(), "a .go file of the learner's own is removed")
			Expect(r.out).To(ContainSubstring("Removed (they are in the backup): helper.go"), "and reset says so")

			after := snapshot(lessonDir)
			Expect(after).To(HaveKeyWithValue("notes.txt", "what I tried"), "files that are not .go files are left alone")
			Expect(after).To(HaveKeyWithValue("README.md", "my own readme"), "even the lesson's own markdown")
			Expect(after).To(HaveKeyWithValue(filepath.Join("scratch", "idea.go"), "package scratch\n"), "a sub-folder is another package, left alone")

			Expect(run(kit, "reset", "1").out).To(ContainSubstring("already holds the starter"), "a second reset finds nothing to do")
			Expect(backupFolders()).To(HaveLen(1), "and makes no second backup")
		})
	})

	When("the lesson had passed", func() {
		It("marks it not yet run, since the code that passed is now in the backup", func() {
			record(kit, map[int]bool{1: true})
			write("object.go", "package lostupdate\n")
			Expect(run(kit, "reset", "1").code).To(Equal(0))
			st, err := progress.Load(kit)
			Expect(err).NotTo(HaveOccurred())
			Expect(st.Of(lesson).Status).To(Equal(progress.NotRun), "a reset lesson must be checked again before status calls it passed or solution shows the answer")
		})
	})

	When("a backup folder for this second exists already", func() {
		It("makes a new folder next to it and touches none of the old ones", func() {
			now := time.Now()
			var taken []string
			for s := -2; s <= 30; s++ {
				name := lesson.Dir() + "-" + now.Add(time.Duration(s)*time.Second).Format("20060102-150405")
				Expect(os.MkdirAll(filepath.Join(backups, name), 0o755)).To(Succeed())
				taken = append(taken, name)
			}
			write("object.go", "package lostupdate\n")
			r := run(kit, "reset", "1")
			Expect(r.code).To(Equal(0), r.err)
			folders := backupFolders()
			Expect(folders).To(HaveLen(len(taken)+1), "reset made exactly one new folder")
			for _, name := range taken {
				Expect(os.ReadDir(filepath.Join(backups, name))).To(BeEmpty(), "an existing backup folder is never written into")
			}
			var fresh string
			for _, f := range folders {
				if !slices.Contains(taken, f) {
					fresh = f
				}
			}
			Expect(fresh).To(MatchRegexp(`^01-lost-update-\d{8}-\d{6}-2$`), "the new folder takes the next free suffix")
			Expect(snapshot(filepath.Join(backups, fresh))).To(HaveKeyWithValue("object.go", "package lostupdate\n"), "the learner's file is in the new backup")
		})
	})

	When("the pristine starter is missing", func() {
		It("exits 2, names the folder it needs, and changes nothing", func() {
			Expect(os.RemoveAll(lesson.StarterDir(kit))).To(Succeed())
			write("object.go", "package lostupdate\n")
			before := snapshot(kit)
			r := run(kit, "reset", "1")
			Expect(r.code).To(Equal(2), "reset cannot restore what it does not have")
			Expect(r.err).To(ContainSubstring(filepath.Join("testdata", "starters", "01-lost-update")), "the message names the missing folder")
			Expect(snapshot(kit)).To(Equal(before), "no file of the learner's is touched, and no backup is made")
		})
	})

	It("needs a lesson, and lists them for an unknown one", func() {
		r := run(kit, "reset")
		Expect(r.code).To(Equal(2), "reset never guesses which lesson to wipe")
		Expect(r.err).To(ContainSubstring("which lesson?"))
		r = run(kit, "reset", "42")
		Expect(r.code).To(Equal(2))
		Expect(r.err).To(ContainSubstring("the lessons are: 1 or lost-update"), "the learner sees the lessons there are")
	})
})
