package vm_test

import (
	"fmt"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/interleave"
	"github.com/racekit/racekit/pkg/vm"
)

// lockedCounter is a RefCounter with one count per object, guarded by a
// mutex: correct, with or without a GIL. It logs the owner and whether
// the object is immortal for every NewCount, and counts IncRef and
// DecRef calls, immortal objects included.
type lockedCounter struct {
	mu      sync.Mutex // guards everything below and every *lockedCount
	made    []string
	increfs int
	decrefs int
	// counts immortal objects too, as a wrong counter would
	countImmortals bool
}

type lockedCount struct{ refs int }

func (c *lockedCounter) NewCount(o *vm.Object) any {
	c.mu.Lock()
	defer c.mu.Unlock()
	if o.Name() != "" || o.Owner() != nil {
		c.made = append(c.made, fmt.Sprintf("%s owner=%s immortal=%t", o.Name(), o.Owner().Name(), o.Immortal()))
	}
	return &lockedCount{refs: 1}
}

func (c *lockedCounter) IncRef(t *vm.Thread, o *vm.Object) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.increfs++
	if o.Immortal() && !c.countImmortals {
		return
	}
	o.Count().(*lockedCount).refs++
}

func (c *lockedCounter) DecRef(t *vm.Thread, o *vm.Object) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.decrefs++
	if o.Immortal() && !c.countImmortals {
		return false
	}
	n := o.Count().(*lockedCount)
	n.refs--
	return n.refs == 0
}

// refsOf returns the count lockedCounter keeps for o.
func refsOf(o *vm.Object) int { return o.Count().(*lockedCount).refs }

var refcounterProgram = vm.MustAssemble("refcounter.asm", `
# def touch(): return foo
func touch()
    LOAD_GLOBAL foo
    RETURN_VALUE
end

# def twice(): x = foo; y = foo; return None
func twice()
    LOAD_GLOBAL foo
    STORE_FAST x
    LOAD_GLOBAL foo
    STORE_FAST y
    LOAD_CONST None
    RETURN_VALUE
end

# def less(a, b):
#     if a < b: return 1000 + a
#     return None
func less(a, b)
    LOAD_FAST a
    LOAD_FAST b
    COMPARE_OP <
    POP_JUMP_IF_FALSE no
    LOAD_CONST 1000
    LOAD_FAST a
    BINARY_OP +
    RETURN_VALUE
no:
    LOAD_CONST None
    RETURN_VALUE
end
`+countdownText)

var _ = Describe("an interpreter without a GIL", func() {
	It("has no lock, and its threads run bytecode at the same time, with a RefCounter made for it", func() {
		// Without a RefCounter the VM's own counts would race on the
		// constants the threads share, and -race would say so.
		in := vm.New(vm.Config{NoGIL: true, RefCounter: &lockedCounter{}, Checks: vm.Debug})
		Expect(in.Lock()).To(BeNil(), "Config.NoGIL means no interpreter lock at all")
		var wg sync.WaitGroup
		for i := range 4 {
			th := in.NewThread(fmt.Sprintf("T%d", i))
			wg.Go(func() {
				defer GinkgoRecover()
				v, err := th.Call(refcounterProgram, "countdown", 2000)
				Expect(err).NotTo(HaveOccurred(), "countdown touches only objects of its own thread")
				Expect(v).To(Equal(0), "countdown(2000) counts down to 0")
			})
		}
		wg.Wait()
	})

	It("makes no CheckGIL panic about a GIL it does not have, and a builtin's release and re-acquire only detach and attach", func() {
		in := vm.New(vm.Config{NoGIL: true, Checks: vm.Debug})
		th := in.NewThread("T")
		v, err := th.Call(vm.MustAssemble("s.asm", "func nap()\n LOAD_CONST 0\n CALL_BUILTIN sleep 1\n RETURN_VALUE\nend\n"), "nap")
		Expect(err).NotTo(HaveOccurred(), "sleep releases and re-takes a GIL the interpreter does not have: both are no-ops")
		Expect(v).To(BeNil(), "sleep returns None")
	})

	It("refuses a lock", func() {
		Expect(func() { vm.New(vm.Config{NoGIL: true, Lock: openLock{}}) }).To(PanicWith(ContainSubstring("vm: Config.NoGIL with a Config.Lock")),
			"an interpreter without a GIL cannot have one")
	})

	It("still catches a use after free with CheckFreed", func() {
		in := vm.New(vm.Config{NoGIL: true, Checks: vm.CheckFreed})
		in.Define("steal", stealBuiltin)
		foo := in.SetGlobal("foo", 7)
		prog := vm.MustAssemble("d.asm", "func f()\n LOAD_GLOBAL foo\n CALL_BUILTIN steal 1\n POP_TOP\n LOAD_GLOBAL foo\n RETURN_VALUE\nend\n")
		Expect(func() { _, _ = in.NewThread("T").Call(prog, "f") }).To(PanicWith(ContainSubstring("vm: foo used after it was freed")),
			"steal drops the global's reference, so foo is freed while still bound, and the next LOAD_GLOBAL uses it")
		Expect(foo).To(BeFreed(), "the stolen reference was foo's last")
	})
})

