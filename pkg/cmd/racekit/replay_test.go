package main_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/internal/course"
)

var _ = Describe("racekit replay", func() {
	// replay runs racekit replay in kit and waits for it (it builds the
	// lesson, as check does).
	replay := func(kit string, args ...string) result {
		s := racekit(kit, append([]string{"replay"}, args...)...)
		code := finish(s, 3*time.Minute)
		return result{string(s.Out.Contents()), string(s.Err.Contents()), code}
	}

	When("the learner's code is the starter", func() {
		It("prints the foo trace the README shows, step by step, in the scenario the schedule fits", func() {
			r := replay(tempKit(), "1", "A*3 B*3 A B A B")
			Expect(r.code).To(Equal(0), r.err)
			Expect(r.out).To(ContainSubstring("the foo trace: two threads take and drop a reference to foo"), "the scenario the schedule was printed for")
			for _, line := range []string{
				"  1. A  IncRef  reads foo.refcount -> 1, writes 2",
				"  2. B  IncRef  reads foo.refcount -> 2, writes 3",
				"  3. A  DecRef  reads foo.refcount -> 3",
				"  4. B  DecRef  reads foo.refcount -> 3",
				"  5. A  DecRef  writes 2",
				"  6. B  DecRef  writes 2",
				"  refcount is 2, but only foo's owner still holds it (want 1): foo leaks",
			} {
				Expect(r.out).To(ContainSubstring(line+"\n"), "lesson 01's README quotes this line of the starter's run")
			}
		})
	})

	When("the learner's code is fixed", func() {
		It("shows the same schedule can no longer be followed, and where the lock stops it", func() {
			kit := solvedKit(course.Lessons[0])
			r := replay(kit, "1", "A*3 B*3 A B A B", "--scenario", "foo trace")
			Expect(r.code).To(Equal(0), r.err)
			Expect(r.out).To(ContainSubstring("waits for foo.mu, which A holds"), "B meets the lock in the trace")
			Expect(r.out).To(MatchRegexp(`note: step \d+: the schedule wants B, but B waits for foo\.mu, which A holds`), "the note says where the schedule broke off")
			Expect(r.out).To(ContainSubstring("passed; schedule: "), "the run passed")
		})
	})

	When("its input is wrong", func() {
		DescribeTable("exits with status 2, saying what is wrong",
			func(args []string, want string) {
				r := replay(tempKit(), args...)
				Expect(r.code).To(Equal(2))
				Expect(r.err).To(ContainSubstring(want))
			},
			Entry("no schedule", []string{"1"}, "replay takes a lesson and a schedule"),
			Entry("a schedule that does not parse", []string{"1", "A*0"}, `the schedule "A*0" does not read as one`),
			Entry("a scenario the lesson does not have", []string{"1", "A B", "--scenario", "no such thing"},
				`no scenario of lesson 1 has "no such thing" in its name; its scenarios are:`),
		)
	})
})
