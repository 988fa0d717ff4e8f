package interleave

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
)

// The environment with which racekit play asks a lesson's test binary to let
// a learner be the scheduler of one of its scenarios. The binary reads
// commands (PlayCommand, one JSON object a line) from file descriptor
// PlayCommandFD and writes what happens (PlayMessage, the same way) to
// PlayMessageFD; racekit play passes both as extra files of the process.
const (
	// EnvPlay, set to anything but the empty string, turns play on.
	EnvPlay = "RACEKIT_PLAY"
	// EnvPlayScenario picks the scenario to play: the first whose name
	// contains it, ignoring case; empty picks the first scenario with a
	// Goal.
	EnvPlayScenario = "RACEKIT_PLAY_SCENARIO"
	// PlayCommandFD is the file descriptor play reads commands from.
	PlayCommandFD = 3
	// PlayMessageFD is the file descriptor play writes messages to.
	PlayMessageFD = 4
)

// PlayCommand is what racekit play asks of the test binary.
type PlayCommand struct {
	// Op is "run" (run Schedule, then stop at the next choice and say
	// who could take it), "explore" (explore the scenario, counting its
	// outcomes) or "quit". Any other op gets no answer.
	Op string `json:"op"`
	// Schedule is the steps to take, for "run": one goroutine name a step.
	Schedule []string `json:"schedule,omitempty"`
}

// PlayMessage is what the test binary tells racekit play. Type says which
// fields are set:
//
//   - "scenario": a scenario the specs ran that was not picked (Scenario,
//     Goal), so that racekit can list them when none was.
//   - "hello": the scenario being played (Scenario, Goal).
//   - "state": the run after Schedule, waiting for the next step (Lanes,
//     Trace, Shared, Notes), or, with Ended, finished: Failure, Broke and
//     Unfinished say how it broke, when it did.
//   - "explored": an exploration's verdict (Reachable, Exhaustive,
//     Coverage, Outcomes).
type PlayMessage struct {
	Type     string     `json:"type"`
	Scenario string     `json:"scenario,omitempty"`
	Goal     string     `json:"goal,omitempty"`
	Schedule []string   `json:"schedule,omitempty"`
	Lanes    []PlayLane `json:"lanes,omitempty"`
	Trace    []string   `json:"trace,omitempty"`  // the numbered trace so far
	Shared   []string   `json:"shared,omitempty"` // the shared state, a line each ("foo.refcount = 2")
	Notes    []string   `json:"notes,omitempty"`  // where the schedule could not be followed
	Ended    bool       `json:"ended,omitempty"`
	Failure  string     `json:"failure,omitempty"` // the failure as a spec prints it (Failure.Error)
	Broke    string     `json:"broke,omitempty"`   // its first line of what broke (as Report.Outcomes says it)
	// Unfinished says the run ended without finishing: a goroutine that
	// did not come back to the scheduler, or a run past Options.MaxSteps.
	// Such a failure is the code's, not a goal reached.
	Unfinished bool `json:"unfinished,omitempty"`

	Reachable  bool   `json:"reachable,omitempty"`  // a schedule broke the scenario's checks (and finished)
	Exhaustive bool   `json:"exhaustive,omitempty"` // the exploration covered every outcome
	Coverage   string `json:"coverage,omitempty"`   // Report.Coverage's sentence
	Outcomes   string `json:"outcomes,omitempty"`   // Report.OutcomeTable
}

// PlayLane is one goroutine of a played run, as it waits for the next step.
type PlayLane struct {
	Name string `json:"name"`
	// Status is "ready" (it can take the next step; Waits is set for a
	// timed wait that may time out now), "waits" (its operation of the
	// kit's sync is blocked: Waits says on what), "blocked" (on something
	// outside the kit's sync), "asleep" (in, or just back from, a sleep:
	// it goes on only when nobody else can), "new" (not yet at its first
	// statement) or "done".
	Status string `json:"status"`
	At     Frame  `json:"at"`              // where it is paused
	Waits  string `json:"waits,omitempty"` // what it waits for
}

// played guards against playing twice in one process.
var played struct {
	sync.Mutex
	on  bool     // a session has started
	out *os.File // PlayMessageFD, opened once: a second os.File on it would close it when collected
}

