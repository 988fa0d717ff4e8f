package main_test

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
	"github.com/onsi/gomega/gexec"

	"github.com/racekit/racekit/pkg/internal/course"
)

// racekitBin is the racekit command, built once for the whole suite.
var racekitBin string

// kitRoot is the real checkout the tests run from. Tests that write (reset,
// hint, watch, check's progress file) use a copy made by tempKit instead.
var kitRoot string

var _ = SynchronizedBeforeSuite(func() []byte {
	bin, err := gexec.Build("github.com/racekit/racekit/pkg/cmd/racekit")
	Expect(err).NotTo(HaveOccurred(), "the racekit command must build")
	return []byte(bin)
}, func(bin []byte) {
	racekitBin = string(bin)
	var err error
	kitRoot, err = course.Root()
	Expect(err).NotTo(HaveOccurred())
})

var _ = SynchronizedAfterSuite(func() {
	if sharedKit != "" { // every process has its own
		Expect(os.RemoveAll(sharedKit)).To(Succeed())
	}
}, func() { gexec.CleanupBuildArtifacts() })

// racekit starts the racekit command in dir with args and NO_COLOR unset,
// and returns its session. Extra environment variables come after args as
// "KEY=VALUE" through racekitEnv.
func racekit(dir string, args ...string) *gexec.Session {
	return racekitEnv(dir, nil, args...)
}

// racekitEnv is racekit with extra environment variables.
func racekitEnv(dir string, env []string, args ...string) *gexec.Session {
	cmd := exec.Command(racekitBin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	s, err := gexec.Start(cmd, GinkgoWriter, GinkgoWriter)
	Expect(err).NotTo(HaveOccurred())
	return s
}

// finish waits for s to exit (at most limit) and returns its exit code.
func finish(s *gexec.Session, limit time.Duration) int {
	Eventually(s, limit).Should(gexec.Exit(), "racekit %s should finish", strings.Join(s.Command.Args[1:], " "))
	return s.ExitCode()
}

// sharedKit is the folder tempKit copies the kit into: the same one for
// every spec of this process, made by the first tempKit and removed after
// the suite (in SynchronizedAfterSuite). The go command's build cache keys a package by its folder, so
// a new folder per spec would compile the kit's packages again for every
// spec that builds a lesson; in one folder they compile once.
var sharedKit string

// solvedKit is tempKit with lesson l's exercise files replaced by its
// solution's, as a learner who solved it has them.
func solvedKit(l course.Lesson) string {
	kit := tempKit()
	names, err := course.ExerciseFiles(l.SolutionDir(kitRoot))
	Expect(err).NotTo(HaveOccurred())
	for _, name := range names {
		data, err := os.ReadFile(filepath.Join(l.SolutionDir(kitRoot), name))
		Expect(err).NotTo(HaveOccurred())
		Expect(os.WriteFile(filepath.Join(l.LessonDir(kit), name), data, 0o644)).To(Succeed())
	}
	return kit
}

// tempKit returns a checkout the test may write to: the kit's go.mod,
// go.sum and pkg/, copied once per process, and fresh copies of lessons/,
// solutions/ and testdata/starters/, with everything an earlier spec left
// there removed. pkg/ is read-only to the specs; every spec gets the
// lessons as they ship.
func tempKit() string {
	keep := []string{"go.mod", "go.sum", "pkg"}
	if sharedKit == "" {
		dir, err := os.MkdirTemp("", "racekit-cmd-kit-")
		Expect(err).NotTo(HaveOccurred())
		sharedKit = dir
		for _, name := range keep {
			Expect(copyTree(filepath.Join(kitRoot, name), filepath.Join(dir, name))).To(Succeed())
		}
	}
	entries, err := os.ReadDir(sharedKit)
	Expect(err).NotTo(HaveOccurred())
	for _, e := range entries {
		if !slices.Contains(keep, e.Name()) {
			Expect(os.RemoveAll(filepath.Join(sharedKit, e.Name()))).To(Succeed())
		}
	}
	for _, name := range []string{"lessons", "solutions", filepath.Join("testdata", "starters")} {
		Expect(copyTree(filepath.Join(kitRoot, name), filepath.Join(sharedKit, name))).To(Succeed())
	}
	return sharedKit
}

// copyTree copies the file or folder src to dst.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
}

// snapshot reads every file below dir into a map from relative path to
// contents, to show that a command left a learner's files as they were.
func snapshot(dir string) map[string]string {
	files := map[string]string{}
	Expect(filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		rel, _ := filepath.Rel(dir, path)
		files[rel] = string(data)
		return err
	})).To(Succeed())
	return files
}

// gbytesSay is gbytes.Say, named for reading as a sentence.
var gbytesSay = gbytes.Say
