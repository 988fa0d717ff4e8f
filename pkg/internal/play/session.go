package play

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/racekit/racekit/pkg/interleave"
)

// Session is a lesson's test binary started in play mode: racekit play's
// end of interleave.Play. Its methods are for one goroutine at a time,
// except that Send may be called while Play runs (from the model).
type Session struct {
	cmd    *exec.Cmd
	cmds   *os.File       // the write end of the binary's commands
	msgs   *bufio.Scanner // the binary's messages
	output *tailBuffer    // what the binary printed
}

// NoScenario is Start's error when the binary ended without playing: no
// scenario its specs ran matched, they stopped (a spec failed in an
// ordered container) before reaching one, the binary failed, or it did
// not reach one in time.
type NoScenario struct {
	Named    []interleave.PlayMessage // the scenarios the specs ran, with their goals
	Output   string                   // the end of what the binary printed
	Exit     error                    // how the binary ended, when not with status 0
	TimedOut bool                     // it was stopped after Start's reach
}

// LastLines is the last n lines of what the binary printed.
func (e *NoScenario) LastLines(n int) string {
	lines := strings.Split(strings.TrimRight(e.Output, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

func (e *NoScenario) Error() string {
	return fmt.Sprintf("play: the specs ran %d scenarios, none of them the one asked for", len(e.Named))
}

// Start runs the test binary bin in dir with env (and interleave.EnvPlay),
// asking for the scenario whose name contains scenario ("" for the first
// with a goal), and waits for its hello, at most reach: a binary whose
// specs hang before a scenario is stopped then. The binary's standard
// output and error are kept, not shown: they are the specs' own.
func Start(ctx context.Context, bin, dir string, env []string, scenario string, reach time.Duration) (*Session, interleave.PlayMessage, error) {
	cmdR, cmdW, err := os.Pipe()
	if err != nil {
		return nil, interleave.PlayMessage{}, err
	}
	msgR, msgW, err := os.Pipe()
	if err != nil {
		cmdR.Close()
		cmdW.Close()
		return nil, interleave.PlayMessage{}, err
	}
	s := &Session{cmds: cmdW, msgs: bufio.NewScanner(msgR), output: &tailBuffer{max: 64 << 10}}
	s.msgs.Buffer(nil, 16<<20)
	// A fixed seed: Ginkgo shuffles the top-level containers, and the
	// scenario played when none is named is the first the specs reach.
	s.cmd = exec.CommandContext(ctx, bin, "-ginkgo.no-color", "-ginkgo.timeout=24h", "-ginkgo.seed=1")
	s.cmd.Dir = dir
	s.cmd.Env = append(env, interleave.EnvPlay+"=1", interleave.EnvPlayScenario+"="+scenario)
	s.cmd.Stdout, s.cmd.Stderr = s.output, s.output
	// The file descriptors interleave.Play reads and writes: 3 and 4.
	s.cmd.ExtraFiles = []*os.File{cmdR, msgW}
	err = s.cmd.Start()
	cmdR.Close()
	msgW.Close()
	if err != nil {
		cmdW.Close()
		msgR.Close()
		return nil, interleave.PlayMessage{}, err
	}
	var timedOut atomic.Bool
	late := time.AfterFunc(reach, func() {
		timedOut.Store(true)
		_ = s.cmd.Process.Kill()
	})
	var named []interleave.PlayMessage
	for {
		m, ok := s.next()
		switch {
		case !ok:
			late.Stop()
			s.cmds.Close()
			exit := s.cmd.Wait()
			return nil, interleave.PlayMessage{}, &NoScenario{Named: named, Output: s.output.String(), Exit: exit, TimedOut: timedOut.Load()}
		case m.Type == "hello":
			if !late.Stop() {
				// Killed just as it said hello: the game cannot go on.
				s.cmds.Close()
				_ = s.cmd.Wait()
				return nil, interleave.PlayMessage{}, &NoScenario{Named: named, Output: s.output.String(), TimedOut: true}
			}
			return s, m, nil
		case m.Type == "scenario":
			named = append(named, m)
		}
	}
}

// next reads the binary's next message; false at the end of them.
func (s *Session) next() (interleave.PlayMessage, bool) {
	for s.msgs.Scan() {
		var m interleave.PlayMessage
		if json.Unmarshal(s.msgs.Bytes(), &m) == nil {
			return m, true
		}
	}
	return interleave.PlayMessage{}, false
}

// Send writes a command to the binary. A command that cannot be written
// is dropped: the binary has gone, and Play hears of it from the end of
// its messages.
func (s *Session) Send(c interleave.PlayCommand) {
	if b, err := json.Marshal(c); err == nil {
		_, _ = s.cmds.Write(append(b, '\n'))
	}
}

// Play runs the game with m on the terminal in and out until the learner
// quits or the binary goes away, then ends the binary. The error is the
// terminal's, or says how the binary went away.
func (s *Session) Play(ctx context.Context, m *Model, in io.Reader, out io.Writer) error {
	p := tea.NewProgram(m, tea.WithContext(ctx), tea.WithInput(in), tea.WithOutput(out))
	go func() {
		for {
			msg, ok := s.next()
			if !ok {
				p.Send(Gone{Err: errors.New("the lesson's test binary ended")})
				return
			}
			p.Send(Message{msg})
		}
	}()
	_, err := p.Run()
	s.Close()
	if m.Gone() != nil {
		return fmt.Errorf("%w; its output ended with:\n%s", m.Gone(), s.output.String())
	}
	return err
}

// Close ends the session: it tells the binary to quit and waits for it a
// few seconds, then kills it.
func (s *Session) Close() {
	s.Send(interleave.PlayCommand{Op: "quit"})
	s.cmds.Close()
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex // guards buf
	buf bytes.Buffer
	max int
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf.Write(p)
	if over := t.buf.Len() - t.max; over > 0 {
		t.buf.Next(over)
	}
	return len(p), nil
}

// String is what is kept.
func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.buf.String()
}
