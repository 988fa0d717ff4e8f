package main_test

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/vt"
	"github.com/creack/pty"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/internal/course"
)

// terminal is racekit running in a pseudo-terminal, as a learner runs it,
// with a terminal emulator (charmbracelet/x/vt) reading what it draws:
// the game redraws only the cells that change, so only an emulator knows
// what the screen shows.
type terminal struct {
	cmd  *exec.Cmd
	tty  *os.File
	emu  *vt.SafeEmulator
	mu   sync.Mutex   // guards seen
	seen bytes.Buffer // everything the program wrote, escape sequences and all
	done chan struct{}
}

// inTerminal starts racekit with args in a 160×45 pseudo-terminal in dir.
func inTerminal(dir string, args ...string) *terminal {
	const cols, rows = 160, 45
	cmd := exec.Command(racekitBin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TERM=xterm-256color")
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: rows, Cols: cols})
	Expect(err).NotTo(HaveOccurred(), "racekit should start in a pseudo-terminal")
	t := &terminal{cmd: cmd, tty: tty, emu: vt.NewSafeEmulator(cols, rows), done: make(chan struct{})}
	go func() {
		defer close(t.done)
		buf := make([]byte, 4096)
		for {
			n, err := tty.Read(buf)
			t.mu.Lock()
			t.seen.Write(buf[:n])
			t.mu.Unlock()
			_, _ = t.emu.Write(buf[:n])
			if err != nil {
				return
			}
		}
	}()
	// The emulator answers the program's queries (cursor position and
	// the like), as a terminal does. Its answers must be read, or its Write
	// blocks. The copy outlives the spec, blocked in Read: x/vt v0.1.0's
	// Close would race with that Read.
	go func() { _, _ = io.Copy(tty, t.emu) }()
	DeferCleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		tty.Close()
	})
	return t
}

// screen is the text the terminal shows now, a line each, without styles.
func (t *terminal) screen() string {
	return ansi.Strip(t.emu.Render())
}

// printed is everything the program wrote, without its control sequences:
// what stays on the terminal after the game, in the order it was written.
func (t *terminal) printed() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return ansi.Strip(t.seen.String())
}

// press types keys, one at a time, each once the screen shows what after
// says the game draws after it (the schedule line, say).
func (t *terminal) press(keys string, after func(i int) string) {
	for i, k := range strings.Fields(keys) {
		_, err := io.WriteString(t.tty, k)
		Expect(err).NotTo(HaveOccurred())
		want := after(i)
		Eventually(t.screen, 30*time.Second).Should(ContainSubstring(want), "after key %q the game should show %q", k, want)
	}
}

// click clicks the left mouse button on the first line of the screen that
// holds text, as an xterm reports it in SGR mode.
func (t *terminal) click(text string) {
	row := slices.IndexFunc(strings.Split(t.screen(), "\n"), func(l string) bool { return strings.Contains(l, text) })
	Expect(row).To(BeNumerically(">=", 0), "the screen should show %q to click on:\n%s", text, t.screen())
	_, err := fmt.Fprintf(t.tty, "\x1b[<0;5;%dM\x1b[<0;5;%dm", row+1, row+1)
	Expect(err).NotTo(HaveOccurred())
}

// exit waits for the program to end.
func (t *terminal) exit() {
	Eventually(t.done, time.Minute).Should(BeClosed(), "racekit play should end once q is pressed")
}

