package interleave

import (
	"fmt"
	"maps"
	"slices"
)

// Report is the outcome of an exploration.
type Report struct {
	Scenario  string // the scenario's Name
	Schedules int    // how many schedules were run
	// Covered is the highest preemption bound whose schedules were all run
	// (-1 when not even the schedules without preemption were all run).
	// With Reduced, "all" means all but those that only reorder
	// independent steps of a schedule that was run.
	Covered int
	// Exhaustive reports that every schedule of the scenario was run, or,
	// with Reduced, one schedule of every class of schedules that differ
	// only in the order of independent steps: every outcome was seen.
	Exhaustive bool
	// Reduced reports that the exploration skipped schedules that only
	// reorder independent steps of one it ran (partial-order reduction):
	// steps of different goroutines on different objects, or reading the
	// same one. It is off when Options.NoReduction is set, and when a
	// goroutine blocked on something only the goroutine dump shows (a
	// channel, the standard library's sync), which may hide a conflict.
	Reduced bool
	// Failure is the simplest failing run found, nil when every run
	// passed: the exploration finds one with as few preemptions as any
	// failing schedule it ran, and then shrinks it (fewer steps, then
	// fewer preemptions, failing the same way). Its Error prints only the
	// trace lines about what the broken check looked at. The last run
	// Explore makes is that failing run, so state a Setup kept from its
	// last call belongs to it.
	Failure *Failure
	// Preemptions is the number of preemptions in the failing schedule.
	Preemptions int
	// Outcomes counts how the schedules run ended, when EnvOutcomes asks:
	// "passed" or what broke (see OutcomeTable). Nil otherwise.
	Outcomes    []Outcome
	failedAt    int  // Schedules when the first failure was found
	outcomesCut bool // counting stopped OutcomeBudget schedules after it
	// Random counts the schedules drawn at random (Options.RandomSchedules);
	// Coverage says what they cover.
	Random int
	random randomCover // what the random schedules were drawn over
	// Diverged counts the runs that could not follow their planned first
	// steps, because something the scheduler does not control decided
	// between goroutines inside a step: a goroutine woken through a channel
	// or the standard library's sync, a select with several ready cases, a
	// timer. Such a run is still a real interleaving and is checked like
	// any other, but the exploration may have missed schedules, so it is
	// not Exhaustive.
	Diverged int
}

// Passed reports whether every schedule run passed.
func (r *Report) Passed() bool { return r.Failure == nil }

// String says what was explored and, on failure, prints the failing run.
func (r *Report) String() string {
	if r.Failure != nil {
		return fmt.Sprintf("%s\n  (found after %d %s; this schedule has %d %s)",
			r.Failure.Error(), r.Schedules, plural(r.Schedules, "schedule"), r.Preemptions, plural(r.Preemptions, "preemption"))
	}
	return r.Coverage()
}

// Coverage says in one sentence how much of the scenario was explored,
// followed by the outcome table when outcomes were counted.
func (r *Report) Coverage() string {
	if t := r.OutcomeTable(); t != "" {
		return r.coverage() + "\n" + t
	}
	return r.coverage()
}

