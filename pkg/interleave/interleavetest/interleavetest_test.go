package interleavetest_test

import (
	"os"
	"path/filepath"
	"runtime"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/interleave"
	"github.com/racekit/racekit/pkg/interleave/interleavetest"
	"github.com/racekit/racekit/pkg/internal/course"
)

// read and write are the trace events of goroutine A reading or writing the
// cell hits.
func read(v int) interleave.Event {
	return interleave.Event{G: "A", Kind: interleave.Read, Cell: "hits", Value: v}
}

func write(v int) interleave.Event {
	return interleave.Event{G: "A", Kind: interleave.Write, Cell: "hits", Value: v}
}

var _ = Describe("ShowUpdatesOf", func() {
	When("given the values written", func() {
		It("succeeds when every write follows a read and the writes are those values, in order", func() {
			t := interleave.Trace{read(0), write(1), read(1), read(1), write(2)}
			Expect(t).To(interleavetest.ShowUpdatesOf("hits", 1, 2), "two read-then-write updates, storing 1 and then 2")
			Expect(t).NotTo(interleavetest.ShowUpdatesOf("hits", 2, 1), "the writes must come in the order given")
			Expect(t).NotTo(interleavetest.ShowUpdatesOf("hits", 1), "every write counts, not just the first ones")
		})

		It("fails on a write that no read of the cell came before", func() {
			t := interleave.Trace{read(0), write(1), write(2)}
			Expect(t).NotTo(interleavetest.ShowUpdatesOf("hits", 1, 2), "the second write was not read first: it is not an update")
		})

		It("looks only at the cell named", func() {
			other := interleave.Event{G: "B", Kind: interleave.Write, Cell: "misses", Value: 7}
			Expect(interleave.Trace{read(0), other, write(1)}).To(interleavetest.ShowUpdatesOf("hits", 1),
				"a write of another cell neither breaks nor counts as an update of hits")
		})
	})

	When("given no values", func() {
		It("succeeds when the cell is read and later written", func() {
			Expect(interleave.Trace{write(5), read(5), write(6)}).To(interleavetest.ShowUpdatesOf("hits"),
				"one read followed by a write is enough")
		})

		It("fails when the cell is only read, or only written before it is read", func() {
			Expect(interleave.Trace{read(0), read(0)}).NotTo(interleavetest.ShowUpdatesOf("hits"), "no write")
			Expect(interleave.Trace{write(1), read(1)}).NotTo(interleavetest.ShowUpdatesOf("hits"), "no write after the read")
		})
	})

	It("prints the trace when it fails, or says that the trace is empty", func() {
		m := interleavetest.ShowUpdatesOf("hits", 1)
		t := interleave.Trace{read(0)}
		Expect(m.Match(t)).To(BeFalse())
		Expect(m.FailureMessage(t)).To(Equal("Expected the scheduler to see hits read and then written [1], but the trace is:\n" + t.String()))

		m = interleavetest.ShowUpdatesOf("hits")
		Expect(m.Match(interleave.Trace{})).To(BeFalse())
		Expect(m.FailureMessage(interleave.Trace{})).To(Equal("Expected the scheduler to see hits read and then written, but " +
			"no read or write of hits went through the scheduler; the trace is:\n  (empty)"))
	})
})

var _ = Describe("Returns", func() {
	It("reports true once f returns, and the caller sees what f wrote", func() {
		n := 0
		Expect(interleavetest.Returns(func() { n = 42 })).To(BeTrue(), "f returns at once")
		Expect(n).To(Equal(42), "f's return is synchronized before Returns returns true")
	})

	It("reports false when f does not return within the bound, and leaves f's goroutine behind", func() {
		release := make(chan struct{})
		returned := make(chan struct{})
		Expect(interleavetest.ReturnsWithin(20*time.Millisecond, func() {
			defer close(returned)
			<-release // waits until the spec lets it go
		})).To(BeFalse(), "f is still waiting when the bound runs out")
		Consistently(returned, 20*time.Millisecond).ShouldNot(BeClosed(), "f's goroutine is still waiting")
		close(release)
		Eventually(returned).Should(BeClosed(), "the goroutine left behind goes on once it is let go")
	})

	It("panics on a nil func", func() {
		Expect(func() { interleavetest.Returns(nil) }).To(PanicWith("interleavetest: Returns called with a nil func"))
	})

	It("fails the caller when f ends its goroutine with runtime.Goexit, even though f's deferred calls ran", func() {
		deferred := false
		Expect(func() {
			interleavetest.Returns(func() {
				defer func() { deferred = true }()
				runtime.Goexit()
			})
		}).To(PanicWith(interleavetest.GoexitMessage), "a function that never returned did not do its work")
		Expect(deferred).To(BeTrue(), "Goexit ran f's deferred calls, which is why they prove nothing")
	})
})

