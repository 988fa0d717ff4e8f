package interleave_test

import (
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/interleave"
	"github.com/racekit/racekit/pkg/sync"
)

// guarded has its count guarded by mu, except where a read says otherwise.
type guarded struct {
	mu sync.Mutex // guards n
	n  *interleave.Int
}

func (c *guarded) inc() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n.Set(c.n.Get() + 1)
}

func (c *guarded) lockedRead() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n.Get()
}

func (c *guarded) unlockedRead() int { return c.n.Get() }

func racesOf(schedule string, read func(*guarded) int) []interleave.Race {
	GinkgoHelper()
	res, err := interleave.Replay(schedule, interleave.Scenario{Name: "inc and read", Setup: func(r *interleave.Run) {
		c := &guarded{n: interleave.NewInt("n", 0)}
		r.Name(c, "c")
		r.Go("A", c.inc)
		r.Go("B", func() { read(c) })
	}})
	Expect(err).NotTo(HaveOccurred())
	Expect(res.Failure).To(BeNil())
	return res.Trace.Races()
}

var _ = Describe("Trace.Races", func() {
	It("reports an unlocked read of a cell another goroutine writes under a lock, in whichever order they ran", func() {
		for _, schedule := range []string{"A*5 B*2", "B*2 A*5"} {
			races := racesOf(schedule, (*guarded).unlockedRead)
			Expect(races).To(HaveLen(1), "schedule %s: the read and the write are unordered whichever runs first", schedule)
			locksOf := map[string][]string{races[0].First.G: races[0].FirstLocks, races[0].Second.G: races[0].SecondLocks}
			Expect(locksOf["A"]).To(Equal([]string{"c.mu"}), "A wrote n holding c.mu")
			Expect(locksOf["B"]).To(BeEmpty(), "B read n holding nothing")
			Expect(races[0].String()).To(MatchRegexp(`^\w's (inc|unlockedRead) (read|wrote) n \(races_test\.go:\d+\) while \w's (inc|unlockedRead) (read|wrote) it \(races_test\.go:\d+\), and no lock ordered the two$`))
		}
	})

	It("reports nothing when both goroutines take the lock", func() {
		for _, schedule := range []string{"A*5 B*4", "B*4 A*5"} {
			Expect(racesOf(schedule, (*guarded).lockedRead)).To(BeEmpty(), "schedule %s: the lock orders the two", schedule)
		}
	})

	It("reports nothing for two reads", func() {
		t := interleave.Trace{
			{G: "A", Kind: interleave.Read, Cell: "n"},
			{G: "B", Kind: interleave.Read, Cell: "n"},
		}
		Expect(t.Races()).To(BeEmpty())
	})
})

var _ = Describe("a run that never ends", func() {
	It("is a livelock, whose report leads with the word and shows only the first and last steps", func() {
		res, err := interleave.Replay("", interleave.Scenario{Name: "A spins", Setup: func(r *interleave.Run) {
			done := interleave.NewInt("done", 0)
			r.Go("A", func() {
				for done.Get() == 0 {
				}
			})
		}}, interleave.Options{MaxSteps: 500})
		Expect(err).NotTo(HaveOccurred())
		Expect(res.Failure).NotTo(BeNil())
		Expect(res.Failure.Kind).To(Equal(interleave.Livelock))
		text := res.Failure.Error()
		Expect(text).To(HavePrefix("livelock: the run took more than 500 steps"), "a learner sees what happened first")
		Expect(text).To(ContainSubstring("\n  ... 449 more lines ...\n"), "the middle of a 500-step trace (499 lines: A's start records nothing) is cut")
		Expect(strings.Count(text, "\n")).To(BeNumerically("<", 60), "the report fits on a screen")
		Expect(text).To(ContainSubstring("replay this schedule: A*500"))
	})
})

var _ = Describe("Options.DataRaces", func() {
	It("fails a run with a data race, whichever order the accesses came in, and only when asked", func() {
		sc := interleave.Scenario{Name: "inc and an unlocked read", Setup: func(r *interleave.Run) {
			c := &guarded{n: interleave.NewInt("n", 0)}
			r.Name(c, "c")
			r.Go("A", c.inc)
			r.Go("B", func() { c.unlockedRead() })
		}}
		Expect(interleave.Explore(sc).Passed()).To(BeTrue(), "no invariant breaks: only the race detector could tell")
		rep := interleave.Explore(sc, interleave.Options{DataRaces: true})
		Expect(rep.Failure).NotTo(BeNil())
		Expect(rep.Failure.Kind).To(Equal(interleave.DataRace))
		Expect(rep.Schedules).To(Equal(1), "the first schedule shows it: no luck needed")
		Expect(rep.Failure.Message).To(HavePrefix("data race: "))
	})
})