var _ = Describe("racekit play", func() {
	// goal is lesson 1's foo trace's goal, which the game shows as it starts.
	const goal = "Goal: make foo leak"

	When("the learner's code is lesson 1's starter", func() {
		It("lets the learner play the foo trace by keys, announces the leak and prints the schedule", func() {
			t := inTerminal(tempKit(), "play", "1")
			Eventually(t.screen, 3*time.Minute).Should(ContainSubstring(goal), "the game shows the scenario's goal")
			Eventually(t.screen, time.Minute).Should(ContainSubstring("the exploration found schedules that reach it"),
				"on the starter the exploration says the goal can be reached, without saying how")
			Expect(t.screen()).To(MatchRegexp(`\[a\] A +new`), "each goroutine has a lane with its key")

			// The foo trace's schedule, A*3 B*3 A B A B: the first step by a
			// click on A's lane, then one key a step.
			t.click("[a] A")
			Eventually(t.screen, 30*time.Second).Should(ContainSubstring("schedule: A)"), "a click on A's lane lets A take a step")
			steps := strings.Fields("a a b b b a b a b")
			t.press(strings.Join(steps, " "), func(i int) string {
				if i == len(steps)-1 {
					return "goal reached"
				}
				return "schedule: " + schedule(append([]string{"a"}, steps[:i+1]...)) + ")"
			})
			Expect(t.screen()).To(ContainSubstring("goal reached: refcount is 2, but only foo's owner still holds it (want 1): foo leaks"),
				"the game announces the leak as the spec says it")

			// Undo takes the last step back; the run is no longer over.
			t.press("u", func(int) string { return "schedule: A*3 B*3 A B A)" })
			t.press("b", func(int) string { return "goal reached" })

			_, err := io.WriteString(t.tty, "q")
			Expect(err).NotTo(HaveOccurred())
			t.exit()
			out := t.printed()
			Expect(out).To(ContainSubstring("  6. B  DecRef  writes 2"), "the trace stays on the terminal after the game")
			Expect(out).To(ContainSubstring("replay this schedule: A*3 B*3 A B A B"), "and the schedule that replays it")
			Expect(out).To(ContainSubstring(`replay 1 "A*3 B*3 A B A B"`), "and the command that shows it again")
		})
	})

	When("the learner's code is lesson 1's solution", func() {
		It("says the goal cannot be reached, by the exploration's word and how far it looked", func() {
			kit := solvedKit(course.Lessons[0])
			t := inTerminal(kit, "play", "1")
			Eventually(t.screen, 3*time.Minute).Should(ContainSubstring("the goal cannot be reached with your code"))
			Expect(t.screen()).To(ContainSubstring("(exhaustive)"), "the exploration covered every schedule up to the order of independent steps")

			// B meets A's lock: the lane says so, and b does nothing.
			t.press("a a b", func(i int) string { return "schedule: " + schedule(strings.Fields("A A B")[:i+1]) + ")" })
			Eventually(t.screen).Should(MatchRegexp(`\[b\] B +waits .*waits for foo\.mu, which A holds`))
			_, err := io.WriteString(t.tty, "q")
			Expect(err).NotTo(HaveOccurred())
			t.exit()
			Expect(t.printed()).To(ContainSubstring("✓ the goal cannot be reached with your code:"), "the closing words stay on the terminal")
		})
	})

	When("it starts from a schedule (--replay)", func() {
		It("takes the schedule's steps first, and the learner goes on from there", func() {
			t := inTerminal(tempKit(), "play", "1", "--replay", "A*3 B*3 A B A")
			Eventually(t.screen, 3*time.Minute).Should(ContainSubstring("schedule: A*3 B*3 A B A)"), "the game starts where the schedule ends")
			t.press("b", func(int) string { return "goal reached" })
			_, err := io.WriteString(t.tty, "q")
			Expect(err).NotTo(HaveOccurred())
			t.exit()
		})
	})

	When("no scenario its specs reach has the word asked for", func() {
		It("lists the scenarios they ran, with their goals, and exits with status 2", func() {
			t := inTerminal(tempKit(), "play", "1", "zzz")
			t.exit()
			_ = t.cmd.Wait()
			Expect(t.cmd.ProcessState.ExitCode()).To(Equal(2), "a word that names no scenario is bad usage")
			out := t.printed()
			Expect(out).To(ContainSubstring(`no scenario of lesson 1 that its specs reached has "zzz" in its name`))
			Expect(out).To(ContainSubstring("the foo trace: two threads take and drop a reference to foo (refcount starts at 1) (goal: make foo leak"),
				"each scenario is named once, with its goal when it has one")
		})
	})

	When("the lesson's specs give no scenario a goal (lesson 5)", func() {
		It("says so, and how to step through one anyway or print a schedule's trace", func() {
			t := inTerminal(tempKit(), "play", "5")
			t.exit()
			out := t.printed()
			Expect(out).To(ContainSubstring("lesson 5's specs give no scenario a goal to play for"))
			Expect(out).To(ContainSubstring("play 5 WORD"), "a word of a scenario's name plays it without a goal")
			Expect(out).To(ContainSubstring(`replay 5 "SCHEDULE"`))
			Expect(out).To(ContainSubstring("A and B count down from 2 at once"), "and the scenarios its specs ran are listed")
		})
	})

	When("it is not run in a terminal", func() {
		It("says so and points at racekit replay, with status 2", func() {
			s := racekit(kitRoot, "play", "1")
			Expect(finish(s, time.Minute)).To(Equal(2))
			Expect(string(s.Err.Contents())).To(ContainSubstring("play is a game for a terminal"))
			Expect(string(s.Err.Contents())).To(ContainSubstring("replay 1"))
		})
	})
})

// schedule is steps (lower-case keys) as the game writes a schedule.
func schedule(keys []string) string {
	var b strings.Builder
	for i := 0; i < len(keys); {
		j := i
		for j < len(keys) && keys[j] == keys[i] {
			j++
		}
		if b.Len() > 0 {
			b.WriteString(" ")
		}
		b.WriteString(strings.ToUpper(keys[i]))
		if j-i > 1 {
			b.WriteString("*" + string(rune('0'+j-i)))
		}
		i = j
	}
	return b.String()
}