var _ = Describe("an interpreter with a RefCounter", func() {
	var (
		counter *lockedCounter
		in      *vm.Interpreter
	)
	BeforeEach(func() {
		counter = &lockedCounter{}
		in = vm.New(vm.Config{NoGIL: true, RefCounter: counter, Checks: vm.Debug})
	})

	It("makes the count state of every object with NewCount, and knows who made it", func() {
		a := in.NewThread("A")
		foo := a.SetGlobal("foo", "foo")
		bar := in.SetGlobal("bar", 1)
		Expect(foo.Owner()).To(BeIdenticalTo(a), "Thread.SetGlobal's object is made by that thread (PEP 703's ob_tid)")
		Expect(bar.Owner()).To(BeNil(), "Interpreter.SetGlobal's object is made by no thread")
		Expect(bar.Immortal()).To(BeFalse(), "a global's object is never the immortal small int, even for 1")
		Expect(refsOf(foo)).To(Equal(1), "NewCount made foo's count state with its one reference")
		Expect(foo.RefCount()).To(Equal(-1), "the counts are the counter's, not the VM's")
		v, err := a.Call(refcounterProgram, "less", 3, 4)
		Expect(err).NotTo(HaveOccurred())
		Expect(v).To(Equal(1003), "3 < 4, so less returns 1000 + 3")
		Expect(counter.made).To(ContainElements("foo owner=A immortal=false", " owner=A immortal=false"),
			"the int 1003 that A's BINARY_OP made is A's")
	})

	It("sends every reference through the counter, and frees an object when its DecRef says so, once", func() {
		a, b := in.NewThread("A"), in.NewThread("B")
		foo := a.SetGlobal("foo", "foo")
		for _, th := range []*vm.Thread{a, b} {
			v, err := th.Call(refcounterProgram, "twice")
			Expect(err).NotTo(HaveOccurred())
			Expect(v).To(BeNil())
		}
		Expect(refsOf(foo)).To(Equal(1), "each thread took two references to foo and dropped them")
		Expect(foo.Frees()).To(Equal(0), "the global still holds foo")
		a.SetGlobal("foo", nil)
		Expect(foo.Frees()).To(Equal(1), "rebinding foo dropped its last reference, on its owner A")
		Expect(in.Frees()).To(HaveLen(1))
		Expect(in.Frees()[0].Object).To(BeIdenticalTo(foo))
		Expect(in.Frees()[0].Thread).To(BeIdenticalTo(a), "A's DecRef said to free foo")
	})

	When("MaxFrees is set", func() {
		// freeAll binds and unbinds three globals on a new interpreter with
		// MaxFrees max, and returns it with the three objects.
		freeAll := func(max int) (*vm.Interpreter, []*vm.Object) {
			in := vm.New(vm.Config{NoGIL: true, RefCounter: &lockedCounter{}, Checks: vm.Debug, MaxFrees: max})
			a := in.NewThread("A")
			var objs []*vm.Object
			for _, name := range []string{"foo", "bar", "baz"} {
				objs = append(objs, a.SetGlobal(name, name))
				a.SetGlobal(name, nil)
			}
			return in, objs
		}

		It("lists only the first MaxFrees frees, and counts every one on its object", func() {
			in, objs := freeAll(2)
			Expect(in.Frees()).To(HaveLen(2), "the list stops at MaxFrees")
			Expect(in.Frees()[1].Object).To(BeIdenticalTo(objs[1]), "it keeps the first frees, in order")
			for _, o := range objs {
				Expect(o.Frees()).To(Equal(1), "%s was freed once, listed or not", o)
			}
		})

		It("lists none when it is negative", func() {
			in, objs := freeAll(-1)
			Expect(in.Frees()).To(BeEmpty(), "a negative MaxFrees keeps no list")
			Expect(objs[2].Frees()).To(Equal(1), "the object still knows it was freed")
		})
	})

	It("keeps the ints from -5 to 256, None, True and False immortal, and hands them out without a reference", func() {
		counter.countImmortals = true // wrong on purpose: True's count falls to zero
		th := in.NewThread("T")
		v, err := th.Call(refcounterProgram, "less", 5, 4)
		Expect(err).NotTo(HaveOccurred())
		Expect(v).To(BeNil())
		var freed []string
		for _, f := range in.Frees() {
			Expect(f.Object.Immortal()).To(BeTrue(), "only immortal objects were miscounted")
			freed = append(freed, f.Object.String())
		}
		Expect(freed).To(ContainElement("int 5"), "Call hands the immortal 5 to the frame without a reference, and the frame drops one "+
			"when it returns: a counter that counts immortal objects frees it, and the interpreter records that")
	})

	It("leaves immortal objects alone with a counter that skips them", func() {
		th := in.NewThread("T")
		v, err := th.Call(refcounterProgram, "countdown", 300)
		Expect(err).NotTo(HaveOccurred())
		Expect(v).To(Equal(0))
		Expect(in.Frees()).To(HaveLen(300-256), "the ints 300 down to 257 are mortal: each is freed once when n moves on; the rest are immortal")
	})

	It("panics with CheckFreed when a counter says to free an object twice", func() {
		foo := in.SetGlobal("foo", "foo")
		th := in.NewThread("T")
		th.IncRef(foo)
		foo.Count().(*lockedCount).refs = 1 // lose a reference
		th.DecRef(foo)
		Expect(foo.Frees()).To(Equal(1))
		Expect(func() { th.DecRef(foo) }).To(PanicWith(ContainSubstring("vm: foo freed twice")),
			"a reference dropped after the free is a double free, and CheckFreed catches it")
	})

	It("shows the counter's cells in a controlled run's trace, and the free", func() {
		counted := &cellCounter{}
		res, err := interleave.Replay("A", interleave.Scenario{
			Name: "A touches foo, then unbinds it",
			Setup: func(r *interleave.Run) {
				in := vm.New(vm.Config{NoGIL: true, RefCounter: counted, Checks: vm.Debug})
				a := in.NewThread("A")
				a.SetGlobal("foo", "foo")
				r.Go("A", func() {
					_, _ = a.Call(refcounterProgram, "touch")
					a.SetGlobal("foo", nil)
				})
			},
		})
		Expect(err).NotTo(HaveOccurred())
		Expect(res.Passed()).To(BeTrue(), res.String())
		Expect(res.Trace.String()).To(And(
			ContainSubstring("IncRef     reads foo.refcount -> 1, writes 2"),
			ContainSubstring("SetGlobal  frees foo")), "every read and write of the cells, and the free, are steps")
	})
})

