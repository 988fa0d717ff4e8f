package gil_test

import (
	"errors"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/gil"
	"github.com/racekit/racekit/pkg/interleave"
	"github.com/racekit/racekit/pkg/interleave/interleavetest"
	"github.com/racekit/racekit/pkg/vm"
)

// noLock is no lock at all: every thread gets it at once. The specs use it
// to show that they would catch a lock that lets two threads in.
type noLock struct{}

func (noLock) Acquire(*vm.Thread)       {}
func (noLock) Release(*vm.Thread) error { return nil }

// useFoo is the seeds' foo trace on two VM threads: A and B each take and
// drop a reference to foo, under lock, with an eval-breaker check every
// checkInterval instructions and every debug check on. It ends with foo's
// count back at 1 and foo alive, and the lock's timeline well formed.
func useFoo(lock func() vm.Lock, checkInterval int) interleave.Scenario {
	return interleave.Scenario{
		Name: fmt.Sprintf("A and B each take and drop a reference to foo (check interval %d)", checkInterval),
		Setup: func(r *interleave.Run) {
			l := lock()
			interp := vm.New(vm.Config{Lock: l, CheckInterval: checkInterval, Checks: vm.Debug})
			foo := interp.SetGlobal("foo", "spam")
			for _, name := range []string{"A", "B"} {
				th := interp.NewThread(name)
				r.Go(name, func() {
					if _, err := th.Call(useProgram, "use"); err != nil {
						panic(err)
					}
				})
			}
			r.Finally(func() error {
				if n := foo.RefCount(); n != 1 || foo.Freed() {
					return fmt.Errorf("foo.refcount is %d (freed: %v), but only the binding foo still holds it (want 1, alive): an update of the count was lost", n, foo.Freed())
				}
				if tl, ok := l.(timelined); ok {
					if err := tl.Timeline().Check(); err != nil {
						return fmt.Errorf("%w:\n%s", err, tl.Timeline().Untimed())
					}
				}
				return nil
			})
		},
	}
}

var _ = Describe("Both interpreter locks", func() {
	for _, kind := range []struct {
		name string
		make func() timelined
	}{
		// Room for every event of the hammer's timeline; a short switch
		// interval, so that waiters really ask for drops while the hammer
		// runs on the wall clock.
		{"the old GIL", func() timelined { return &gil.Old{MaxEvents: 1 << 20} }},
		{"the new GIL", func() timelined { return &gil.New{Interval: 20 * time.Microsecond, MaxEvents: 1 << 20} }},
	} {
		Describe(kind.name, func() {
			When("four VM threads run free on the named globals foo and bar, yielding the GIL between uses", func() {
				It("lets one thread at a time touch an object, and keeps every reference count (go test -race checks the rest)", func() {
					lock := kind.make()
					interp := vm.New(vm.Config{Lock: lock, CheckInterval: 3, Checks: vm.Debug})
					interp.Define("yield", yield)
					foo, bar := interp.SetGlobal("foo", "spam"), interp.SetGlobal("bar", 42)
					var waits []func() outcome
					for _, name := range []string{"A", "B", "C", "D"} {
						waits = append(waits, start(interp.NewThread(name), shareProgram, "share", 300))
					}
					var outs []outcome
					for _, w := range waits {
						outs = append(outs, w())
					}
					Expect(outs).To(FinishCleanly(), "with vm.Debug on, a thread that touches foo or bar without holding the lock panics: "+
						"the lock must let exactly one thread hold it at a time")
					Expect(foo).To(HaveRefCount(1), "every LOAD_GLOBAL foo was matched by a POP_TOP: only the binding still holds foo")
					Expect(bar).To(HaveRefCount(1), "every LOAD_GLOBAL bar was matched by a POP_TOP: only the binding still holds bar")
					Expect(foo).NotTo(BeFreed(), "foo is still bound to its global, so it must be alive")
					Expect(lock.Holder()).To(BeNil(), "every thread released the lock when it finished")
					Expect(lock.Timeline()).To(BeWellFormed(), "the timeline records every take and release in the order they happened")
					Expect(lock.Timeline().Switches()).To(Equal(lock.Switches()), "the timeline counts the same switches as the lock")
					AddReportEntry("switches", fmt.Sprintf("%s: %d switches among four threads", kind.name, lock.Switches()))
				})
			})

			When("two VM threads take and drop a reference to foo under the controlled scheduler", func() {
				for _, checkInterval := range []int{1, 2} {
					It(fmt.Sprintf("never lets both touch foo at once, in any schedule explored (check interval %d)", checkInterval), func() {
						rep := interleave.Explore(useFoo(func() vm.Lock { return kind.make() }, checkInterval), interleave.Options{MaxPreemptions: 3})
						Expect(rep).To(interleavetest.Pass(), "A and B may switch at every eval-breaker check, but never while one of them is "+
							"in the middle of updating foo's reference count: the lock holds the other thread back")
						Expect(rep.Schedules).To(BeNumerically(">", 10), "the exploration must have tried many interleavings to mean anything")
						AddReportEntry("exploration", rep.Coverage())
					})
				}
			})

			When("a thread releases the lock while another thread holds it", func() {
				It("returns an error wrapping vm.ErrNotHolder and changes nothing", func() {
					lock := kind.make()
					interp := vm.New(vm.Config{Lock: lock})
					a, b := interp.NewThread("A"), interp.NewThread("B")
					lock.Acquire(a)
					err := lock.Release(b)
					Expect(errors.Is(err, vm.ErrNotHolder)).To(BeTrue(), "a release by a thread that does not hold the lock is refused with vm.ErrNotHolder, got %v", err)
					Expect(err).To(MatchError(ContainSubstring("thread B released it while A holds it")), "the error names both threads")
					Expect(lock.Holder()).To(Equal(a), "a refused release changes nothing: A still holds the lock")
					Expect(lock.Timeline().Events).To(HaveLen(1), "a refused release records nothing")

					Expect(lock.Release(a)).To(Succeed(), "the holder may release the lock")
					Expect(lock.Release(a)).To(MatchError(ContainSubstring("while nobody holds it")), "a lock is released once per take")
					Expect(lock.Holder()).To(BeNil(), "after its release nobody holds the lock")
				})

				It("panics when a thread asks for the lock it already holds, instead of waiting for itself", func() {
					lock := kind.make()
					a := vm.New(vm.Config{Lock: lock}).NewThread("A")
					lock.Acquire(a)
					Expect(func() { lock.Acquire(a) }).To(PanicWith(ContainSubstring("thread A acquires the")), "a real lock would wait for itself forever")
					Expect(lock.Release(a)).To(Succeed(), "the panic leaves A holding the lock once")
				})
			})
		})
	}

	When("the interpreter uses no lock at all", func() {
		It("would fail the same exploration: the specs above can tell a lock from no lock", func() {
			rep := interleave.Explore(useFoo(func() vm.Lock { return noLock{} }, 1), interleave.Options{MaxPreemptions: 3})
			Expect(rep.Passed()).To(BeFalse(), "two threads that are both let in must be caught touching foo together")
			Expect(rep.Failure.Message).To(Or(ContainSubstring("without holding the GIL"), ContainSubstring("an update of the count was lost")),
				"either vm.Debug's CheckGIL catches the second thread, or the final check finds foo's count wrong")
		})
	})
})
