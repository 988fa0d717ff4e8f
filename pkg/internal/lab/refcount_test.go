package lab

import (
	"errors"
	"fmt"
	"runtime"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/interleave/interleavetest"
	"github.com/racekit/racekit/pkg/vm"
)

// sharing is the bytecode of the counters' specs: threads that take and
// drop references to two shared objects, foo (made by thread A, its
// owner) and bar (made by no thread).
var sharing = vm.MustAssemble("sharing.asm", `
# def touch(): return foo
func touch()
    LOAD_GLOBAL foo
    RETURN_VALUE
end

# def sum(): return foo + bar   (an int of the calling thread's own)
func sum()
    LOAD_GLOBAL foo
    LOAD_GLOBAL bar
    BINARY_OP +
    RETURN_VALUE
end

# def keep():
#     x, y = foo, bar
#     wait()              # the spec lets go of foo and bar meanwhile
#     return x + y
func keep()
    LOAD_GLOBAL foo
    STORE_FAST x
    LOAD_GLOBAL bar
    STORE_FAST y
    CALL_BUILTIN wait 0
    POP_TOP
    LOAD_FAST x
    LOAD_FAST y
    BINARY_OP +
    RETURN_VALUE
end
`)

// The values of foo and bar: ints that are not small, so that both are
// ordinary, mortal objects, and so is their sum.
const fooValue, barValue = 1000, 2000

// counters are the lab's reference counters, by name.
var counters = []struct {
	name string
	rc   vm.RefCounter
}{{"atomicCounts", atomicCounts{}}, {"biasedCounts", biasedCounts{}}}

// sharingInterp returns an interpreter without a GIL counted by rc, with
// the check for freed objects on (a use of a freed object, or a second
// free, panics), and threads named names; the first one, A, makes foo and
// binds it, and bar is bound by no thread.
func sharingInterp(rc vm.RefCounter, names ...string) (in *vm.Interpreter, ths []*vm.Thread, foo, bar *vm.Object) {
	in = vm.New(vm.Config{NoGIL: true, RefCounter: rc, Checks: vm.CheckFreed, Stdout: GinkgoWriter})
	for _, name := range names {
		ths = append(ths, in.NewThread(name))
	}
	foo = ths[0].SetGlobal("foo", fooValue)
	bar = in.SetGlobal("bar", barValue)
	return in, ths, foo, bar
}

// freedOnceEach returns an error naming an object the interpreter freed
// more than once, or an immortal one.
func freedOnceEach(in *vm.Interpreter) error {
	seen := map[*vm.Object]bool{}
	for _, f := range in.Frees() {
		switch {
		case f.Object.Immortal():
			return fmt.Errorf("immortal %v was freed by %s", f.Object, f.Thread.Name())
		case seen[f.Object] || f.Object.Frees() != 1:
			return fmt.Errorf("%v was freed %d times", f.Object, f.Object.Frees())
		}
		seen[f.Object] = true
	}
	return nil
}

// freers returns the threads that freed o, in order: one for an object
// freed once (nil when it was freed outside any thread).
func freers(in *vm.Interpreter, o *vm.Object) []*vm.Thread {
	var ths []*vm.Thread
	for _, f := range in.Frees() {
		if f.Object == o {
			ths = append(ths, f.Thread)
		}
	}
	return ths
}

var _ = Describe("the lab's reference counters, without a GIL", func() {
	for _, c := range counters {
		Describe(c.name, func() {
			When("three threads take and drop references to foo and bar at once, and make ints of their own", func() {
				It("frees each object exactly once, and foo and bar only when their globals let go", func() {
					const rounds = 300
					in, ths, foo, bar := sharingInterp(c.rc, "A", "B", "C")
					var mu sync.Mutex
					var errs []error
					err := interleavetest.Hammer{Goroutines: len(ths), Iterations: rounds}.Run(func(g, _ int) {
						v, err := ths[g].Call(sharing, "touch")
						if err == nil && v != fooValue {
							err = fmt.Errorf("touch() returned %v", v)
						}
						runtime.Gosched()
						if s, serr := ths[g].Call(sharing, "sum"); serr != nil || s != fooValue+barValue {
							err = errors.Join(err, serr, fmt.Errorf("sum() returned %v", s))
						}
						if err != nil {
							mu.Lock()
							errs = append(errs, fmt.Errorf("%s: %w", ths[g].Name(), err))
							mu.Unlock()
						}
					})
					Expect(err).NotTo(HaveOccurred(), "every thread finishes its calls without a panic (a use after a free panics)")
					Expect(errors.Join(errs...)).NotTo(HaveOccurred(), "every call returns what it should")
					Expect(foo.Frees()).To(BeZero(), "foo is not freed while its global holds it")
					Expect(bar.Frees()).To(BeZero(), "bar is not freed while its global holds it")
					Expect(in.Frees()).To(HaveLen(len(ths)*rounds), "every sum() made an int and dropped it: each freed")

					ths[0].SetGlobal("foo", nil)
					in.SetGlobal("bar", nil)
					Expect(foo.Frees()).To(Equal(1), "foo is freed once, when A unbinds it")
					Expect(bar.Frees()).To(Equal(1), "bar is freed once, when it is unbound")
					Expect(in.Frees()).To(HaveLen(len(ths)*rounds+2), "nothing else is freed")
					Expect(freedOnceEach(in)).To(Succeed(), "no object is freed twice, and no immortal one at all")
				})
			})

			When("the owner lets go of foo, and bar is unbound, while B still holds both", func() {
				It("frees them when B drops them, not before", func() {
					in, ths, foo, bar := sharingInterp(c.rc, "A", "B")
					waiting, goOn := make(chan struct{}), make(chan struct{})
					in.Define("wait", func(*vm.Thread, []*vm.Object) (*vm.Object, error) {
						close(waiting)
						<-goOn
						return nil, nil
					})
					b := ths[1]
					b.Start(sharing, "keep")
					<-waiting
					ths[0].SetGlobal("foo", nil)
					in.SetGlobal("bar", nil)
					Expect(foo.Frees()).To(BeZero(), "foo is not freed while B holds it")
					Expect(bar.Frees()).To(BeZero(), "bar is not freed while B holds it")
					close(goOn)
					Expect(b.Join()).To(Equal(fooValue+barValue), "B's keep() still reads foo and bar")
					Expect(foo.Frees()).To(Equal(1), "foo is freed once B drops it")
					Expect(bar.Frees()).To(Equal(1), "bar is freed once B drops it")
					Expect(freers(in, foo)).To(Equal([]*vm.Thread{b}), "B dropped foo's last reference")
					Expect(freers(in, bar)).To(Equal([]*vm.Thread{b}), "B dropped bar's last reference")
					Expect(freedOnceEach(in)).To(Succeed())
				})
			})

			When("B takes and drops its references before the owner lets go", func() {
				It("frees foo when A lets go of it, and bar when it is unbound", func() {
					in, ths, foo, bar := sharingInterp(c.rc, "A", "B")
					Expect(ths[1].Call(sharing, "sum")).To(Equal(fooValue + barValue))
					ths[0].SetGlobal("foo", nil)
					Expect(freers(in, foo)).To(Equal([]*vm.Thread{ths[0]}), "A dropped foo's last reference, and foo was freed once")
					Expect(bar.Frees()).To(BeZero(), "bar is not freed while its global holds it")
					in.SetGlobal("bar", nil)
					Expect(freers(in, bar)).To(Equal([]*vm.Thread{nil}), "bar's last reference was dropped outside any thread, and bar was freed once")
					Expect(freedOnceEach(in)).To(Succeed())
				})
			})
		})
	}
})