var _ = Describe("UseTheKitsSync", func() {
	write := func(dir, name, text string) {
		GinkgoHelper()
		Expect(os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644)).To(Succeed())
	}

	It("succeeds on code that imports the kit's sync", func() {
		dir := GinkgoT().TempDir()
		write(dir, "object.go", "package p\n\nimport \"github.com/racekit/racekit/pkg/sync\"\n\nvar _ sync.Mutex\n")
		Expect(dir).To(interleavetest.UseTheKitsSync())
	})

	It("fails on the standard library's sync, naming the import, the one to use and why", func() {
		dir := GinkgoT().TempDir()
		write(dir, "object.go", "package p\n\nimport \"sync\"\n\nvar _ sync.Mutex\n")
		m := interleavetest.UseTheKitsSync()
		Expect(m.Match(dir)).To(BeFalse())
		Expect(m.FailureMessage(dir)).To(Equal("The lesson's code uses the standard library's sync:\n" +
			"  object.go:3 imports \"sync\": import \"github.com/racekit/racekit/pkg/sync\" instead\n" +
			"Use the kit's instead: " + course.WhyKitSync + ". Its API is the standard library's, so only the import line changes."))
	})

	It("errs on a folder it cannot read", func() {
		_, err := interleavetest.UseTheKitsSync().Match(filepath.Join(GinkgoT().TempDir(), "missing"))
		Expect(err).To(MatchError(ContainSubstring("cannot read the lesson's code")))
	})
})

var _ = Describe("LocksOtherThan", func() {
	It("lists the locks taken whose names lack the prefix, once each, in order", func() {
		lock := func(g, name string) interleave.Event {
			return interleave.Event{G: g, Kind: interleave.Sync, Cell: name, Label: "locks " + name}
		}
		t := interleave.Trace{
			lock("A", "mutex #2"), lock("B", "foo.mu"), lock("A", "mutex #1"), lock("B", "mutex #2"),
			{G: "A", Kind: interleave.Sync, Cell: "mutex #3", Label: "unlocks mutex #3"},
		}
		Expect(interleavetest.LocksOtherThan(t, "foo.")).To(Equal([]string{"mutex #2", "mutex #1"}),
			"foo.mu is foo's own, and an unlock is not a lock taken")
	})
})

var _ = Describe("FieldOf", func() {
	type object struct {
		Name     string
		other    *interleave.Int
		refcount *interleave.Int
		plain    int
	}
	o := &object{Name: "foo", other: interleave.NewInt("foo.other", 7), refcount: interleave.NewInt("foo.refcount", 3), plain: 5}
	byName := func(name string) func(*interleave.Int) bool {
		return func(c *interleave.Int) bool { return c != nil && c.Name() == name }
	}

	It("finds an unexported field of the type asked for, the first that keep keeps", func() {
		c, ok := interleavetest.FieldOf(o, byName("foo.refcount"))
		Expect(ok).To(BeTrue(), "the second *interleave.Int field is named foo.refcount")
		Expect(c).To(BeIdenticalTo(o.refcount), "the field's own value: the cell itself, not a copy")
		first, _ := interleavetest.FieldOf[*interleave.Int](o, nil)
		Expect(first).To(BeIdenticalTo(o.other), "keep nil keeps the first field of the type")
		n, ok := interleavetest.FieldOf[int](o, nil)
		Expect(ok).To(BeTrue(), "plain is an int field")
		Expect(n).To(Equal(5), "plain values too")
	})

	It("reports false when no field fits, or p is not a pointer to a struct", func() {
		_, ok := interleavetest.FieldOf(o, byName("bar.refcount"))
		Expect(ok).To(BeFalse(), "no cell of that name")
		_, ok = interleavetest.FieldOf[float64](o, nil)
		Expect(ok).To(BeFalse(), "no field of that type")
		_, ok = interleavetest.FieldOf[int](*o, nil)
		Expect(ok).To(BeFalse(), "a struct, not a pointer to one")
		_, ok = interleavetest.FieldOf[int]((*object)(nil), nil)
		Expect(ok).To(BeFalse(), "a nil pointer")
	})
})