// playRequested is called as Explore and Replay start: when the
// environment asks for play (EnvPlay), it names the scenario to racekit
// play, and, when it is the one asked for, plays it until racekit says
// quit, and then ends the process: the specs' verdict is not wanted.
func playRequested(sc Scenario, opts []Options) {
	if os.Getenv(EnvPlay) == "" {
		return
	}
	played.Lock()
	if played.on {
		played.Unlock()
		return
	}
	if played.out == nil {
		played.out = os.NewFile(PlayMessageFD, "racekit-play-messages")
	}
	out := played.out
	want := strings.ToLower(os.Getenv(EnvPlayScenario))
	pick := want == "" && sc.Goal != "" || want != "" && strings.Contains(strings.ToLower(sc.Name), want)
	if !pick {
		played.Unlock()
		writeMessage(out, PlayMessage{Type: "scenario", Scenario: firstLine(sc.Name), Goal: sc.Goal})
		return
	}
	played.on = true
	played.Unlock()
	o := optionsOf(opts)
	// The specs' verdict is not wanted: racekit reads the messages, and
	// ends the game (or has gone, when a message could not be written).
	_ = Play(sc, o, os.NewFile(PlayCommandFD, "racekit-play-commands"), out)
	os.Exit(0)
}

// writeMessage writes m as one line of JSON.
func writeMessage(w io.Writer, m PlayMessage) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// Play lets whoever writes commands to in be the scheduler of sc, and
// writes what happens to out, until a "quit" command or the end of in; a
// command it does not know is skipped without an answer. It is what
// racekit play runs in a lesson's test binary; opts are the scenario's
// options as its spec gives them. It returns the error of a message that
// could not be written (the reader has gone), or nil. Like Replay and
// Explore, it must not overlap another run.
func Play(sc Scenario, opts Options, in io.Reader, out io.Writer) error {
	o := opts.withDefaults()
	o.where = true
	if err := writeMessage(out, PlayMessage{Type: "hello", Scenario: sc.Name, Goal: sc.Goal}); err != nil {
		return err
	}
	cmds := bufio.NewScanner(in)
	cmds.Buffer(make([]byte, 64<<10), 16<<20)
	next := func() (PlayCommand, bool) {
		for cmds.Scan() {
			var c PlayCommand
			if json.Unmarshal(cmds.Bytes(), &c) == nil {
				return c, true
			}
		}
		return PlayCommand{}, false
	}
	c, ok := next()
	for ok && c.Op != "quit" {
		switch c.Op {
		case "explore":
			eo := o
			eo.where, eo.outcomes = false, true
			rep := explore(sc, eo)
			// A run that could not finish is the code's failure, not the goal.
			reached := rep.Failure != nil && rep.Failure.Kind != Stuck && rep.Failure.Kind != Livelock
			m := PlayMessage{Type: "explored", Reachable: reached, Exhaustive: rep.Exhaustive, Coverage: rep.coverage(), Outcomes: rep.OutcomeTable()}
			if err := writeMessage(out, m); err != nil {
				return err
			}
			c, ok = next()
		case "run":
			pending, more, err := playRun(sc, o, c.Schedule, next, out)
			switch {
			case err != nil:
				return err
			case pending != nil:
				c, ok = *pending, more
			case more:
				c, ok = next()
			default:
				ok = false
			}
		default:
			c, ok = next()
		}
	}
	return nil
}

// playRun runs sc following schedule and, where the schedule ends, says
// who could take the next step and waits for a command: a "run" of the
// same schedule one step longer takes that step; any other command
// abandons the run and is returned. At the run's end it says how it ended.
// more is false when the commands have ended; err is a message that could
// not be written.
func playRun(sc Scenario, o Options, schedule []string, next func() (PlayCommand, bool), out io.Writer) (pending *PlayCommand, more bool, err error) {
	more = true
	var taken []string
	var notes []string
	res := execute(sc, o, func(step int, prev *goroutine, en []*goroutine, _ []access) *goroutine {
		r := en[0].run
		if step < len(schedule) {
			for _, g := range en {
				if g.name == schedule[step] {
					taken = append(taken, g.name)
					return g
				}
			}
			alt := defaultChoice(prev, en)
			notes = append(notes, fmt.Sprintf("step %d: the schedule wants %s, but %s; %s runs instead", step+1, schedule[step], whyNot(schedule[step], r), alt.name))
			taken = append(taken, alt.name)
			return alt
		}
		if err = writeMessage(out, r.playState(taken, notes, en)); err != nil {
			return nil
		}
		var c PlayCommand
		if c, more = next(); !more {
			return nil
		}
		if c.Op == "run" && len(c.Schedule) == len(taken)+1 && slices.Equal(c.Schedule[:len(taken)], taken) {
			for _, g := range en {
				if g.name == c.Schedule[len(taken)] {
					schedule = c.Schedule
					taken = append(taken, g.name)
					return g
				}
			}
		}
		pending = &c
		return nil
	})
	if res.abandoned {
		return pending, more, err
	}
	m := PlayMessage{Type: "state", Ended: true, Schedule: res.Schedule, Trace: res.Trace.Lines(), Shared: sharedState(res.Trace), Notes: notes}
	if res.Failure != nil {
		m.Failure, m.Broke = res.Failure.Error(), outcomeOf(res)
		m.Unfinished = res.Failure.Kind == Stuck || res.Failure.Kind == Livelock
	}
	return nil, true, writeMessage(out, m)
}

