package vm_test

import (
	"errors"
	"fmt"
	"testing"
	"testing/synctest"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/vm"
)

// questions returns the instruction counts at which DropRequested was
// asked, from a lock's call log.
func questions(calls []string) []int64 {
	var at []int64
	for _, c := range calls {
		var n int64
		if _, err := fmt.Sscanf(c, "DropRequested A at %d", &n); err == nil {
			at = append(at, n)
		}
	}
	return at
}

// joined waits for t and returns its result and error.
func joined(t *vm.Thread) []any {
	v, err := t.Join()
	return []any{v, err}
}

// refusingLock is a lock whose Release always fails.
type refusingLock struct{ mutexLock }

func (l *refusingLock) Release(t *vm.Thread) error {
	return fmt.Errorf("refusing lock %w: %s", vm.ErrNotHolder, t.Name())
}

var _ = Describe("the eval breaker", func() {
	// plainCountdown runs each of countdown(3)'s 33 instructions after a
	// NOP: 66 instructions, none fused, so checks fall exactly every
	// CheckInterval instructions.
	const n, total = 3, 66
	plainCountdown := vm.MustAssemble("plain.asm", plain(countdownText))

	run := func(lock vm.Lock, interval int) *vm.Thread {
		t := vm.New(vm.Config{Lock: lock, CheckInterval: interval, Checks: vm.Debug}).NewThread("A")
		Expect(t.Call(plainCountdown, "countdown", n)).To(Equal(0), "countdown runs to 0 whatever the lock does")
		Expect(t.Instructions()).To(Equal(int64(total)), "two instructions for every instruction of countdown(3)")
		return t
	}

	When("the lock implements vm.DropRequester", func() {
		It("is asked every CheckInterval instructions, by the thread holding it, and kept while it says no", func() {
			lock := &askingLock{}
			run(lock, 5)
			want := []string{"Acquire A"}
			for i := 5; i <= total; i += 5 {
				want = append(want, fmt.Sprintf("DropRequested A at %d", i))
			}
			want = append(want, "Release A")
			Expect(lock.Calls()).To(Equal(want), "a check every 5 instructions, no drop, and one release at the end")
		})

		It("is released and acquired again when it says yes", func() {
			lock := &askingLock{answerEvery: 2}
			run(lock, 5)
			want := []string{"Acquire A"}
			for i := 5; i <= total; i += 5 {
				want = append(want, fmt.Sprintf("DropRequested A at %d", i))
				if i%10 == 0 {
					want = append(want, "Release A", "Acquire A")
				}
			}
			want = append(want, "Release A")
			Expect(lock.Calls()).To(Equal(want), "every second answer is yes, and each yes is a Release and an Acquire at once")
		})

		It("is asked at most a superinstruction late in quickened code", func() {
			for _, checks := range []vm.Checks{vm.Debug, 0} {
				lock := &askingLock{}
				t := vm.New(vm.Config{Lock: lock, CheckInterval: 5, Checks: checks}).NewThread("A")
				Expect(t.Call(vm.MustAssemble("countdown.asm", countdownText), "countdown", 20)).To(Equal(0), "countdown runs to 0")
				at := questions(lock.Calls())
				Expect(at).NotTo(BeEmpty(), "the breaker is checked")
				prev := int64(0)
				for _, a := range at {
					Expect(a-prev).To(BeNumerically(">=", 5), "never sooner than CheckInterval instructions after the last check")
					Expect(a-prev).To(BeNumerically("<=", 5+3), "the check waits for the end of a fused instruction, at most x = x op c's three more")
					prev = a
				}
				Expect(t.Instructions()-prev).To(BeNumerically("<", 5+3), "no stretch of CheckInterval instructions at the end went unchecked")
			}
		})
	})

	When("the lock does not implement vm.DropRequester", func() {
		It("is dropped and taken again at every check, as CPython 2's GIL was", func() {
			lock := &mutexLock{}
			run(lock, 5)
			want := []string{"Acquire A"}
			for i := 5; i <= total; i += 5 {
				want = append(want, "Release A", "Acquire A")
			}
			want = append(want, "Release A")
			Expect(lock.Calls()).To(Equal(want), "a drop every 5 instructions")
		})
	})

	When("the lock refuses a release", func() {
		It("panics with the lock's error", func() {
			t := vm.New(vm.Config{Lock: &refusingLock{}}).NewThread("A")
			Expect(func() { _, _ = t.Call(vm.MustAssemble("countdown.asm", countdownText), "countdown", 1) }).To(
				PanicWith("vm: thread A could not release the GIL: refusing lock released by a thread that does not hold it: A"),
				"a lock that cannot be released is a broken interpreter")
		})
	})
})

