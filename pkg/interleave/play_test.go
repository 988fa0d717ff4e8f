package interleave_test

import (
	"bufio"
	"encoding/json"
	"io"
	"runtime"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/interleave"
	kitsync "github.com/racekit/racekit/pkg/sync"
)

// player drives interleave.Play as racekit play does, one command at a time.
type player struct {
	cmds     *io.PipeWriter
	messages *bufio.Scanner
	done     chan struct{}
}

// startPlay plays sc in a goroutine of its own and reads its hello.
func startPlay(sc interleave.Scenario, opts interleave.Options) (*player, interleave.PlayMessage) {
	cmdR, cmdW := io.Pipe()
	msgR, msgW := io.Pipe()
	p := &player{cmds: cmdW, messages: bufio.NewScanner(msgR), done: make(chan struct{})}
	p.messages.Buffer(nil, 1<<20)
	go func() {
		defer GinkgoRecover()
		defer close(p.done)
		defer msgW.Close()
		interleave.Play(sc, opts, cmdR, msgW)
	}()
	return p, p.read()
}

// send writes one command.
func (p *player) send(c interleave.PlayCommand) {
	b, err := json.Marshal(c)
	Expect(err).NotTo(HaveOccurred())
	_, err = p.cmds.Write(append(b, '\n'))
	Expect(err).NotTo(HaveOccurred(), "Play should read every command while it plays")
}

// read reads one message, waiting at most half a minute for it.
func (p *player) read() interleave.PlayMessage {
	got := make(chan bool, 1)
	go func() { got <- p.messages.Scan() }()
	var ok bool
	Eventually(got, 30*time.Second).Should(Receive(&ok), "Play should answer every command with a message")
	Expect(ok).To(BeTrue(), "Play should answer every command with a message")
	var m interleave.PlayMessage
	Expect(json.Unmarshal(p.messages.Bytes(), &m)).To(Succeed())
	return m
}

// run asks for the steps of schedule and reads the answer.
func (p *player) run(schedule string) interleave.PlayMessage {
	p.send(interleave.PlayCommand{Op: "run", Schedule: strings.Fields(schedule)})
	return p.read()
}

// quit ends the session and waits for Play to return.
func (p *player) quit() {
	p.send(interleave.PlayCommand{Op: "quit"})
	Eventually(p.done).Should(BeClosed(), "Play should return once it is told to quit")
}

// lane finds the lane of the goroutine named name.
func lane(m interleave.PlayMessage, name string) interleave.PlayLane {
	for _, l := range m.Lanes {
		if l.Name == name {
			return l
		}
	}
	Fail("no lane for " + name)
	return interleave.PlayLane{}
}