// coverage is Coverage's sentence.
func (r *Report) coverage() string {
	n := fmt.Sprintf("explored %d %s", r.Schedules, plural(r.Schedules, "schedule"))
	if r.Diverged > 0 {
		n += fmt.Sprintf(" (%d could not follow their planned steps: something outside the scheduler, such as a channel or the standard library's sync, chose between goroutines)", r.Diverged)
	}
	same := ""
	if r.Reduced {
		same = ", skipping those that only reorder independent steps"
	}
	switch {
	case r.Failure != nil:
		return fmt.Sprintf("%s: a schedule broke the scenario (the simplest found has %d %s)", n, r.Preemptions, plural(r.Preemptions, "preemption"))
	case r.Exhaustive && r.Reduced:
		return n + ": every schedule of the scenario up to the order of independent steps, so every outcome (exhaustive)"
	case r.Exhaustive:
		return n + ": every schedule of the scenario (exhaustive)"
	case r.Random > 0:
		// The random schedules come after the bounded ones: say what each
		// part covered.
		bounded := r.Schedules - r.Random
		n = fmt.Sprintf("explored %d %s", bounded, plural(bounded, "schedule"))
		if r.Covered < 0 {
			return n + " before the schedule cap, not even all those without preemptions" + r.random.String(r.Random) + "; exploring is not a proof"
		}
		return fmt.Sprintf("%s with at most %d %s%s, not the ones with more%s; exploring is not a proof",
			n, r.Covered, plural(r.Covered, "preemption"), same, r.random.String(r.Random))
	case r.Covered < 0:
		return n + ": stopped at the schedule cap before covering even the schedules without preemptions; exploring is not a proof"
	default:
		return fmt.Sprintf("%s with at most %d %s%s, not the ones with more; exploring is not a proof",
			n, r.Covered, plural(r.Covered, "preemption"), same)
	}
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// Explore runs the scenario under every schedule with at most
// Options.MaxPreemptions preemptions, fewest preemptions first and
// depth-first within a bound, and stops at the first failure or after
// Options.MaxSchedules schedules. When that did not cover every schedule
// and found no failure, it draws Options.RandomSchedules more at random
// (PCT). A failure it finds is shrunk before it is reported (see
// Report.Failure).
//
// Two steps of different goroutines are independent when they act on
// different objects (cells, the kit's sync and atomic values, heap blocks)
// or both only read one: running them in either order gives the same
// state. Unless Options.NoReduction is set, Explore runs one schedule of
// each class of schedules that differ only in the order of independent
// steps: dynamic partial-order reduction (Flanagan and Godefroid, 2005)
// with sleep sets, bounded by preemptions as Coons, Musuvathi and McKinley
// describe (2013). An explicit Point conflicts with every step, and a
// goroutine's first step (from its start to its first point) with none.
// When a goroutine blocks on something only the goroutine dump shows, which
// may share state the scheduler does not see, Explore starts again without
// the reduction, and then runs each schedule exactly once.
//
// The scenario should be deterministic for a given schedule: Setup builds
// fresh state, and the goroutines share state only through cells, points
// and synchronisation. A run that cannot follow its planned steps is counted
// in Report.Diverged, goes on without preemptions, and is checked like any
// other run.
func Explore(sc Scenario, opts ...Options) *Report {
	showRequested(sc, opts)
	playRequested(sc, opts)
	o := optionsOf(opts)
	o = o.withDefaults()
	o.outcomes = countOutcomes()
	return explore(sc, o)
}

// explore is Explore with its options settled.
func explore(sc Scenario, o Options) *Report {
	var rep *Report
	if o.NoReduction {
		rep = exploreAll(sc, o).Report
	} else {
		red := exploreReduced(sc, o)
		if red.opaque {
			// Something the scheduler cannot see may have made two steps
			// conflict: what was skipped may matter. Start again, counting
			// the runs already made.
			ran := red.Schedules
			o.MaxSchedules = max(o.MaxSchedules-ran, 1)
			red = exploreAll(sc, o)
			red.Schedules += ran
		}
		rep = red.Report
	}
	if rep.Failure == nil && !rep.Exhaustive && o.RandomSchedules > 0 {
		pct(sc, o, rep)
	}
	if rep.Failure == nil {
		return rep
	}
	if best := shrink(sc, o, rep.Failure.Schedule); best != nil {
		rep.Failure, rep.Preemptions = best.Failure, best.preemptions()
	}
	lastRunFails(sc, o, rep)
	rep.Failure.focused = true
	return rep
}

// lastRunFails runs the failing schedule of rep once more, since the
// exploration went on after it (to shrink it, or to count outcomes): a
// Setup that keeps its last call's state then holds the failing run's.
func lastRunFails(sc Scenario, o Options, rep *Report) {
	diverged := false
	if res := execute(sc, o, followPrefix(rep.Failure.Schedule, &diverged, nil)); res.Failure != nil && !diverged {
		rep.Failure = res.Failure
	}
}

// exploration is Explore's state while it explores one scenario.
type exploration struct {
	*Report
	opaque bool // a run blocked on something only the goroutine dump shows
}

// exploreAll runs every schedule within the bounds: Explore without the
// reduction.
func exploreAll(sc Scenario, o Options) *exploration {
	type prefix struct {
		choices     Schedule
		preemptions int
	}
	queues := make([][]prefix, o.MaxPreemptions+1)
	queues[0] = []prefix{{}}
	rep := &exploration{Report: &Report{Scenario: sc.Name, Covered: -1}}
	pruned := false
	for bound := 0; bound <= o.MaxPreemptions; bound++ {
		stack := queues[bound]
		queues[bound] = nil
		for len(stack) > 0 {
			if rep.Schedules >= o.MaxSchedules {
				return rep
			}
			p := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			diverged := false
			res := execute(sc, o, followPrefix(p.choices, &diverged, nil))
			rep.Schedules++
			if o.RandomSchedules > 0 {
				rep.saw(res)
			}
			if diverged {
				rep.Diverged++
			}
			if res.opaque {
				rep.opaque = true
			}
			if o.outcomes {
				rep.count(res)
			}
			if res.Failure != nil && rep.Failure == nil {
				rep.Failure, rep.Preemptions, rep.failedAt = res.Failure, p.preemptions, rep.Schedules
			}
			if res.Failure != nil && !o.outcomes || o.outcomes && rep.countedEnough() {
				return rep
			}
			for i := len(p.choices); i < len(res.Schedule); i++ {
				prevCanGo := i > 0 && slices.Contains(res.enabled[i], res.Schedule[i-1])
				for _, alt := range res.enabled[i] {
					if alt == res.Schedule[i] {
						continue
					}
					n := p.preemptions
					if prevCanGo && alt != res.Schedule[i-1] {
						n++
					}
					child := prefix{choices: append(slices.Clone(res.Schedule[:i]), alt), preemptions: n}
					switch {
					case n <= bound:
						stack = append(stack, child)
					case n <= o.MaxPreemptions:
						queues[n] = append(queues[n], child)
					default:
						pruned = true
					}
				}
			}
		}
		rep.Covered = bound
		if !pruned && !slices.ContainsFunc(queues[bound+1:], func(q []prefix) bool { return len(q) > 0 }) {
			rep.Exhaustive = rep.Diverged == 0
			return rep
		}
	}
	return rep
}

// exploreReduced explores with the reduction, with at most MaxPreemptions
// preemptions. When it finds a failure, it explores again with bounds 0,
// 1, 2, ... below that failure's preemptions, and reports the first failure
// of the lowest bound that has one: a schedule as simple as any it found.
func exploreReduced(sc Scenario, o Options) *exploration {
	rep := &exploration{Report: &Report{Scenario: sc.Name, Covered: -1, Reduced: true}}
	pruned, stopped := dpor(sc, o, o.MaxPreemptions, rep)
	if rep.opaque {
		return rep
	}
	if rep.Failure == nil {
		if !stopped {
			rep.Covered = o.MaxPreemptions
			rep.Exhaustive = !pruned && rep.Diverged == 0
		}
		return rep
	}
	found := *rep.Report
	// The search for a simpler failure below counts nothing more.
	o.outcomes = false
	for bound := 0; bound < found.Preemptions; bound++ {
		rep.Failure = nil
		if dpor(sc, o, bound, rep); rep.opaque {
			return rep
		}
		if rep.Failure != nil {
			return rep
		}
	}
	rep.Failure, rep.Preemptions = found.Failure, found.Preemptions
	return rep
}

// branch is one step of the schedule being explored: who could take it,
// who did, and what is left to try there.
type branch struct {
	enabled   []string // who could take the step, in creation order
	acc       []access // what each of them would do
	chosen    string   // who takes it in the current schedule
	preempt   int      // preemptions in the schedule before this step
	prevCanGo bool     // the goroutine that took the previous step could take this one
	prev      string   // who took the previous step
	backtrack []string // goroutines to try here, found by races
	done      []string // goroutines tried here, the current one included
	sleep     []string // asleep on arrival: covered by a schedule already run
	dead      bool     // past the point where everything enabled was asleep
}

// accOf is what name would do at this step, and whether it could take it.
func (b *branch) accOf(name string) (access, bool) {
	i := slices.Index(b.enabled, name)
	if i < 0 {
		return access{}, false
	}
	return b.acc[i], true
}

// cost is how many preemptions the schedule has once name takes this step.
func (b *branch) cost(name string) int {
	if b.prevCanGo && name != b.prev {
		return b.preempt + 1
	}
	return b.preempt
}

// dpor explores every class of schedules with at most bound preemptions.
// It reports whether a schedule was left out because of the bound, and
// whether it stopped early (the schedule cap, a failure, or a run that was
// opaque to the reduction).
func dpor(sc Scenario, o Options, bound int, rep *exploration) (pruned, stopped bool) {
	var path []*branch
	var prefix Schedule
	var childSleep []string
	for {
		if rep.Schedules >= o.MaxSchedules {
			return true, true
		}
		diverged := false
		sp := &sleepPath{sleep: childSleep}
		res := execute(sc, o, followPrefix(prefix, &diverged, sp))
		rep.Schedules++
		if o.RandomSchedules > 0 {
			rep.saw(res) // the sizes the random schedules are drawn over
		}
		if res.opaque {
			rep.opaque = true
			return false, true
		}
		if o.outcomes {
			rep.count(res)
		}
		keep := len(prefix)
		if diverged {
			rep.Diverged++
			keep = 0 // the branches no longer describe this run
		}
		path = path[:min(keep, len(path))]
		for k := len(path); k < len(res.Schedule); k++ {
			b := &branch{enabled: res.enabled[k], acc: res.access[k], chosen: res.Schedule[k]}
			b.done = []string{b.chosen}
			b.backtrack = []string{b.chosen}
			if !diverged && k-len(prefix) < len(sp.at) && k >= len(prefix) {
				b.sleep = sp.at[k-len(prefix)]
			}
			b.dead = sp.blockedAt >= 0 && k >= sp.blockedAt
			path = append(path, b)
		}
		for k, b := range path {
			if k > 0 {
				b.prev = path[k-1].chosen
				b.prevCanGo = slices.Contains(b.enabled, b.prev)
				b.preempt = path[k-1].cost(path[k-1].chosen)
			}
		}
		if res.Failure != nil && rep.Failure == nil {
			rep.Failure, rep.failedAt = res.Failure, rep.Schedules
			if n := len(path); n > 0 {
				rep.Preemptions = path[n-1].cost(path[n-1].chosen)
			}
		}
		if res.Failure != nil && !o.outcomes || o.outcomes && rep.countedEnough() {
			return false, true
		}
		addRaces(path)
		// The deepest step with a goroutine still to try is the next
		// schedule's last fixed step.
		next := -1
		var alt string
		for i := len(path) - 1; i >= 0 && next < 0; i-- {
			b := path[i]
			if b.dead {
				continue
			}
			for _, q := range b.enabled {
				if !slices.Contains(b.backtrack, q) || slices.Contains(b.done, q) || slices.Contains(b.sleep, q) {
					continue
				}
				if b.cost(q) > bound {
					pruned = true
					b.done = append(b.done, q)
					continue
				}
				next, alt = i, q
				break
			}
		}
		if next < 0 {
			return pruned, false
		}
		b := path[next]
		qa, _ := b.accOf(alt)
		childSleep = nil
		for _, t := range append(slices.Clone(b.sleep), b.done...) {
			if ta, ok := b.accOf(t); ok && t != alt && !ta.conflicts(qa) && !slices.Contains(childSleep, t) {
				childSleep = append(childSleep, t)
			}
		}
		b.done = append(b.done, alt)
		b.chosen = alt
		path = path[:next+1]
		prefix = make(Schedule, next+1)
		for k, pb := range path {
			prefix[k] = pb.chosen
		}
	}
}

// addRaces finds the races of the schedule path describes and, at each
// racing step, marks a goroutine to try there, so that a later schedule
// reverses the race: source-set DPOR (Abdulla, Aronis, Jonsson and
// Sagonas, 2014), which stays sound with sleep sets.
//
// For a step k of goroutine g, the races are the earlier steps m of other
// goroutines that conflict with it and do not happen before g's previous
// step: every such step after g's previous step, and the latest one before
// it. To reverse the race (m, k), a schedule must run, at step m, one of the
// first goroutines of v, the steps between m and k that do not happen after
// m, followed by k; unless the branch already has one of them, the first
// is marked. It is also marked at the step where the goroutine that took
// step m was last switched to, where the reversal may cost one preemption
// less (Coons et al.'s bounded reduction).
func addRaces(path []*branch) {
	type step struct {
		g     string
		seq   int            // the how-manyth step of g it is, from 1
		acc   access         // what it did
		prev  map[string]int // happens-before clock of g's previous step
		clock map[string]int // happens-before clock of this step
	}
	n := len(path)
	steps := make([]step, n)
	seq := map[string]int{}
	last := map[string]int{}      // goroutine -> its latest step
	lastWrite := map[int]int{}    // object -> its latest write
	readsSince := map[int][]int{} // object -> reads since that write
	lastAll := -1                 // the latest step that conflicts with everything
	for k, b := range path {
		g := b.chosen
		a, _ := b.accOf(g)
		seq[g]++
		clock := map[string]int{}
		if m, ok := last[g]; ok {
			for h, v := range steps[m].clock {
				clock[h] = v
			}
		}
		prev := maps.Clone(clock)
		var conflicting []int
		switch {
		case a.all:
			for h, m := range last {
				if h != g {
					conflicting = append(conflicting, m)
				}
			}
		default:
			if lastAll >= 0 {
				conflicting = append(conflicting, lastAll)
			}
			if a.obj != 0 {
				if w, ok := lastWrite[a.obj]; ok {
					conflicting = append(conflicting, w)
				}
				if a.write {
					conflicting = append(conflicting, readsSince[a.obj]...)
				}
			}
		}
		for _, m := range conflicting {
			for h, v := range steps[m].clock {
				clock[h] = max(clock[h], v)
			}
		}
		clock[g] = seq[g]
		steps[k] = step{g: g, seq: seq[g], acc: a, prev: prev, clock: clock}
		last[g] = k
		switch {
		case a.all:
			lastAll = k
		case a.obj != 0 && a.write:
			lastWrite[a.obj] = k
			readsSince[a.obj] = nil
		case a.obj != 0:
			readsSince[a.obj] = append(readsSince[a.obj], k)
		}
	}
	// before reports whether step i happens before step j.
	before := func(i, j int) bool { return steps[j].clock[steps[i].g] >= steps[i].seq }
	prevStep := map[string]int{}
	for k := range steps {
		g := steps[k].g
		p, hasPrev := prevStep[g]
		if !hasPrev {
			p = -1
		}
		prevStep[g] = k
		for m := k - 1; m >= 0; m-- {
			sm := steps[m]
			if sm.g == g || !sm.acc.conflicts(steps[k].acc) || steps[k].prev[sm.g] >= sm.seq {
				continue
			}
			// v: the steps after m that do not happen after it, then k.
			var v []int
			for j := m + 1; j < k; j++ {
				if !before(m, j) {
					v = append(v, j)
				}
			}
			v = append(v, k)
			// The first goroutines of v: whose first step in v happens
			// after no other step of v.
			var initials []string
			seen := map[string]bool{}
			for x, j := range v {
				if seen[steps[j].g] {
					continue
				}
				seen[steps[j].g] = true
				first := true
				for _, i := range v[:x] {
					if before(i, j) {
						first = false
						break
					}
				}
				if first {
					initials = append(initials, steps[j].g)
				}
			}
			backtrack(path, m, initials)
			if m <= p {
				break
			}
		}
	}
}

// backtrack marks, at step i, the first of initials that could take it,
// unless one of them is marked there already; when none could, every
// goroutine that could is marked. It does the same at the step where the
// goroutine that took step i was switched to.
func backtrack(path []*branch, i int, initials []string) {
	mark := func(b *branch) {
		if b.dead {
			return
		}
		for _, g := range initials {
			if slices.Contains(b.backtrack, g) {
				return
			}
		}
		for _, g := range initials {
			if _, ok := b.accOf(g); ok {
				b.backtrack = append(b.backtrack, g)
				return
			}
		}
		for _, e := range b.enabled {
			if !slices.Contains(b.backtrack, e) {
				b.backtrack = append(b.backtrack, e)
			}
		}
	}
	mark(path[i])
	j := i
	for j > 0 && path[j-1].chosen == path[i].chosen {
		j--
	}
	if j != i {
		mark(path[j])
	}
}

// sleepPath is the sleep set along one run, after its fixed first steps.
type sleepPath struct {
	sleep     []string   // asleep before the next step
	at        [][]string // at[k]: asleep before the k-th step after the fixed ones
	blockedAt int        // the first step at which everything enabled was asleep; -1 if none
}

// followPrefix takes the given choices, then never preempts. With a
// sleepPath, it keeps its sleep set after the choices: it never picks a
// sleeping goroutine while another can go. When a choice cannot be taken
// it sets *diverged and goes on without preempting.
func followPrefix(choices Schedule, diverged *bool, path *sleepPath) chooser {
	if path != nil {
		path.blockedAt = -1
	}
	return func(step int, prev *goroutine, en []*goroutine, acc []access) *goroutine {
		if step < len(choices) && !*diverged {
			for _, g := range en {
				if g.name == choices[step] {
					return g
				}
			}
			*diverged = true
		}
		if path == nil || step < len(choices) || *diverged {
			return defaultChoice(prev, en)
		}
		path.at = append(path.at, path.sleep)
		if path.blockedAt >= 0 {
			return defaultChoice(prev, en)
		}
		var awake []*goroutine
		for _, g := range en {
			if !slices.Contains(path.sleep, g.name) {
				awake = append(awake, g)
			}
		}
		if len(awake) == 0 {
			// Every schedule from here reorders one already covered; run
			// it to its end all the same, and explore nothing beyond.
			path.blockedAt = step
			return defaultChoice(prev, en)
		}
		g := defaultChoice(prev, awake)
		took := acc[slices.Index(en, g)]
		var still []string
		for _, name := range path.sleep {
			i := slices.IndexFunc(en, func(e *goroutine) bool { return e.name == name })
			if name != g.name && i >= 0 && !acc[i].conflicts(took) {
				still = append(still, name)
			}
		}
		path.sleep = still
		return g
	}
}