var _ = Describe("the default lock", func() {
	It("refuses a release by a thread that does not hold it", func() {
		interp := vm.New(vm.Config{})
		err := interp.Lock().Release(interp.NewThread("A"))
		Expect(errors.Is(err, vm.ErrNotHolder)).To(BeTrue(), "the error wraps vm.ErrNotHolder")
		Expect(err).To(MatchError("vm: the interpreter lock released by a thread that does not hold it: thread A released it while nobody holds it"),
			"the error names the thread and the holder")
	})

	It("lets two threads of one interpreter run to the end", func() {
		interp := vm.New(vm.Config{CheckInterval: 10, Checks: vm.Debug})
		prog := vm.MustAssemble("countdown.asm", countdownText)
		a, b := interp.NewThread("A"), interp.NewThread("B")
		a.Start(prog, "countdown", 2000)
		b.Start(prog, "countdown", 2000)
		for _, t := range []*vm.Thread{a, b} {
			Expect(t.Join()).To(Equal(0), t.Name()+" counts down to 0")
			Expect(t.Instructions()).To(Equal(countdownInstructions(2000)), t.Name()+" runs every instruction of countdown(2000)")
		}
	})

	It("is handed to a waiting thread at the holder's next check", func() {
		var (
			askedBefore, askedWaiting bool
			seen                      int64 // A's instruction count when B got the lock
			resA, resB                []any
			ranA                      int64
		)
		// In a synctest bubble, synctest.Wait returns once B is blocked
		// for good on the lock's channel: B surely waits before A goes on.
		synctest.Test(suiteT, func(*testing.T) {
			interp := vm.New(vm.Config{CheckInterval: 10, Checks: vm.Debug})
			asker := interp.Lock().(vm.DropRequester)
			a, b := interp.NewThread("A"), interp.NewThread("B")
			askedBefore = asker.DropRequested(a)
			interp.Define("seen", func(*vm.Thread, []*vm.Object) (*vm.Object, error) {
				seen = a.Instructions() // A is stopped at its check, without the lock
				return nil, nil
			})
			progB := vm.MustAssemble("b.asm", "func b()\n    CALL_BUILTIN seen 0\n    RETURN_VALUE\nend\n")
			interp.Define("startB", func(t *vm.Thread, _ []*vm.Object) (*vm.Object, error) {
				b.Start(progB, "b")
				synctest.Wait()
				askedWaiting = asker.DropRequested(t)
				return nil, nil
			})
			a.Start(vm.MustAssemble("a.asm", "func a(n)\n    CALL_BUILTIN startB 0\n    POP_TOP\n"+countdownLoop), "a", 100)
			resA, resB = joined(a), joined(b)
			ranA = a.Instructions()
		})
		Expect(askedBefore).To(BeFalse(), "the default lock asks for no drop while nobody waits")
		Expect(askedWaiting).To(BeTrue(), "it asks for one while B waits")
		Expect(resA).To(Equal([]any{0, nil}), "A counts down to 0")
		Expect(resB).To(Equal([]any{nil, nil}), "B ran")
		Expect(seen).To(Equal(int64(10)),
			"B began waiting during A's first instruction and got the lock at A's first check, 10 instructions in (CheckInterval 10)")
		Expect(ranA).To(Equal(2+countdownInstructions(100)), "A ran all its instructions afterwards")
	})
})
