// Package play is racekit play's terminal game: the learner is the
// scheduler of one of a lesson's scenarios, run by the lesson's test binary
// against the learner's own code (interleave.Play), and picks which
// goroutine takes each next step until the scenario's checks break.
//
// [Model] is a Bubble Tea model that shows the run and turns keys and
// clicks into [interleave.PlayCommand]s; [Session] starts the test binary
// and carries the commands and messages. The model holds no goroutine of its
// own: like every Bubble Tea model it is used from the program's goroutine
// only.
package play

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/racekit/racekit/pkg/interleave"
)

// Model is the game's state as Bubble Tea sees it. Make one with New.
type Model struct {
	title  string                       // "lesson 1 (lost-update)"
	send   func(interleave.PlayCommand) // writes a command to the test binary
	source func(file string, line int) string
	tr     func(format string, args ...any) string

	hello    interleave.PlayMessage  // the scenario and its goal
	explored *interleave.PlayMessage // the exploration's verdict; nil until it comes
	state    *interleave.PlayMessage // the run as it stands; nil while a step is on its way
	asked    []string                // the schedule last asked for
	reached  *interleave.PlayMessage // the last run that broke the scenario, for the closing words
	outcomes bool                    // the outcome table is shown ("what could happen here?")
	queued   []string                // keys typed while a step was on its way, to apply when it comes
	gone     error                   // the test binary went away by itself: why
	quitting bool                    // the learner quit: the binary's end that follows is no news
	width    int
	height   int
	// laneRows are the screen rows each lane was last drawn on, for
	// clicks; View records them (Bubble Tea calls it after every Update,
	// on the program's goroutine).
	laneRows [][]int
}

// Options configure a Model.
type Options struct {
	// Title names the lesson in the header: "lesson 1 (lost-update)".
	Title string
	// Send writes a command to the test binary; it must not block for
	// long (a pipe to a running binary).
	Send func(interleave.PlayCommand)
	// Source returns the text of a line of the lesson's code, or "".
	Source func(file string, line int) string
	// Tr translates a format string, as fmt.Sprintf formats it; nil means
	// English.
	Tr func(format string, args ...any) string
	// Start is the schedule to take first (racekit play --replay).
	Start []string
}

// New returns the model of a game whose test binary has said hello.
func New(hello interleave.PlayMessage, o Options) *Model {
	m := &Model{title: o.Title, send: o.Send, source: o.Source, tr: o.Tr, hello: hello, asked: slices.Clone(o.Start)}
	if m.tr == nil {
		m.tr = fmt.Sprintf
	}
	if m.source == nil {
		m.source = func(string, int) string { return "" }
	}
	return m
}

// Message wraps what the test binary said, for the program (tea.Program.Send).
type Message struct{ interleave.PlayMessage }

// Gone tells the model the test binary has gone away, and why.
type Gone struct{ Err error }

// Init asks for the exploration's verdict on the goal and for the first
// state of the run.
func (m *Model) Init() tea.Cmd {
	m.send(interleave.PlayCommand{Op: "explore"})
	m.send(interleave.PlayCommand{Op: "run", Schedule: m.asked})
	return nil
}

// Reached is the last run of the game that broke the scenario, or nil.
func (m *Model) Reached() *interleave.PlayMessage { return m.reached }

// Gone is why the test binary went away by itself, or nil: after the
// learner quit, its end is no news.
func (m *Model) Gone() error { return m.gone }

// Explored is the exploration's verdict, or nil when it had not come.
func (m *Model) Explored() *interleave.PlayMessage { return m.explored }

// Schedule is the schedule of the run as it stands.
func (m *Model) Schedule() []string {
	if m.state != nil {
		return m.state.Schedule
	}
	return m.asked
}

// Update handles the test binary's messages, keys, clicks and resizes.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case Message:
		switch msg.Type {
		case "explored":
			e := msg.PlayMessage
			m.explored = &e
		case "state":
			s := msg.PlayMessage
			if !slices.Equal(s.Schedule, m.asked) && !s.Ended {
				// The binary followed another schedule than asked (a
				// step could not be taken): what it did is the truth.
				m.asked = slices.Clone(s.Schedule)
			}
			m.state = &s
			if s.Ended && s.Failure != "" && !s.Unfinished {
				m.reached = &s
			}
			// Keys typed while the step was on its way apply now, in order,
			// up to the next one that asks for another step.
			for len(m.queued) > 0 && m.state != nil {
				k := m.queued[0]
				m.queued = m.queued[1:]
				if cmd := m.key(k); cmd != nil {
					return m, cmd
				}
			}
		}
	case Gone:
		if !m.quitting {
			// The binary went away by itself: a crash, not the learner's quit.
			m.gone = msg.Err
		}
		return m, tea.Quit
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
	case tea.KeyPressMsg:
		return m, m.key(msg.String())
	case tea.MouseClickMsg:
		click := msg.Mouse()
		if click.Button == tea.MouseLeft && m.state != nil && !m.state.Ended {
			for i, rows := range m.laneRows {
				if slices.Contains(rows, click.Y) && i < len(m.state.Lanes) {
					m.step(m.state.Lanes[i].Name)
				}
			}
		}
	}
	return m, nil
}

