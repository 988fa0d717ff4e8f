package main_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/internal/course"
	"github.com/racekit/racekit/pkg/internal/progress"
)

// The learner's commands (status, hint, reset, solution) answer at once:
// they run no go command.
const quick = 20 * time.Second

// result is what one racekit run printed and its exit status.
type result struct {
	out, err string
	code     int
}

// run runs racekit in kit with args and waits for it.
func run(kit string, args ...string) result {
	s := racekit(kit, args...)
	code := finish(s, quick)
	return result{string(s.Out.Contents()), string(s.Err.Contents()), code}
}

// onTerminal runs racekit in kit with args on a pseudo-terminal (through
// util-linux's script) with the extra environment env, and returns what it
// printed. It skips the spec where script is missing.
func onTerminal(kit string, env []string, args ...string) string {
	script, err := exec.LookPath("script")
	if err != nil {
		Skip("util-linux's script is not installed, so no terminal can be faked")
	}
	line := racekitBin + " " + strings.Join(args, " ")
	cmd := exec.Command(script, "-qec", line, "/dev/null")
	cmd.Dir = kit
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.Output()
	Expect(err).NotTo(HaveOccurred(), "racekit %s on a terminal should succeed", strings.Join(args, " "))
	return string(out)
}

// record writes a progress file in kit saying how each lesson's last check
// went: true passed, false failed.
func record(kit string, checks map[int]bool) {
	st, err := progress.Load(kit)
	Expect(err).NotTo(HaveOccurred())
	for n, passed := range checks {
		st.Checked(course.Lessons[n-1], passed, time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	}
	Expect(st.Save(kit)).To(Succeed())
}

// lessonFile is the path of a file of lesson l (a number) in kit.
func lessonFile(kit string, l int, name string) string {
	return filepath.Join(course.Lessons[l-1].LessonDir(kit), name)
}

// escapeCode is how every ANSI colour starts.
const escapeCode = "\x1b["
