package vm_test

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/vm"
)

// refcountBuiltin is refcount(x): x's reference count as the builtin sees
// it, the frame's own references included.
func refcountBuiltin(t *vm.Thread, args []*vm.Object) (*vm.Object, error) {
	return t.NewObject(args[0].RefCount()), nil
}

// stealBuiltin is a buggy builtin: it returns its argument, a borrowed
// reference, as if it were a new one. Every call drops one reference too
// many, as C code that forgets a Py_INCREF does.
func stealBuiltin(_ *vm.Thread, args []*vm.Object) (*vm.Object, error) {
	return args[0], nil
}

var _ = Describe("reference counting", func() {
	var interp *vm.Interpreter
	BeforeEach(func() {
		interp = debugInterp()
		interp.Define("refcount", refcountBuiltin)
		interp.Define("steal", stealBuiltin)
	})

	When("SetGlobal makes a named object", func() {
		It("has one reference, the global's", func() {
			foo := interp.SetGlobal("foo", "spam")
			Expect(foo.Name()).To(Equal("foo"), "the object is named after its global")
			Expect(foo.Kind()).To(Equal(vm.StrKind), "it holds a str")
			Expect(foo.String()).To(Equal("foo"), "messages call a named object by its name")
			Expect(foo).To(HaveRefCount(1), "only the binding refers to it")
			Expect(foo).NotTo(BeFreed(), "a bound object is alive")
			Expect(interp.Global("foo")).To(BeIdenticalTo(foo), "Global returns the bound object")
			for _, v := range []any{nil, true, 3} {
				Expect(interp.SetGlobal("v", v)).To(HaveRefCount(1), "even None and True get an object of their own when named")
			}
		})
	})

	When("a thread takes references", func() {
		It("counts one for every place that holds the object: global, local and stack", func() {
			interp.SetGlobal("foo", "spam")
			Expect(callOnce(interp, `
func f()
    LOAD_GLOBAL foo
    STORE_FAST x
    LOAD_FAST x
    CALL_BUILTIN refcount 1
    RETURN_VALUE
end
`, "f")).To(Equal(3), "while refcount runs, the global, the local x and the argument on the stack each hold foo")
		})

		It("gives every reference back when the function ends, returning with values left on its stack or failing", func() {
			foo := interp.SetGlobal("foo", "spam")
			prog := vm.MustAssemble("ends.asm", `
func f(fail)
    LOAD_GLOBAL foo
    STORE_FAST x
    LOAD_GLOBAL foo
    LOAD_GLOBAL foo
    LOAD_FAST fail
    POP_JUMP_IF_TRUE fail
    LOAD_CONST None
    RETURN_VALUE
fail:
    LOAD_CONST 1
    LOAD_CONST 0
    BINARY_OP //
    RETURN_VALUE
end
`)
			_, err := interp.NewThread("A").Call(prog, "f", false)
			Expect(err).NotTo(HaveOccurred(), "f(False) returns")
			Expect(foo).To(HaveRefCount(1), "the local x and the two copies of foo left below the return value are dropped with the frame")
			_, err = interp.NewThread("A").Call(prog, "f", true)
			Expect(err).To(MatchError(ContainSubstring("integer division or modulo by zero")), "f(True) fails")
			Expect(foo).To(HaveRefCount(1), "a failing frame drops its locals and its stack as it unwinds")
		})
	})

	When("threads that loaded and dropped a named object have finished", func() {
		It("is back to one reference", func() {
			foo := interp.SetGlobal("foo", "spam")
			prog := vm.MustAssemble("use.asm", useFooText)
			for _, name := range []string{"A", "B", "C"} {
				t := interp.NewThread(name)
				t.Start(prog, "use")
				Expect(t.Join()).To(BeNil(), "use returns None")
			}
			Expect(foo).To(HaveRefCount(1), "each LOAD_GLOBAL foo was matched by a POP_TOP")
		})
	})

	When("SetGlobal binds a name that is already bound", func() {
		It("drops the binding's reference to the old object, freeing it if that was the last", func() {
			old := interp.SetGlobal("foo", "old")
			kept := interp.SetGlobal("bar", "kept")
			Expect(callOnce(interp, "func keep()\n    LOAD_GLOBAL bar\n    STORE_GLOBAL baz\n    LOAD_CONST None\n    RETURN_VALUE\nend\n", "keep")).To(BeNil())
			interp.SetGlobal("foo", "new")
			interp.SetGlobal("bar", "new")
			Expect(old).To(BeFreed(), "nothing refers to the old foo any more")
			Expect(kept).To(HaveRefCount(1), "baz still refers to the old bar")
			Expect(kept.Freed()).To(BeFalse(), "an object with a reference left is not freed")
		})
	})

	When("STORE_GLOBAL replaces an object", func() {
		const replace = `
func replace()
    LOAD_CONST "new"
    STORE_GLOBAL foo
    LOAD_CONST None
    RETURN_VALUE
end
func keep()
    LOAD_GLOBAL foo
    STORE_FAST old
    LOAD_CONST "new"
    STORE_GLOBAL foo
    LOAD_FAST old
    CALL_BUILTIN refcount 1
    RETURN_VALUE
end
`
		It("frees it when the global held the only reference", func() {
			foo := interp.SetGlobal("foo", "old")
			Expect(callOnce(interp, replace, "replace")).To(BeNil(), "replace returns None")
			Expect(foo).To(BeFreed(), "nothing refers to the old foo any more")
			Expect(foo).To(HaveRefCount(0), "a freed object has no references")
			Expect(interp.Global("foo")).To(HaveRefCount(2), "the new value is a constant: the code and the global hold it")
			Expect(callOnce(interp, replace, "replace")).To(BeNil(), "replace runs again")
			Expect(interp.Global("foo")).To(HaveRefCount(2), "storing the same constant again does not change its count")
		})

		It("keeps it while a local still refers to it", func() {
			foo := interp.SetGlobal("foo", "old")
			Expect(callOnce(interp, replace, "keep")).To(Equal(2), "after the store, the local old and refcount's argument hold the old foo")
			Expect(foo).To(BeFreed(), "when keep returned, its local was the last reference")
		})
	})

	When("Call gets arguments", func() {
		It("releases them when the call ends", func() {
			foo := interp.SetGlobal("foo", 5)
			prog := vm.MustAssemble("args.asm", `
func store(v)
    LOAD_FAST v
    STORE_GLOBAL bar
    LOAD_FAST v
    CALL_BUILTIN refcount 1
    RETURN_VALUE
end
`)
			Expect(interp.NewThread("A").Call(prog, "store", foo)).To(Equal(4), "during the call foo is held by the globals foo and bar, the local v and refcount's argument")
			Expect(foo).To(HaveRefCount(2), "after the call, foo and bar hold it: the call's reference is gone")
			Expect(interp.NewThread("A").Call(prog, "store", 9)).To(Equal(3), "a Go value becomes a new object held by v, bar and the stack")
			Expect(interp.Global("bar")).To(HaveRefCount(1), "after the call only bar holds the object made from 9")
			Expect(foo).To(HaveRefCount(1), "storing into bar dropped its reference to foo")
		})
	})

	When("a function runs many times", func() {
		It("leaves no reference behind", func() {
			foo := interp.SetGlobal("foo", 10)
			bar := interp.SetGlobal("bar", "spam")
			prog := vm.MustAssemble("churn.asm", `
func churn(n)
    LOAD_GLOBAL foo
    STORE_FAST x
    LOAD_FAST x
    LOAD_FAST n
    BINARY_OP +
    STORE_FAST y
    LOAD_GLOBAL bar
    LOAD_GLOBAL bar
    POP_TOP
    STORE_FAST z
    LOAD_FAST y
    LOAD_FAST x
    COMPARE_OP >
    POP_JUMP_IF_FALSE done
    LOAD_FAST z
    RETURN_VALUE
done:
    LOAD_FAST x
    RETURN_VALUE
end
`)
			t := interp.NewThread("A")
			for i := range 1000 {
				_, err := t.Call(prog, "churn", i%3)
				Expect(err).NotTo(HaveOccurred(), "churn runs")
			}
			Expect(foo).To(HaveRefCount(1), "a thousand calls that each took two references to foo gave them all back")
			Expect(bar).To(HaveRefCount(1), "and every reference to bar")
		})
	})

	Describe("with vm.CheckFreed", func() {
		It("panics on a use after free", func() {
			foo := interp.SetGlobal("foo", "spam")
			Expect(func() {
				_, _ = callOnce(interp, `
func f()
    LOAD_GLOBAL foo
    CALL_BUILTIN steal 1   # gives back a reference it did not own
    POP_TOP                # so this drops the global's: foo is freed
    LOAD_GLOBAL foo        # and this uses it
    RETURN_VALUE
end
`, "f")
			}).To(PanicWith("vm: foo used after it was freed"), "a freed object is kept, marked, so that a later use is caught")
			Expect(foo).To(BeFreed(), "foo was freed while its global still named it")
		})

		It("panics on a double free", func() {
			interp.SetGlobal("foo", "spam")
			Expect(func() {
				_, _ = callOnce(interp, `
func f()
    LOAD_GLOBAL foo
    CALL_BUILTIN steal 1   # gives back a reference it did not own
    POP_TOP                # so this drops the global's: foo is freed
    LOAD_CONST 1
    STORE_GLOBAL foo       # and this drops it again
    LOAD_CONST None
    RETURN_VALUE
end
`, "f")
			}).To(PanicWith(HavePrefix("vm: foo freed twice")), "dropping a reference the object no longer has is a double free")
		})

		It("catches an unnamed object freed too soon", func() {
			Expect(func() {
				_, _ = callOnce(interp, `
func f(n)
    LOAD_FAST n
    CALL_BUILTIN steal 1   # the int n is freed when its only reference is dropped
    POP_TOP
    LOAD_FAST n
    RETURN_VALUE
end
`, "f", 1234)
			}).To(PanicWith("vm: int 1234 used after it was freed"), "an object without a name is described by its type and value")
		})
	})

	Describe("with vm.CheckGIL", func() {
		It("panics when a builtin touches an object after releasing the GIL, naming the thread that holds it", func() {
			foo := interp.SetGlobal("foo", 1)
			held, letGo := make(chan struct{}), make(chan struct{})
			a := interp.NewThread("A")
			hold := vm.MustAssemble("hold.asm", "func hold()\n    CALL_BUILTIN hold 0\n    RETURN_VALUE\nend\n")
			interp.Define("hold", func(*vm.Thread, []*vm.Object) (*vm.Object, error) {
				close(held) // A holds the GIL here
				<-letGo
				return nil, nil
			})
			interp.Define("sneak", func(t *vm.Thread, args []*vm.Object) (*vm.Object, error) {
				t.ReleaseGIL()
				a.Start(hold, "hold")
				<-held
				_, err := t.Int(args[0]) // without the GIL, while A holds it
				return nil, err
			})
			prog := vm.MustAssemble("sneak.asm", "func b()\n    LOAD_GLOBAL foo\n    CALL_BUILTIN sneak 1\n    RETURN_VALUE\nend\n")
			Expect(func() { _, _ = interp.NewThread("B").Call(prog, "b") }).To(
				PanicWith("vm: object foo touched by thread B without holding the GIL (thread A holds it)"),
				"B gave the GIL away, A took it, and B read foo anyway: the check names the object, the culprit and the holder")
			close(letGo)
			Expect(a.Join()).To(BeNil(), "A finishes once let go")
			Expect(foo).To(HaveRefCount(2), "B's frame died in the panic and its reference leaked, as a crashed thread's would")
		})

		It("says so when nobody holds the GIL", func() {
			interp.SetGlobal("foo", 1)
			interp.Define("sneak", func(t *vm.Thread, args []*vm.Object) (*vm.Object, error) {
				t.ReleaseGIL()
				defer t.AcquireGIL()
				_ = t.Value(args[0])
				return nil, nil
			})
			Expect(func() {
				_, _ = callOnce(interp, "func f()\n    LOAD_GLOBAL foo\n    CALL_BUILTIN sneak 1\n    RETURN_VALUE\nend\n", "f")
			}).To(PanicWith("vm: object foo touched by thread A without holding the GIL"), "the check names the object and the thread")
		})
	})

	Describe("with vm.CheckGIL, the object's own methods", func() {
		// A builtin can touch an object without going through its thread:
		// format it (fmt calls String), ask for its count, or look a global
		// up. Those are touches too, as on a closed device's error path:
		// fmt.Errorf("device %s was closed", args[0]) after the release.
		const sneakText = "func f()\n    LOAD_GLOBAL foo\n    CALL_BUILTIN sneak 1\n    RETURN_VALUE\nend\n"
		sneakWith := func(touch func(t *vm.Thread, arg *vm.Object)) {
			interp.SetGlobal("foo", 1)
			interp.Define("sneak", func(t *vm.Thread, args []*vm.Object) (*vm.Object, error) {
				t.ReleaseGIL()
				defer t.AcquireGIL()
				touch(t, args[0])
				return nil, nil
			})
		}

		DescribeTable("panic when a builtin calls them after releasing the GIL",
			func(touch func(t *vm.Thread, arg *vm.Object), want any) {
				sneakWith(touch)
				Expect(func() { _, _ = callOnce(interp, sneakText, "f") }).To(PanicWith(want),
					"the check finds the thread running on the calling goroutine, and names it and what it touched")
			},
			Entry("String, which fmt calls to format an error message, recovering the panic: raised again as the builtin returns",
				func(_ *vm.Thread, arg *vm.Object) { _ = fmt.Errorf("device %s was closed", arg) },
				And(HavePrefix("vm: object foo touched by thread A without holding the GIL at refcount_test.go:"),
					HaveSuffix(", where a recover hid the panic (fmt recovers one from the String method of an object it formats)"))),
			Entry("RefCount", func(_ *vm.Thread, arg *vm.Object) { _ = arg.RefCount() },
				"vm: object foo touched by thread A without holding the GIL"),
			Entry("Freed", func(_ *vm.Thread, arg *vm.Object) { _ = arg.Freed() },
				"vm: object foo touched by thread A without holding the GIL"),
			Entry("Kind", func(_ *vm.Thread, arg *vm.Object) { _ = arg.Kind() },
				"vm: object foo touched by thread A without holding the GIL"),
			Entry("Name", func(_ *vm.Thread, arg *vm.Object) { _ = arg.Name() },
				"vm: object foo touched by thread A without holding the GIL"),
			Entry("the interpreter's Global", func(t *vm.Thread, _ *vm.Object) { _ = t.Interpreter().Global("foo") },
				"vm: global foo touched by thread A without holding the GIL"),
		)

		It("let a builtin that holds the GIL, and code that runs no thread, call them", func() {
			var seen string
			foo := interp.SetGlobal("foo", 1)
			interp.Define("sneak", func(t *vm.Thread, args []*vm.Object) (*vm.Object, error) {
				seen = fmt.Sprintf("%s %d %v %s %s %v", args[0], args[0].RefCount(), args[0].Freed(), args[0].Kind(), args[0].Name(),
					t.Interpreter().Global("foo") == args[0])
				return nil, nil
			})
			Expect(callOnce(interp, sneakText, "f")).To(BeNil())
			Expect(seen).To(Equal("foo 2 false int foo true"), "with the GIL held, every method answers")
			Expect(foo.String()).To(Equal("foo"), "a spec reading an object after its threads finished is no thread")
			Expect(foo).To(HaveRefCount(1))
		})

		It("check a thread of the object's interpreter only, not a goroutine that runs no thread", func() {
			foo := interp.SetGlobal("foo", 1)
			looked := make(chan int)
			interp.Define("sneak", func(t *vm.Thread, args []*vm.Object) (*vm.Object, error) {
				t.ReleaseGIL()
				go func() { looked <- foo.RefCount() }() // not a thread: unchecked, as a spec's watcher is
				n := <-looked
				t.AcquireGIL()
				return t.NewObject(n), nil
			})
			Expect(callOnce(interp, sneakText, "f")).To(Equal(2))
		})
	})

	When("a builtin hands over an object of another interpreter", func() {
		It("panics at the first touch, naming both interpreters", func() {
			bar := vm.New(vm.Config{Name: "other"}).SetGlobal("bar", 1)
			interp.Define("smuggle", func(*vm.Thread, []*vm.Object) (*vm.Object, error) { return bar, nil })
			Expect(func() {
				_, _ = callOnce(interp, "func f()\n    CALL_BUILTIN smuggle 0\n    RETURN_VALUE\nend\n", "f")
			}).To(PanicWith("vm: object bar belongs to interpreter other and cannot be used by thread A of interpreter main"),
				"objects cannot cross interpreters, not even through a builtin")
		})
	})
})