// key carries out what a key asks.
func (m *Model) key(k string) tea.Cmd {
	switch {
	case k == "ctrl+c" || k == "esc":
	case m.state == nil:
		m.queued = append(m.queued, k)
		return nil
	}
	if name, ok := m.laneOf(k); ok {
		if !m.state.Ended {
			m.step(name)
		}
		return nil
	}
	switch k {
	case "q", "ctrl+c", "esc":
		m.quitting = true
		m.send(interleave.PlayCommand{Op: "quit"})
		return tea.Quit
	case "u", "backspace":
		if n := len(m.Schedule()); n > 0 {
			m.run(m.Schedule()[:n-1])
		}
	case "r", "ctrl+r":
		m.run(nil)
	case "?":
		m.outcomes = !m.outcomes
	case "space", "enter":
		if !m.state.Ended {
			if g := m.unforced(); g != "" {
				m.step(g)
			}
		}
	}
	return nil
}

// laneKey is the key that moves the i-th lane's goroutine: its name in
// lower case when that is one letter, else its number.
func laneKey(i int, name string) string {
	if len(name) == 1 && unicode.IsLetter(rune(name[0])) {
		return strings.ToLower(name)
	}
	return fmt.Sprint(i + 1)
}

// laneOf is the goroutine whose lane's key is k, if any: a lane's key
// wins over the game's own keys (u, r, q), which then have only their
// other keys.
func (m *Model) laneOf(k string) (string, bool) {
	if m.state == nil {
		return "", false
	}
	for i, l := range m.state.Lanes {
		if laneKey(i, l.Name) == k {
			return l.Name, true
		}
	}
	return "", false
}

// keyFor is the key help shows for a command: its letter, unless a lane
// has taken it, then its other key.
func (m *Model) keyFor(letter, other string) string {
	if _, taken := m.laneOf(letter); taken {
		return other
	}
	return letter
}

// unforced is who takes the next step without a preemption: the goroutine
// that took the last one, when it can go on, else the first that can.
func (m *Model) unforced() string {
	s := m.state.Schedule
	can := func(name string) bool {
		for _, l := range m.state.Lanes {
			if l.Name == name && (l.Status == "ready" || l.Status == "new") {
				return true
			}
		}
		return false
	}
	if len(s) > 0 && can(s[len(s)-1]) {
		return s[len(s)-1]
	}
	for _, l := range m.state.Lanes {
		if can(l.Name) {
			return l.Name
		}
	}
	return ""
}

// step lets name take the next step, when it can.
func (m *Model) step(name string) {
	for _, l := range m.state.Lanes {
		if l.Name == name && (l.Status == "ready" || l.Status == "new") {
			m.run(append(slices.Clone(m.state.Schedule), name))
		}
	}
}

// run asks for the run that follows schedule.
func (m *Model) run(schedule []string) {
	m.asked = slices.Clone(schedule)
	m.state = nil
	m.send(interleave.PlayCommand{Op: "run", Schedule: m.asked})
}

var (
	bold   = lipgloss.NewStyle().Bold(true)
	dim    = lipgloss.NewStyle().Faint(true)
	red    = lipgloss.NewStyle().Foreground(lipgloss.Color("9")).Bold(true)
	green  = lipgloss.NewStyle().Foreground(lipgloss.Color("10")).Bold(true)
	yellow = lipgloss.NewStyle().Foreground(lipgloss.Color("11"))
)

// View draws the game on the terminal's alternate screen, with mouse
// clicks reported.
func (m *Model) View() tea.View {
	v := tea.NewView(m.screen())
	v.AltScreen = true
	v.MouseMode = tea.MouseModeCellMotion
	return v
}

