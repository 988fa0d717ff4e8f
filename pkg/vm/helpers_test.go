package vm_test

import (
	"fmt"
	"strings"
	"sync"

	"github.com/onsi/gomega/gcustom"
	"github.com/onsi/gomega/types"

	"github.com/racekit/racekit/pkg/vm"
)

// The specs' programs, test locks and matchers. The package also holds the
// benchmarks and examples, which take the plain names (countdown, count,
// noLock): the names here are chosen not to collide with them.

// countdownText is the seeds' countdown(n) in the VM's assembly, returning
// what is left of n (0) so that a result can be checked.
const countdownText = `# def countdown(n):
#     while n > 0:
#         n -= 1
func countdown(n)
` + countdownLoop

// countdownLoop is countdown's body: the loop on n, and the return.
const countdownLoop = `loop:
    LOAD_FAST n
    LOAD_CONST 0
    COMPARE_OP >
    POP_JUMP_IF_FALSE done
    LOAD_FAST n
    LOAD_CONST 1
    BINARY_OP -
    STORE_FAST n
    JUMP loop
done:
    LOAD_FAST n
    RETURN_VALUE
end
`

// countdownInstructions is how many instructions countdown(n) runs: nine
// per turn of the loop, then the last test (four) and the return (two).
func countdownInstructions(n int) int64 { return int64(9*n + 4 + 2) }

// useFooText is use(): take a reference to the global foo and drop it, the
// foo trace's work for one thread.
const useFooText = `
func use()
    LOAD_GLOBAL foo
    POP_TOP
    LOAD_CONST None
    RETURN_VALUE
end
`

// debugInterp is a fresh interpreter with every check on, printing into a
// buffer nobody reads.
func debugInterp() *vm.Interpreter {
	return vm.New(vm.Config{Checks: vm.Debug, Stdout: &strings.Builder{}})
}

// callOnce assembles text and calls fn on a new thread "A" of interp.
func callOnce(interp *vm.Interpreter, text, fn string, args ...any) (any, error) {
	return interp.NewThread("A").Call(vm.MustAssemble(fn+".asm", text), fn, args...)
}

// plain returns text with a NOP before every instruction (after its
// label, so that a jump lands on the NOP), so that no two instructions are
// adjacent and nothing is quickened into a superinstruction. The plain
// program computes the same thing with the same reference counts, and runs
// exactly twice as many instructions: each one and the NOP before it.
func plain(text string) string {
	var b strings.Builder
	for _, line := range strings.Split(text, "\n") {
		code, _, _ := strings.Cut(line, "#")
		code = strings.TrimSpace(code)
		if i := strings.IndexByte(code, ':'); i > 0 && !strings.ContainsAny(code[:i], " \"") {
			b.WriteString(code[:i+1] + "\n")
			code = strings.TrimSpace(code[i+1:])
		}
		switch {
		case code == "":
		case code == "end" || strings.HasPrefix(code, "func "):
			b.WriteString(code + "\n")
		default:
			b.WriteString("    NOP\n    " + code + "\n")
		}
	}
	return b.String()
}

// HaveRefCount succeeds for a *vm.Object whose reference count is n. Read
// it only while no thread of the object's interpreter runs.
func HaveRefCount(n int) types.GomegaMatcher {
	return gcustom.MakeMatcher(func(o *vm.Object) (bool, error) {
		return o.RefCount() == n, nil
	}).WithTemplate("Expected {{.Actual}} {{.To}} have reference count {{.Data}}, but it has {{.Actual.RefCount}}", n)
}

// BeFreed succeeds for a *vm.Object whose count reached zero.
func BeFreed() types.GomegaMatcher {
	return gcustom.MakeMatcher(func(o *vm.Object) (bool, error) {
		return o.Freed(), nil
	}).WithTemplate("Expected {{.Actual}} (reference count {{.Actual.RefCount}}) {{.To}} be freed")
}

// openLock is no lock at all: every thread "holds" it at once, as in a
// build of CPython whose GIL does nothing.
type openLock struct{}

func (openLock) Acquire(*vm.Thread)       {}
func (openLock) Release(*vm.Thread) error { return nil }

// callLog records, in order, the calls the VM makes on a test lock.
type callLog struct {
	mu    sync.Mutex // guards calls
	calls []string
}

func (l *callLog) add(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, fmt.Sprintf(format, args...))
}

// Calls returns the calls recorded so far.
func (l *callLog) Calls() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.calls...)
}

// mutexLock is an interpreter lock built on a mutex that records Acquire
// and Release. It does not check who releases it: the specs that use it
// run one thread.
type mutexLock struct {
	callLog
	mu sync.Mutex // the lock itself
}

func (l *mutexLock) Acquire(t *vm.Thread) {
	l.mu.Lock()
	l.add("Acquire %s", t.Name())
}

func (l *mutexLock) Release(t *vm.Thread) error {
	l.add("Release %s", t.Name())
	l.mu.Unlock()
	return nil
}

// askingLock is a mutexLock that also implements vm.DropRequester: it
// records each question with the asking thread's instruction count, and
// answers yes every answerEvery-th time (never when 0).
type askingLock struct {
	mutexLock
	answerEvery int
	asked       int // guarded by the lock itself: only the holder asks
}

func (l *askingLock) DropRequested(t *vm.Thread) bool {
	l.asked++
	l.add("DropRequested %s at %d", t.Name(), t.Instructions())
	return l.answerEvery > 0 && l.asked%l.answerEvery == 0
}
