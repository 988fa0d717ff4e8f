package grade_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/internal/course"
	"github.com/racekit/racekit/pkg/internal/grade"
)

var _ = Describe("a corpus case's expect.txt", func() {
	It("reads every key", func() {
		c, err := parseCase(`# DecRef spins forever
# (a second comment is not the description)
base: starter
lessons: 1, 3
fixture: 01-lost-update/noop
delete: lessons/02-premature-free
link: lessons/01-lost-update/object_test.go -> /dev/zero
fifo: lessons/01-lost-update/notes
generate: lessons/01-lost-update/big.go 2MiB
timeout: 5s
build-timeout: 3s
build-memory: 1GiB
memory: 256MiB
status: error
score: 0 of 2
message: hangs
message: {concept}
spec: error counts every IncRef
spec-message: DecRef
spec-message: object.go
spec: skipped never loses
no-spec: is always fine
`)
		Expect(err).NotTo(HaveOccurred(), "every key of the format is accepted")
		Expect(c).To(Equal(corpusCase{
			About: "DecRef spins forever", Base: "starter",
			Lessons:  []course.Lesson{course.Lessons[0], course.Lessons[2]},
			Fixtures: []string{"01-lost-update/noop"}, Delete: []string{"lessons/02-premature-free"},
			Links: [][2]string{{"lessons/01-lost-update/object_test.go", "/dev/zero"}}, Fifos: []string{"lessons/01-lost-update/notes"},
			Generate: []generated{{Path: "lessons/01-lost-update/big.go", Size: 2 << 20}},
			Timeout:  5 * time.Second, BuildTimeout: 3 * time.Second, BuildMemory: 1 << 30, Memory: 256 << 20,
			Status: grade.Error, Score: []int{0, 2},
			Messages: []string{"hangs", "{concept}"},
			Specs: []specExpectation{
				{Status: grade.Error, Name: "counts every IncRef", Messages: []string{"DecRef", "object.go"}},
				{Status: grade.Skipped, Name: "never loses"},
			},
			NoSpecs: []string{"is always fine"},
		}), "each line lands in its field; spec-message lines belong to the spec line above them")
	})

	It("reads lessons: all as every lesson in the kit", func() {
		c, err := parseCase("base: solution\nlessons: all\nstatus: pass\n")
		Expect(err).NotTo(HaveOccurred(), "base, lessons and status are all a case needs")
		Expect(c.Lessons).To(Equal(course.InKit()), "all means the lessons that ship in the kit, in order")
	})

	DescribeTable("names the line of a mistake, so a broken case is fixed and not silently half-checked",
		func(text, want string) {
			_, err := parseCase(text)
			Expect(err).To(MatchError(ContainSubstring(want)), "the error should name the line and the mistake")
		},
		Entry("an unknown key", "base: starter\nlessons: 1\nstatuss: fail\n", `line 3: unknown key "statuss"`),
		Entry("a line that is not key: value", "base: starter\nlessons 1\n", "line 2: want \"key: value\""),
		Entry("an unknown base", "base: nothing\n", "line 1: base must be starter or solution"),
		Entry("a lesson not in the kit", "lessons: 10\n", `line 1: lessons: "10" is not the number of a lesson in the kit`),
		Entry("a status that is none", "status: ok\n", `line 1: a status is pass, fail, error or skipped, got "ok"`),
		Entry("a key given twice", "status: fail\nstatus: pass\n", "line 2: status given twice"),
		Entry("a score that is not N of M", "score: 6/6\n", `line 1: score must read "N of M"`),
		Entry("a spec with no name", "spec: fail\n", "line 1: spec needs a status and the text of the spec's name"),
		Entry("a spec-message with no spec", "spec-message: boom\n", "line 1: spec-message needs a spec line above it"),
		Entry("a delete outside the submission", "delete: ../kit\n", "line 1: delete needs a path inside the submission"),
		Entry("a link with no target", "link: lessons/x\n", `line 1: link needs "PATH -> TARGET"`),
		Entry("a fifo outside the submission", "fifo: /tmp/x\n", "line 1: fifo needs a path inside the submission"),
		Entry("a generate with no size", "generate: lessons/x.go big\n", `"big" is not a size`),
		Entry("a memory that is not a size", "memory: lots\n", `"lots" is not a size`),
		Entry("no status", "base: starter\nlessons: 1\n", `no "status" line`),
	)
})