// cellCounter keeps each count in an interleave.Int, unguarded: right on
// one thread only.
type cellCounter struct{}

func (cellCounter) NewCount(o *vm.Object) any { return interleave.NewInt(o.Name()+".refcount", 1) }

func (cellCounter) IncRef(_ *vm.Thread, o *vm.Object) {
	if !o.Immortal() {
		c := o.Count().(*interleave.Int)
		c.Set(c.Get() + 1)
	}
}

func (cellCounter) DecRef(_ *vm.Thread, o *vm.Object) bool {
	if o.Immortal() {
		return false
	}
	c := o.Count().(*interleave.Int)
	n := c.Get() - 1
	c.Set(n)
	return n == 0
}

// A RefCounter that keeps each count in an interleave.Int: the VM calls it
// for every reference its threads take and drop, and frees what it says.
// On one thread (it has no lock of its own) it counts right; under the
// controlled scheduler every read and write of a count is a step of the
// trace.
func ExampleRefCounter() {
	prog := vm.MustAssemble("touch.asm", `
func touch()
    LOAD_GLOBAL foo
    RETURN_VALUE
end
`)
	res, _ := interleave.Replay("A", interleave.Scenario{
		Name: "A touches foo, then unbinds it",
		Setup: func(r *interleave.Run) {
			in := vm.New(vm.Config{NoGIL: true, RefCounter: cellCounter{}})
			a := in.NewThread("A")
			foo := a.SetGlobal("foo", "foo")
			r.Go("A", func() {
				_, _ = a.Call(prog, "touch")
				a.SetGlobal("foo", nil)
			})
			r.Finally(func() error {
				fmt.Printf("foo freed %d time(s), by %s\n", foo.Frees(), in.Frees()[0].Thread.Name())
				return nil
			})
		},
	})
	fmt.Println(res.Trace)
	// Output:
	// foo freed 1 time(s), by A
	//   1. A  IncRef     reads foo.refcount -> 1, writes 2
	//   2. A  DecRef     reads foo.refcount -> 2, writes 1
	//   3. A  DecRef     reads foo.refcount -> 1, writes 0
	//   4. A  SetGlobal  frees foo
}
