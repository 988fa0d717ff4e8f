package play_test

import (
	"errors"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/interleave"
	"github.com/racekit/racekit/pkg/internal/play"
)

// game is a Model whose commands are recorded instead of sent.
type game struct {
	m    *play.Model
	sent []interleave.PlayCommand
}

func newGame(start ...string) *game {
	g := &game{}
	g.m = play.New(interleave.PlayMessage{Type: "hello", Scenario: "the foo trace", Goal: "make foo leak"},
		play.Options{Title: "lesson 1", Send: func(c interleave.PlayCommand) { g.sent = append(g.sent, c) }, Start: start})
	g.m.Init()
	return g
}

// state delivers a run waiting after schedule, with lanes named names, all ready.
func (g *game) state(schedule []string, names ...string) tea.Cmd {
	s := interleave.PlayMessage{Type: "state", Schedule: schedule}
	for _, n := range names {
		s.Lanes = append(s.Lanes, interleave.PlayLane{Name: n, Status: "ready"})
	}
	_, cmd := g.m.Update(play.Message{PlayMessage: s})
	return cmd
}

func (g *game) keys(runes string) tea.Cmd {
	var cmd tea.Cmd
	for _, r := range runes {
		if _, c := g.m.Update(tea.KeyPressMsg{Code: r, Text: string(r)}); c != nil {
			cmd = c
		}
	}
	return cmd
}

// screen is the game's view as a terminal shows it, without its styles.
func (g *game) screen() string { return ansi.Strip(g.m.View().Content) }

// last is the last command sent.
func (g *game) last() interleave.PlayCommand { return g.sent[len(g.sent)-1] }

var _ = Describe("Model", func() {
	It("asks for the exploration's verdict and the first state as it starts", func() {
		g := newGame("A", "A")
		Expect(g.sent).To(Equal([]interleave.PlayCommand{{Op: "explore"}, {Op: "run", Schedule: []string{"A", "A"}}}))
	})

	When("a goroutine's key is pressed", func() {
		It("asks for the schedule one step longer", func() {
			g := newGame()
			g.state(nil, "A", "B")
			g.keys("b")
			Expect(g.last()).To(Equal(interleave.PlayCommand{Op: "run", Schedule: []string{"B"}}))
		})
	})

	When("keys come faster than the steps", func() {
		It("takes them in order, each once the step before has come back", func() {
			g := newGame()
			g.state(nil, "A", "B")
			g.keys("ab")
			Expect(g.sent).To(HaveLen(3), "the second key waits for the first step's state")
			g.state([]string{"A"}, "A", "B")
			Expect(g.last()).To(Equal(interleave.PlayCommand{Op: "run", Schedule: []string{"A", "B"}}))
		})
	})

	When("a goroutine is named like one of the game's keys", func() {
		It("moves the goroutine: R is a lane, and ctrl+r restarts", func() {
			g := newGame()
			g.state([]string{"W"}, "R", "W")
			g.keys("r")
			Expect(g.last()).To(Equal(interleave.PlayCommand{Op: "run", Schedule: []string{"W", "R"}}))
			g.state([]string{"W", "R"}, "R", "W")
			g.m.Update(tea.KeyPressMsg{Code: 'r', Mod: tea.ModCtrl})
			Expect(g.last().Op).To(Equal("run"))
			Expect(g.last().Schedule).To(BeEmpty(), "ctrl+r starts the run again from its first step")
			Expect(g.screen()).To(ContainSubstring("running..."))
		})
	})

	When("the learner undoes a step", func() {
		It("asks for the schedule one step shorter", func() {
			g := newGame()
			g.state([]string{"A", "B"}, "A", "B")
			g.keys("u")
			Expect(g.last()).To(Equal(interleave.PlayCommand{Op: "run", Schedule: []string{"A"}}))
		})
	})

	When("the learner clicks a lane", func() {
		It("moves that lane's goroutine", func() {
			g := newGame()
			g.state(nil, "A", "B")
			view := g.screen()
			Expect(view).To(ContainSubstring("[b] B"))
			row := 0
			for i, line := range splitLines(view) {
				if containsAll(line, "[b]") {
					row = i
				}
			}
			g.m.Update(tea.MouseClickMsg{X: 4, Y: row, Button: tea.MouseLeft})
			Expect(g.last()).To(Equal(interleave.PlayCommand{Op: "run", Schedule: []string{"B"}}))
		})
	})

	When("a run breaks the scenario", func() {
		It("announces the goal reached and keeps the run for the closing words", func() {
			g := newGame()
			g.m.Update(play.Message{PlayMessage: interleave.PlayMessage{Type: "state", Ended: true, Schedule: []string{"A", "B"},
				Failure: "the foo trace\n  refcount is 2: foo leaks\n  replay this schedule: A B", Broke: "refcount is 2: foo leaks"}})
			Expect(g.screen()).To(ContainSubstring("goal reached: refcount is 2: foo leaks"))
			Expect(g.screen()).To(ContainSubstring("replay this schedule: A B"))
			Expect(g.m.Reached()).NotTo(BeNil())
			Expect(g.m.Reached().Schedule).To(Equal([]string{"A", "B"}))
		})
	})

	When("a run could not finish (a goroutine stuck in the code)", func() {
		It("says so, and does not call it the goal", func() {
			g := newGame()
			g.m.Update(play.Message{PlayMessage: interleave.PlayMessage{Type: "state", Ended: true, Schedule: []string{"A"}, Unfinished: true,
				Failure: "A did not come back to the scheduler within 10s", Broke: "A did not come back to the scheduler within 10s"}})
			Expect(g.screen()).To(ContainSubstring("the run could not finish, so this is not the goal: A did not come back"))
			Expect(g.screen()).NotTo(ContainSubstring("goal reached"))
			Expect(g.m.Reached()).To(BeNil())
		})
	})

	When("the exploration finds no way to the goal", func() {
		It("says the goal cannot be reached, and how far the exploration looked, when it covered every outcome", func() {
			g := newGame()
			g.m.Update(play.Message{PlayMessage: interleave.PlayMessage{Type: "explored", Exhaustive: true, Coverage: "explored 9 schedules (exhaustive)"}})
			Expect(g.screen()).To(ContainSubstring("the goal cannot be reached with your code, by the exploration's word: explored 9 schedules (exhaustive)"))
		})

		It("claims no more than the exploration did when it left schedules out", func() {
			g := newGame()
			g.m.Update(play.Message{PlayMessage: interleave.PlayMessage{Type: "explored", Coverage: "explored 28 schedules with at most 2 preemptions; exploring is not a proof"}})
			Expect(g.screen()).To(ContainSubstring("the exploration found no schedule that reaches the goal with your code: explored 28 schedules"))
			Expect(g.screen()).NotTo(ContainSubstring("cannot be reached"))
		})
	})

	When("the test binary goes away", func() {
		It("is a crash when the learner did not quit", func() {
			g := newGame()
			g.m.Update(play.Gone{Err: errors.New("the lesson's test binary ended")})
			Expect(g.m.Gone()).To(MatchError("the lesson's test binary ended"))
		})

		It("is no news after the learner quit, whichever message comes first", func() {
			g := newGame()
			g.state(nil, "A", "B")
			g.keys("q")
			g.m.Update(play.Gone{Err: errors.New("the lesson's test binary ended")})
			Expect(g.m.Gone()).To(BeNil())
		})
	})
})

func splitLines(s string) []string { return strings.Split(s, "\n") }

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