// screen is the game's text, a line of the terminal each.
func (m *Model) screen() string {
	var lines []string
	add := func(format string, args ...any) {
		lines = append(lines, strings.Split(m.wrap(fmt.Sprintf(format, args...)), "\n")...)
	}
	add("%s %s", bold.Render("racekit play · "+m.title), dim.Render("· "+firstLine(m.hello.Scenario)))
	goal := m.hello.Goal
	if goal == "" {
		goal = m.tr("break the scenario: make one of its checks fail")
	}
	add("%s %s", bold.Render(m.tr("Goal:")), goal)
	switch {
	case m.explored == nil:
		add("%s", dim.Render(m.tr("(exploring every schedule of your code, to see whether the goal can be reached...)")))
	case m.explored.Reachable:
		add("%s", dim.Render(m.tr("the exploration found schedules that reach it with your code: find one")))
	case m.explored.Exhaustive:
		add("%s", green.Render(m.tr("the goal cannot be reached with your code, by the exploration's word: %s", m.explored.Coverage)))
	default:
		add("%s", green.Render(m.tr("the exploration found no schedule that reaches the goal with your code: %s", m.explored.Coverage)))
	}
	add("")
	if m.state == nil {
		add("%s", dim.Render(m.tr("running...")))
		return strings.Join(lines, "\n")
	}
	s := m.state
	if !s.Ended {
		add("%s", bold.Render(m.tr("Who moves next? Press a goroutine's key or click its lane:")))
		m.laneRows = m.laneRows[:0]
		for i, l := range s.Lanes {
			top := len(lines)
			add("%s", m.lane(i, l))
			var rows []int
			for r := top; r < len(lines); r++ {
				rows = append(rows, r)
			}
			m.laneRows = append(m.laneRows, rows)
		}
	}
	if len(s.Shared) > 0 {
		add("")
		add("%s %s", bold.Render(m.tr("Shared:")), strings.Join(s.Shared, " · "))
	}
	add("")
	add("%s %s", bold.Render(m.tr("Steps so far (schedule: %s):", ScheduleText(s.Schedule))), "")
	trace := s.Trace
	if len(trace) == 0 {
		add("%s", dim.Render(m.tr("  (none yet)")))
	}
	room := len(trace)
	if m.height > 0 {
		room = max(3, m.height-len(lines)-8)
	}
	if len(trace) > room {
		add("%s", dim.Render(m.tr("  ... %d earlier lines ...", len(trace)-room)))
		trace = trace[len(trace)-room:]
	}
	lines = append(lines, trace...)
	for _, n := range s.Notes {
		add("%s", yellow.Render("  note: "+n))
	}
	add("")
	switch {
	case s.Ended && s.Unfinished:
		add("%s", yellow.Render(m.tr("✗ the run could not finish, so this is not the goal: %s", s.Broke)))
	case s.Ended && s.Failure != "":
		add("%s", red.Render(m.tr("💥 goal reached: %s", s.Broke)))
		add("%s", bold.Render("  replay this schedule: "+ScheduleText(s.Schedule)))
	case s.Ended:
		add("%s", green.Render(m.tr("✓ every goroutine finished and every check held: the goal was not reached this time")))
	}
	if m.outcomes {
		add("")
		switch {
		case m.explored == nil:
			add("%s", dim.Render(m.tr("(still exploring)")))
		default:
			add("%s", m.tr("What could happen here: %s", m.explored.Coverage))
			lines = append(lines, strings.Split(m.explored.Outcomes, "\n")...)
		}
	}
	add("")
	undo, restart, quit := m.keyFor("u", "backspace"), m.keyFor("r", "ctrl+r"), m.keyFor("q", "esc")
	keys := m.tr("keys: a goroutine's key moves it · space: no preemption · %s: undo · %s: restart · ?: what could happen · %s: quit", undo, restart, quit)
	if s.Ended {
		keys = m.tr("keys: %s: undo the last step · %s: restart · ?: what could happen · %s: quit", undo, restart, quit)
	}
	add("%s", dim.Render(keys))
	return strings.Join(lines, "\n")
}

// statusWord is a lane's status as the game shows it.
func (m *Model) statusWord(status string) string {
	switch status {
	case "ready":
		return m.tr("ready")
	case "new":
		return m.tr("new")
	case "waits":
		return m.tr("waits")
	case "blocked":
		return m.tr("blocked")
	case "asleep":
		return m.tr("asleep")
	case "done":
		return m.tr("done")
	}
	return status
}

// wrap breaks a line that is wider than the window at its spaces, so that
// nothing is cut off; the lines after the first are indented by two.
func (m *Model) wrap(line string) string {
	if m.width <= 0 || lipgloss.Width(line) < m.width {
		return line
	}
	return lipgloss.NewStyle().Width(m.width - 1).Render(line)
}

// lane draws the i-th goroutine's lane: its key, name, status, and where
// it is paused with that line's code.
func (m *Model) lane(i int, l interleave.PlayLane) string {
	key := "[" + laneKey(i, l.Name) + "]"
	status := m.statusWord(l.Status)
	where := ""
	switch {
	case l.Status == "new":
		where = m.tr("before its first statement")
	case l.Status == "done":
		where = m.tr("finished")
	case l.At.File != "":
		where = fmt.Sprintf("%s:%d  %s", l.At.File, l.At.Line, l.At.ShortFunc())
		if src := strings.TrimSpace(m.source(l.At.File, l.At.Line)); src != "" {
			where += "  " + dim.Render(src)
		}
	}
	if l.Waits != "" {
		where += "  " + yellow.Render(l.Waits)
	}
	line := fmt.Sprintf("  %s %-3s %s %s", key, l.Name, status+strings.Repeat(" ", max(0, 7-lipgloss.Width(status))), where)
	switch l.Status {
	case "ready", "new":
		return bold.Render(line[:len(key)+2]) + line[len(key)+2:]
	}
	return dim.Render(line)
}

// ScheduleText is a schedule in its short form ("A*3 B*3 A B A B"), or
// "none" when empty.
func ScheduleText(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return interleave.Schedule(s).String()
}

// firstLine is s up to its first line break.
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