// playState is the run as it waits for step len(taken)+1, which the
// goroutines en may take.
func (r *Run) playState(taken, notes []string, en []*goroutine) PlayMessage {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := PlayMessage{Type: "state", Schedule: slices.Clone(taken), Notes: slices.Clone(notes)}
	for _, g := range r.gs {
		l := PlayLane{Name: g.name, At: g.pausedAt}
		can := slices.Contains(en, g)
		switch {
		case g.state == done:
			l.Status = "done"
		case g.state == blocked:
			l.Status, l.Waits, l.At = "blocked", "blocks in "+g.wait, g.waitAt
		case g.state == sleeping:
			l.Status = "asleep"
		case !can && r.waitsLocked(g) != "":
			l.Status, l.Waits = "waits", r.waitsLocked(g)
		case can && r.waitsLocked(g) != "":
			// A timed wait, which may time out now.
			l.Status, l.Waits = "ready", r.waitsLocked(g)+" (it may time out now)"
		case !can:
			// Paused after a sleep while others can go on: time passes
			// only when nobody else can.
			l.Status = "asleep"
		case g.pausedAt.File == "":
			l.Status = "new"
		default:
			l.Status = "ready"
		}
		m.Lanes = append(m.Lanes, l)
	}
	t := Trace(slices.Clone(r.trace))
	m.Trace, m.Shared = t.Lines(), sharedState(t)
	return m
}

// sharedState reads, off a trace, what the goroutines share as it stands at
// the trace's end: each cell's last value, and who holds each lock of the
// kit's sync, a line each in order of first appearance.
func sharedState(t Trace) []string {
	var order []string
	value := map[string]string{}
	holders := map[string][]string{}
	for _, e := range t {
		if gil, ok := gilHolder(e); ok {
			if _, seen := value[theGIL]; !seen {
				order = append(order, theGIL)
			}
			value[theGIL] = theGIL + ": free"
			if gil != "" {
				value[theGIL] = theGIL + ": held by " + gil
			}
			continue
		}
		if e.Cell == "" {
			continue
		}
		if _, seen := value[e.Cell]; !seen {
			order = append(order, e.Cell)
			value[e.Cell] = ""
		}
		switch e.Kind {
		case Read, Write:
			value[e.Cell] = fmt.Sprintf("%s = %d", e.Cell, e.Value)
		case Sync:
			h := holders[e.Cell]
			switch e.Verb {
			case "locks", "write-locks", "read-locks":
				h = append(h, e.G)
			case "unlocks", "write-unlocks", "read-unlocks":
				if i := slices.Index(h, e.G); i >= 0 {
					h = slices.Delete(h, i, i+1)
				} else if len(h) > 0 {
					h = h[1:] // unlocked by another goroutine than the one that locked it
				}
			default:
				continue
			}
			holders[e.Cell] = h
			if len(h) == 0 {
				value[e.Cell] = e.Cell + ": free"
			} else {
				value[e.Cell] = e.Cell + ": held by " + strings.Join(h, ", ")
			}
		}
	}
	var lines []string
	for _, c := range order {
		if value[c] != "" {
			lines = append(lines, value[c])
		}
	}
	return lines
}

// theGIL is what the shared state calls a lesson's global interpreter lock.
const theGIL = "the GIL"

// gilHolder reads, off a label of a lesson's interpreter (packages gil and
// vm), who holds the GIL after it: ok is false for any other event, and
// holder is "" when the GIL is let go. The labels are theirs: "takes the
// GIL (from A)", "returns: A holds the GIL", "drops the GIL (on request)",
// "releases the GIL", "A lets go of the GIL".
func gilHolder(e Event) (holder string, ok bool) {
	if e.Kind != Label {
		return "", false
	}
	switch l := e.Label; {
	case strings.HasPrefix(l, "takes the GIL"):
		return e.G, true
	case strings.HasPrefix(l, "returns: ") && strings.HasSuffix(l, " holds the GIL"):
		return strings.TrimSuffix(strings.TrimPrefix(l, "returns: "), " holds the GIL"), true
	case strings.HasPrefix(l, "drops the GIL"), l == "releases the GIL", strings.HasSuffix(l, " lets go of the GIL"):
		return "", true
	}
	return "", false
}
