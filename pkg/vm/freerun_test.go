package vm_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime/debug"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/interleave/interleavetest"
	"github.com/racekit/racekit/pkg/vm"
)

// hammerText takes and drops references to the named globals foo and bar
// n times, and leaves an int of its own in the global last: ints made by
// one thread are dropped and freed by another.
const hammerText = `
func hammer(n)
loop:
    LOAD_GLOBAL foo
    STORE_FAST x
    LOAD_GLOBAL bar
    LOAD_FAST x
    POP_TOP
    POP_TOP
    LOAD_FAST n
    LOAD_CONST 1
    BINARY_OP -
    STORE_FAST n
    LOAD_FAST n
    STORE_GLOBAL last
    LOAD_FAST n
    LOAD_CONST 0
    COMPARE_OP >
    POP_JUMP_IF_TRUE loop
    LOAD_FAST n
    RETURN_VALUE
end
`

// hammer runs threads threads of interp, each calling hammer(turns) at
// once on its own goroutine, and returns them after they finished. It
// fails the spec if they do not finish.
func hammer(interp *vm.Interpreter, threads, turns int) []*vm.Thread {
	prog := vm.MustAssemble("hammer.asm", hammerText)
	ts := make([]*vm.Thread, threads)
	for i := range ts {
		ts[i] = interp.NewThread(fmt.Sprint("T", i+1))
		ts[i].Start(prog, "hammer", turns)
	}
	if !interleavetest.Returns(func() {
		for _, t := range ts {
			_, _ = t.Join()
		}
	}) {
		Fail("the threads did not finish: the interpreter lock probably deadlocked")
	}
	return ts
}

// raceBuild reports whether this test binary was built with -race.
func raceBuild() bool {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range info.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// raceHelperEnv makes TestOpenLockHammer run two threads of an interpreter
// without a lock, for the spec that runs it in a subprocess.
const raceHelperEnv = "RACEKIT_VM_OPEN_LOCK_HAMMER"

// TestOpenLockHammer is not a test of its own: the spec "is reported by
// the race detector" runs this test binary again with raceHelperEnv set,
// and it then runs two threads of an interpreter whose lock does nothing.
func TestOpenLockHammer(t *testing.T) {
	if os.Getenv(raceHelperEnv) != "1" {
		return
	}
	// churn shares nothing but foo, whose count is an interleave.Int and
	// never goes on the free list: however the race goes, both threads end.
	interp := vm.New(vm.Config{Lock: openLock{}})
	interp.SetGlobal("foo", "spam")
	prog := vm.MustAssemble("churn.asm", churnText)
	a, b := interp.NewThread("A"), interp.NewThread("B")
	a.Start(prog, "churn", 500)
	b.Start(prog, "churn", 500)
	_, _ = a.Join()
	_, _ = b.Join()
}

var _ = Describe("threads running freely", func() {
	When("they share an interpreter with its default lock and every debug check", func() {
		It("finish with every count right, and the race detector sees no race", func() {
			interp := vm.New(vm.Config{CheckInterval: 3, Checks: vm.Debug})
			foo := interp.SetGlobal("foo", "spam")
			bar := interp.SetGlobal("bar", 7)
			const turns = 300
			for _, t := range hammer(interp, 4, turns) {
				Expect(t.Join()).To(Equal(0), t.Name()+" counted down to 0")
				Expect(t.Instructions()).To(Equal(int64(16*turns+2)), t.Name()+" ran sixteen instructions a turn and two to return")
			}
			Expect(foo).To(HaveRefCount(1), "four threads took and dropped foo 300 times each, handing the GIL over every 3 instructions")
			Expect(bar).To(HaveRefCount(1), "and bar")
			Expect(interp.Global("last")).To(HaveRefCount(1), "the int the last thread stored in last is held by last alone: every thread's n was dropped")
		})
	})

	When("their interpreter's lock does nothing", func() {
		It("is reported by the race detector", func() {
			if !raceBuild() {
				Skip("the suite was not built with -race; run go test -race to check that the race detector sees an open lock")
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestOpenLockHammer$")
			cmd.Env = append(os.Environ(), raceHelperEnv+"=1")
			out, err := cmd.CombinedOutput()
			Expect(err).To(HaveOccurred(), "the helper fails: the race detector fails a test that races")
			Expect(string(out)).To(ContainSubstring("WARNING: DATA RACE"), "threads that share objects without the GIL race on their counts")
			Expect(string(out)).To(ContainSubstring("vm.(*Thread).incref"), "among the races are the objects' reference counts")
		})
	})
})