var _ = Describe("Play", func() {
	When("the player takes the foo trace's steps one at a time", func() {
		It("stops before every step, and ends the run with the leak and its schedule", func() {
			p, hello := startPlay(fooTrace(false), interleave.Options{})
			Expect(hello.Type).To(Equal("hello"))
			Expect(hello.Scenario).To(HavePrefix("the foo trace"))

			m := p.run("")
			Expect(m.Type).To(Equal("state"))
			Expect(m.Ended).To(BeFalse(), "the run waits for the player's first choice")
			Expect(lane(m, "A").Status).To(Equal("new"), "before its first step a goroutine has not reached its code")
			Expect(lane(m, "B").Status).To(Equal("new"))

			m = p.run("A")
			Expect(m.Schedule).To(Equal([]string{"A"}))
			Expect(lane(m, "A").Status).To(Equal("ready"))
			Expect(lane(m, "A").At.File).To(Equal("fixtures_test.go"), "a lane says where in the code its goroutine waits")
			Expect(lane(m, "A").At.Func).To(HaveSuffix("IncRef"), "A waits before IncRef's read of the count")

			var steps []string
			for _, g := range strings.Fields("A A B B B A B A B") {
				steps = append(steps, g)
				m = p.run("A " + strings.Join(steps, " "))
			}
			Expect(m.Ended).To(BeTrue(), "after the foo trace's last step both goroutines have returned")
			Expect(m.Failure).To(ContainSubstring("foo leaks"), "the foo trace loses a decrement")
			Expect(m.Failure).To(ContainSubstring("replay this schedule: A*3 B*3 A B A B"))
			Expect(m.Broke).To(HavePrefix("refcount is 2"))
			Expect(m.Shared).To(Equal([]string{"foo.refcount = 2"}), "the shared state is the count's last value")
			p.quit()
		})
	})

	When("the player asks for a shorter schedule", func() {
		It("runs again up to there: that is undo", func() {
			p, _ := startPlay(fooTrace(false), interleave.Options{})
			Expect(p.run("A A A A").Trace).To(HaveLen(2), "A has read and written the count (one line), and read it again")
			m := p.run("A A")
			Expect(m.Schedule).To(Equal([]string{"A", "A"}))
			Expect(m.Trace).To(Equal([]string{"  1. A  IncRef  reads foo.refcount -> 1"}),
				"going back to two steps takes A's write and second read back")
			p.quit()
		})
	})

	When("a goroutine waits for a lock of the kit's sync", func() {
		It("says who holds it, in the lane and in the shared state", func() {
			sc := interleave.Scenario{Name: "two goroutines take one lock", Setup: func(r *interleave.Run) {
				var mu kitsync.Mutex
				r.Name(&mu, "foo.mu")
				for _, name := range []string{"A", "B"} {
					r.Go(name, func() { mu.Lock(); interleave.Point("works"); mu.Unlock() })
				}
			}}
			p, _ := startPlay(sc, interleave.Options{})
			m := p.run("A A B")
			Expect(m.Shared).To(Equal([]string{"foo.mu: held by A"}))
			Expect(lane(m, "B").Status).To(Equal("waits"), "B's Lock cannot go on while A holds foo.mu")
			Expect(lane(m, "B").Waits).To(ContainSubstring("which A holds"))
			p.quit()
		})
	})

	When("a lesson's interpreter labels what it does with its GIL", func() {
		It("says who holds the GIL", func() {
			sc := interleave.Scenario{Name: "A takes the GIL and drops it", Setup: func(r *interleave.Run) {
				r.Go("A", func() {
					interleave.PointAs("take_gil", "takes the GIL")
					interleave.PointAs("drop_gil", "drops the GIL on request")
				})
			}}
			p, _ := startPlay(sc, interleave.Options{})
			Expect(p.run("A A").Shared).To(Equal([]string{"the GIL: held by A"}))
			Expect(p.run("A A A").Shared).To(Equal([]string{"the GIL: free"}))
			p.quit()
		})
	})

	When("a run goes on past its step limit", func() {
		It("ends it as unfinished: the code's failure, not the scenario's check", func() {
			sc := interleave.Scenario{Name: "A spins", Setup: func(r *interleave.Run) {
				r.Go("A", func() {
					for range 10 {
						interleave.Point("spins")
					}
				})
			}}
			p, _ := startPlay(sc, interleave.Options{MaxSteps: 3})
			m := p.run("A A A")
			Expect(m.Ended).To(BeTrue())
			Expect(m.Unfinished).To(BeTrue(), "a livelock is not a goal reached")
			Expect(m.Broke).To(HavePrefix("livelock"))
			p.quit()
		})
	})

	When("the player asks what could happen", func() {
		It("explores: the leak is reachable without a lock", func() {
			p, _ := startPlay(fooTrace(false), interleave.Options{})
			p.send(interleave.PlayCommand{Op: "explore"})
			m := p.read()
			Expect(m.Type).To(Equal("explored"))
			Expect(m.Reachable).To(BeTrue())
			Expect(m.Outcomes).To(ContainSubstring("foo leaks"))
			p.quit()
		})

		It("explores: with the lock nothing breaks, and it says how far it looked", func() {
			p, _ := startPlay(fooTrace(true), interleave.Options{})
			p.send(interleave.PlayCommand{Op: "explore"})
			m := p.read()
			Expect(m.Reachable).To(BeFalse())
			Expect(m.Coverage).To(ContainSubstring("exhaustive"))
			Expect(m.Outcomes).To(MatchRegexp(`passed: \d+ schedules`))
			p.quit()
		})
	})

	When("a goroutine waits with a timeout", func() {
		It("is ready once its wait may time out, so the player can let it", func() {
			sc := interleave.Scenario{Name: "A waits for a signal with a timeout while B works", Setup: func(r *interleave.Run) {
				var mu kitsync.Mutex
				c := kitsync.NewCond(&mu)
				r.Name(c, "c")
				r.Go("A", func() { mu.Lock(); c.WaitTimeout(time.Millisecond); mu.Unlock() })
				r.Go("B", func() { interleave.Point("works") })
			}}
			p, _ := startPlay(sc, interleave.Options{})
			m := p.run("A A A A")
			Expect(lane(m, "A").Status).To(Equal("waits"), "nobody has moved since A began to wait: its timeout cannot have passed")
			Expect(lane(m, "A").Waits).To(ContainSubstring("until it is signalled or 1ms pass"))
			m = p.run("A A A A B")
			Expect(lane(m, "A").Status).To(Equal("ready"), "once B has moved, A's wait may time out: %+v", m.Lanes)
			Expect(lane(m, "A").Waits).To(ContainSubstring("may time out now"))
			m = p.run("A A A A B A")
			Expect(m.Schedule).To(Equal([]string{"A", "A", "A", "A", "B", "A"}), "the player could let A time out")
			p.quit()
		})
	})

	When("the player undoes steps while a goroutine waits on a channel", func() {
		It("lets each abandoned run finish, leaving no goroutine behind", func() {
			sc := interleave.Scenario{Name: "B waits on a channel that A sends on", Setup: func(r *interleave.Run) {
				ch := make(chan int)
				r.Go("A", func() { interleave.Point("sends"); ch <- 1 })
				r.Go("B", func() { <-ch })
			}}
			p, _ := startPlay(sc, interleave.Options{})
			p.run("B B")
			before := runtime.NumGoroutine()
			for range 20 {
				p.run("B")
				p.run("B B")
			}
			Eventually(runtime.NumGoroutine).Should(BeNumerically("<=", before+2),
				"every undo abandons a run with B blocked on the channel; the run must still end")
			p.quit()
		})
	})

	When("the commands end in the middle of a run", func() {
		It("stops the run's goroutines and returns", func() {
			p, _ := startPlay(fooTrace(false), interleave.Options{})
			p.run("A")
			Expect(p.cmds.Close()).To(Succeed())
			Eventually(p.done).Should(BeClosed())
		})
	})
})
