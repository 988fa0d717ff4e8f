package verify_test

import (
	"bytes"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/course"
)

// racekit reset restores a lesson's starter from testdata/starters, so that
// copy must be the starter the kit ships in lessons/, to the byte.
var _ = Describe("the pristine starters in testdata/starters", func() {
	It("hold a folder for every lesson in the kit, and no other", func() {
		var want, got []string
		for _, l := range course.InKit() {
			want = append(want, l.Dir())
		}
		entries, err := os.ReadDir(filepath.Join(root, "testdata", "starters"))
		Expect(err).NotTo(HaveOccurred(), "racekit reset restores starters from testdata/starters")
		for _, e := range entries {
			got = append(got, e.Name())
		}
		Expect(got).To(Equal(want), "testdata/starters must hold one folder per lesson in course.InKit(), named as in lessons/")
	})

	for _, l := range course.InKit() {
		It("hold "+l.Dir()+"'s exercise files, byte-identical to lessons/"+l.Dir(), func() {
			lessonDir, starterDir := l.LessonDir(root), l.StarterDir(root)
			lessonFiles, err := course.ExerciseFiles(lessonDir)
			Expect(err).NotTo(HaveOccurred())
			Expect(lessonFiles).NotTo(BeEmpty(), "the lesson has exercise files")
			starterFiles, err := course.ExerciseFiles(starterDir)
			Expect(err).NotTo(HaveOccurred(), "every lesson in the kit needs a pristine starter in testdata/starters/%s", l.Dir())
			Expect(starterFiles).To(Equal(lessonFiles), "testdata/starters/%s must hold exactly the lesson's non-test .go files", l.Dir())

			entries, err := os.ReadDir(starterDir)
			Expect(err).NotTo(HaveOccurred())
			Expect(entries).To(HaveLen(len(starterFiles)), "testdata/starters/%s holds only exercise files: reset restores all of them", l.Dir())

			for _, name := range lessonFiles {
				a, _ := os.ReadFile(filepath.Join(lessonDir, name))
				b, _ := os.ReadFile(filepath.Join(starterDir, name))
				Expect(bytes.Equal(a, b)).To(BeTrue(), "testdata/starters/%s/%s must be a byte-identical copy of lessons/%s/%s (copy it with git show HEAD:lessons/%s/%s)", l.Dir(), name, l.Dir(), name, l.Dir(), name)
			}
		})
	}
})
