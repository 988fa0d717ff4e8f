package interleave

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
)

// The environment variables with which racekit replay asks a lesson's test
// binary to show one schedule of one of its scenarios, against the
// learner's code. They change no verdict: the specs run as they always do.
const (
	// EnvReplaySchedule is the schedule to show ("A*3 B*3 A B A B"). When it
	// is empty nothing is shown.
	EnvReplaySchedule = "RACEKIT_REPLAY_SCHEDULE"
	// EnvReplayScenario picks the scenarios to replay the schedule in:
	// those whose names contain it, ignoring case; empty picks every
	// scenario the specs run.
	EnvReplayScenario = "RACEKIT_REPLAY_SCENARIO"
)

// The lines that frame what a test binary prints for racekit replay: each
// replayed run between ReplayBegin and ReplayEnd, and a ScenarioLine
// naming every scenario the specs ran, so that racekit can list them when
// none matched.
const (
	ReplayBegin  = "--- racekit replay ---"
	ReplayEnd    = "--- end of racekit replay ---"
	ScenarioLine = "--- racekit scenario: "
)

// shown is what showRequested has done in this process.
var shown struct {
	mu        sync.Mutex      // guards scenarios
	scenarios map[string]bool // the scenarios already named (and replayed, when they match)
}

// replayOut is where showRequested writes; standard output, which Ginkgo
// leaves alone when specs run in one process.
var replayOut io.Writer = os.Stdout

// showRequested is called as Explore and Replay start: when the environment
// asks for a schedule to be shown (EnvReplaySchedule), it names the scenario
// (once per name) and, when the scenario matches EnvReplayScenario, runs the
// schedule in it with Replay and prints the run between ReplayBegin and
// ReplayEnd. Replay's own call comes back here and finds the name seen.
func showRequested(sc Scenario, opts []Options) {
	schedule := os.Getenv(EnvReplaySchedule)
	if schedule == "" {
		return
	}
	want := strings.ToLower(os.Getenv(EnvReplayScenario))
	shown.mu.Lock()
	if shown.scenarios == nil {
		shown.scenarios = map[string]bool{}
	}
	if shown.scenarios[sc.Name] {
		shown.mu.Unlock()
		return
	}
	shown.scenarios[sc.Name] = true
	shown.mu.Unlock()
	fmt.Fprintf(replayOut, "%s%s\n", ScenarioLine, firstLine(sc.Name))
	if !strings.Contains(strings.ToLower(sc.Name), want) {
		return
	}
	res, err := Replay(schedule, sc, opts...)
	var text string
	if err != nil {
		text = err.Error()
	} else {
		text = res.String()
	}
	fmt.Fprintf(replayOut, "%s\n%s\n%s\n", ReplayBegin, text, ReplayEnd)
}

// firstLine is s up to its first line break.
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
