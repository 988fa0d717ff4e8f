package interleave

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
)

// pctDepths is the deepest bug the random schedules aim at: a run draws
// its depth d from 1 to pctDepths in turn.
const pctDepths = 3

// randomCover is what an exploration's random schedules were drawn over,
// for the guarantee Coverage states.
type randomCover struct {
	goroutines int            // the most goroutines a run started
	steps      int            // the change points were drawn among the first steps steps
	runs       [pctDepths]int // runs[d-1]: how many runs aimed at depth d
}

// saw notes the size of a run of the exploration: its steps and goroutines.
func (r *Report) saw(res *Result) {
	r.random.steps = max(r.random.steps, len(res.Schedule))
	var names []string
	for _, en := range res.enabled {
		for _, g := range en {
			if !slices.Contains(names, g) {
				names = append(names, g)
			}
		}
	}
	r.random.goroutines = max(r.random.goroutines, len(names))
}

// pct draws o.RandomSchedules schedules of sc at random, the way
// probabilistic concurrency testing does (Burckhardt et al., 2010): each
// goroutine gets a random priority at or above d, the highest-priority
// goroutine that can go takes every step, and at d-1 steps drawn at random
// among the first k (the longest run the exploration saw) the goroutine
// about to take the step drops below every other. A bug of depth d (d
// orderings between steps that make it happen) is found by one such run
// with probability at least 1/(n·k^(d-1)) for n goroutines. The runs
// aim at depths 1, 2 and 3 in turn. The seed is the scenario's name, so
// the same code gets the same schedules. Like the bounded exploration, it
// stops at the first failure unless outcomes are counted.
func pct(sc Scenario, o Options, rep *Report) {
	h := fnv.New64a()
	h.Write([]byte(sc.Name))
	seed := h.Sum64()
	k := max(rep.random.steps, 1)
	for i := range o.RandomSchedules {
		d := 1 + i%pctDepths
		rng := rand.New(rand.NewPCG(seed, uint64(i)))
		change := make([]int, d-1)
		for j := range change {
			change[j] = rng.IntN(k)
		}
		prio := map[string]float64{}
		highest := func(en []*goroutine) *goroutine {
			return slices.MaxFunc(en, func(a, b *goroutine) int {
				switch {
				case prio[a.name] < prio[b.name]:
					return -1
				case prio[a.name] > prio[b.name]:
					return 1
				}
				return 0
			})
		}
		res := execute(sc, o, func(step int, _ *goroutine, en []*goroutine, _ []access) *goroutine {
			for _, g := range en {
				if _, ok := prio[g.name]; !ok {
					prio[g.name] = float64(d) + rng.Float64()
				}
			}
			g := highest(en)
			for j, at := range change {
				if at == step {
					// Below every first priority (d and up), and below the
					// earlier change points' too.
					prio[g.name] = float64(d-1-j) - 1 + rng.Float64()/2
					g = highest(en)
				}
			}
			return g
		})
		rep.Schedules++
		rep.Random++
		rep.random.runs[d-1]++
		rep.random.goroutines = max(rep.random.goroutines, len(prio))
		if o.outcomes {
			rep.count(res)
		}
		if res.Failure != nil && rep.Failure == nil {
			rep.Failure, rep.Preemptions, rep.failedAt = res.Failure, res.preemptions(), rep.Schedules
		}
		if res.Failure != nil && !o.outcomes || o.outcomes && rep.countedEnough() {
			return
		}
	}
}

// String says, after a bounded exploration's sentence, what the random
// schedules covered: for each depth, the most likely that a bug of that
// depth was missed.
func (c randomCover) String(runs int) string {
	if runs == 0 {
		return ""
	}
	n, k := max(c.goroutines, 1), max(c.steps, 1)
	var misses []string
	for d := 1; d <= pctDepths; d++ {
		if c.runs[d-1] == 0 {
			continue
		}
		p := 1 / (float64(n) * math.Pow(float64(k), float64(d-1)))
		miss := math.Pow(1-p, float64(c.runs[d-1]))
		misses = append(misses, fmt.Sprintf("depth %d: %s", d, percent(miss)))
	}
	return fmt.Sprintf(", then %d drawn at random (PCT, %d goroutines, switching among the first %d steps); "+
		"the chance that they all missed a bug that needs d orderings among those steps: %s",
		runs, n, k, strings.Join(misses, ", "))
}

// percent writes a bound on a probability as a percentage a reader can
// take in, rounded up: it never says less than the bound.
func percent(p float64) string {
	switch {
	case p > 0.99:
		return "no useful bound"
	case p < 0.0001:
		return "below 0.01%"
	case p < 0.01:
		return fmt.Sprintf("at most %.2f%%", math.Ceil(10000*p)/100)
	default:
		return fmt.Sprintf("at most %.0f%%", math.Ceil(100*p))
	}
}
