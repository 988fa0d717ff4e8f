package grade

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/internal/course"
)

var _ = ginkgo.Describe("the rules for exercise files", func() {
	check := func(src string) string {
		dir := ginkgo.GinkgoT().TempDir()
		Expect(os.WriteFile(filepath.Join(dir, "code.go"), []byte(src), 0o644)).To(Succeed())
		return breakRules(dir, "", []string{"code.go"}).message()
	}

	ginkgo.DescribeTable("let a lesson's code use what a fix needs",
		func(src string) {
			Expect(check(src)).To(BeEmpty(), "a learner's honest fix must not be turned away:\n%s", src)
		},
		ginkgo.Entry("the kit's sync and sync/atomic, fmt and time", "package p\nimport (\n\"fmt\"\n\"time\"\n\"github.com/racekit/racekit/pkg/sync\"\n\"github.com/racekit/racekit/pkg/sync/atomic\"\n)\nvar _ sync.Mutex\nvar _ atomic.Int64\nvar _ = fmt.Sprint(time.Second)\n"),
		ginkgo.Entry("the kit's interleave, heap, vm and gil", "package p\nimport (\n_ \"github.com/racekit/racekit/pkg/interleave\"\n_ \"github.com/racekit/racekit/pkg/heap\"\n_ \"github.com/racekit/racekit/pkg/vm\"\n_ \"github.com/racekit/racekit/pkg/gil\"\n)\n"),
		ginkgo.Entry("printing to os.Stderr and os.Stdout to debug", "package p\nimport (\n\"fmt\"\n\"os\"\n)\nfunc f() { fmt.Fprintln(os.Stderr, 1); fmt.Fprintln(os.Stdout, 2) }\n"),
		ginkgo.Entry("runtime.Gosched, runtime.KeepAlive and runtime.NumCPU", "package p\nimport \"runtime\"\nfunc f() int { runtime.Gosched(); runtime.KeepAlive(f); return runtime.NumCPU() }\n"),
		ginkgo.Entry("the kit's interleave.Int, NewInt and Point", "package p\nimport \"github.com/racekit/racekit/pkg/interleave\"\nvar c *interleave.Int = interleave.NewInt(\"c\", 1)\nfunc f() { interleave.Point(\"here\"); interleave.PointAs(\"X\", \"there\") }\n"),
		ginkgo.Entry("time.Sleep and durations", "package p\nimport \"time\"\nfunc f(d time.Duration) { time.Sleep(d + time.Millisecond*time.Duration(2)); _ = d.Seconds() }\n"),
		ginkgo.Entry("a comment that mentions line directives", "package p\n// a //line directive would move positions; this comment is not one\nvar x = 1\n"),
		ginkgo.Entry("a //go:build line", "//go:build race\n\npackage p\n"),
		ginkgo.Entry("a file that does not parse (the compiler says why)", "package p\nfunc {\n"),
		ginkgo.Entry("a local variable named like an import", "package p\nimport \"github.com/racekit/racekit/pkg/vm\"\ntype T struct{ n int }\nfunc f(t *vm.Thread) { vm := &T{}; vm.n++; _ = t }\n"),
		ginkgo.Entry("a field of a local value set", "package p\nimport \"github.com/racekit/racekit/pkg/sync\"\ntype T struct{ mu sync.Mutex; n int }\nfunc (t *T) f() { t.mu.Lock(); t.n = 1; p := &t.mu; p.Unlock() }\n"),
		ginkgo.Entry("math/rand/v2, by its name rand", "package p\nimport \"math/rand/v2\"\nvar _ = rand.IntN(3)\n"),
		ginkgo.Entry("a //go:generate line", "package p\n//go:generate stringer -type=T\ntype T int\n"),
	)

	ginkgo.DescribeTable("turn away, naming the line, code that could change how the specs run or are reported",
		func(src, want string) {
			Expect(check(src)).To(ContainSubstring(want), "this code must be turned away:\n%s", src)
		},
		ginkgo.Entry("os.Exit", "package p\nimport \"os\"\nfunc init() { os.Exit(0) }\n", "code.go:3: os.Exit"),
		ginkgo.Entry("the standard library's sync, which the scheduler cannot see", "package p\nimport \"sync\"\nvar _ sync.Mutex\n",
			"code.go:2: imports sync: import \"github.com/racekit/racekit/pkg/sync\" instead: the scheduler that judges a lesson sees every Lock"),
		ginkgo.Entry("the standard library's sync/atomic", "package p\nimport \"sync/atomic\"\nvar _ atomic.Int64\n",
			"code.go:2: imports sync/atomic: import \"github.com/racekit/racekit/pkg/sync/atomic\" instead"),
		ginkgo.Entry("os.Args, under another name", "package p\nimport sys \"os\"\nvar _ = sys.Args\n", "code.go:3: sys.Args"),
		ginkgo.Entry("os imported with a dot", "package p\nimport . \"os\"\nvar _ = Args\n", "code.go:2: imports os with a dot"),
		ginkgo.Entry("unsafe", "package p\nimport _ \"unsafe\"\n", "code.go:2: imports unsafe"),
		ginkgo.Entry("syscall", "package p\nimport \"syscall\"\nvar _ = syscall.Exit\n", "imports syscall"),
		ginkgo.Entry("os/exec", "package p\nimport _ \"os/exec\"\n", "imports os/exec"),
		ginkgo.Entry("io/ioutil", "package p\nimport _ \"io/ioutil\"\n", "imports io/ioutil"),
		ginkgo.Entry("flag", "package p\nimport _ \"flag\"\n", "imports flag"),
		ginkgo.Entry("testing/synctest", "package p\nimport _ \"testing/synctest\"\n", "imports testing/synctest"),
		ginkgo.Entry("cgo", "package p\nimport \"C\"\n", "imports C"),
		ginkgo.Entry("a module outside the kit", "package p\nimport _ \"golang.org/x/sys/unix\"\n", "imports golang.org/x/sys/unix: exercise files may import only"),
		ginkgo.Entry("the kit's own tooling", "package p\nimport _ \"github.com/racekit/racekit/pkg/internal/testrun\"\n", "imports github.com/racekit/racekit/pkg/internal/testrun"),
		ginkgo.Entry("Gomega", "package p\nimport _ \"github.com/onsi/gomega\"\n", "only _test.go files may use the test framework"),
		ginkgo.Entry("runtime's race hooks", "package p\nimport \"runtime\"\nfunc f() { runtime.RaceDisable() }\n", "code.go:3: runtime.RaceDisable"),
		ginkgo.Entry("//go:norace", "package p\n//go:norace\nfunc f() {}\n", "code.go:2: the directive //go:norace"),
		ginkgo.Entry("//go:linkname", "package p\n//go:linkname f runtime.f\nfunc f()\n", "the directive //go:linkname"),
		ginkgo.Entry("vm.ErrNotHolder changed", "package p\nimport \"github.com/racekit/racekit/pkg/vm\"\nfunc init() { vm.ErrNotHolder = nil }\n", "code.go:3: changes vm.ErrNotHolder"),
		ginkgo.Entry("a kit package imported with a dot", "package p\nimport . \"github.com/racekit/racekit/pkg/vm\"\nvar _ = ErrNotHolder\n", "imports github.com/racekit/racekit/pkg/vm with a dot"),
		ginkgo.Entry("vm.ErrNotHolder changed in parentheses", "package p\nimport \"github.com/racekit/racekit/pkg/vm\"\nfunc init() { (vm.ErrNotHolder) = nil }\n", "changes vm.ErrNotHolder"),
		ginkgo.Entry("vm.ErrNotHolder changed by a range loop", "package p\nimport \"github.com/racekit/racekit/pkg/vm\"\nfunc init() { for _, vm.ErrNotHolder = range []error{nil} {} }\n", "changes vm.ErrNotHolder"),
		ginkgo.Entry("the address of vm.ErrNotHolder", "package p\nimport \"github.com/racekit/racekit/pkg/vm\"\nvar p = &(vm.ErrNotHolder)\n", "changes vm.ErrNotHolder"),
		ginkgo.Entry("net/http/cgi, which runs programs", "package p\nimport _ \"net/http/cgi\"\n", "imports net/http/cgi: exercise files may import only"),
		ginkgo.Entry("expvar, which hands out os.Args", "package p\nimport _ \"expvar\"\n", "imports expvar"),
		ginkgo.Entry("crypto/subtle, whose assembly the race detector cannot see", "package p\nimport _ \"crypto/subtle\"\n", "imports crypto/subtle"),
		ginkgo.Entry("os.Getenv, which hands over the grader's environment", "package p\nimport \"os\"\nvar _ = os.Getenv(\"HOME\")\n", "code.go:3: os.Getenv: of package os, exercise files may use only Stdout, Stderr"),
		ginkgo.Entry("os.LookupEnv", "package p\nimport \"os\"\nvar _, _ = os.LookupEnv(\"HOME\")\n", "code.go:3: os.LookupEnv"),
		ginkgo.Entry("runtime.Goexit, which runs a goroutine's deferred calls as if it had finished", "package p\nimport \"runtime\"\nfunc f() { defer runtime.Goexit() }\n", "code.go:3: runtime.Goexit: of package runtime, exercise files may use only Gosched, KeepAlive, NumCPU"),
		ginkgo.Entry("runtime.Callers, which tells a spec's goroutine from a program's", "package p\nimport \"runtime\"\nvar pcs = make([]uintptr, 9)\nvar _ = runtime.Callers(0, pcs)\n", "code.go:4: runtime.Callers"),
		ginkgo.Entry("runtime.Caller", "package p\nimport rt \"runtime\"\nvar _, _, _, _ = rt.Caller(1)\n", "code.go:3: rt.Caller"),
		ginkgo.Entry("runtime.Stack", "package p\nimport \"runtime\"\nvar _ = runtime.Stack(nil, true)\n", "code.go:3: runtime.Stack"),
		ginkgo.Entry("runtime.FuncForPC", "package p\nimport \"runtime\"\nvar _ = runtime.FuncForPC(0)\n", "code.go:3: runtime.FuncForPC"),
		ginkgo.Entry("runtime.NumGoroutine", "package p\nimport \"runtime\"\nvar _ = runtime.NumGoroutine()\n", "code.go:3: runtime.NumGoroutine"),
		ginkgo.Entry("interleave.InRun, which tells the scheduler's goroutines from the rest", "package p\nimport \"github.com/racekit/racekit/pkg/interleave\"\nvar _ = interleave.InRun()\n", "code.go:3: interleave.InRun: of package github.com/racekit/racekit/pkg/interleave, exercise files may use only Int, NewInt, Point, PointAs"),
		ginkgo.Entry("interleave.Explore", "package p\nimport il \"github.com/racekit/racekit/pkg/interleave\"\nvar _ = il.Explore\n", "code.go:3: il.Explore"),
		ginkgo.Entry("time.Now, which tells a fake clock from a real one", "package p\nimport \"time\"\nvar _ = time.Now().Year() == 2000\n", "code.go:3: time.Now: of package time, exercise files may use only Sleep, Duration"),
		ginkgo.Entry("time.Since", "package p\nimport \"time\"\nvar _ = time.Since\n", "code.go:3: time.Since"),
		ginkgo.Entry("time.After, whose channel carries the current time", "package p\nimport \"time\"\nvar _ = (<-time.After(0)).Year()\n", "code.go:3: time.After"),
		ginkgo.Entry("time.NewTimer", "package p\nimport \"time\"\nvar _ = time.NewTimer(0)\n", "code.go:3: time.NewTimer"),
		ginkgo.Entry("log, whose Logger.Output reads the call stack", "package p\nimport \"log\"\nvar _ = log.Llongfile\n", "code.go:2: imports log: exercise files may import only"),
		ginkgo.Entry("context, whose deadlines read the clock", "package p\nimport \"context\"\nvar _ = context.Background\n", "code.go:2: imports context"),
		ginkgo.Entry("os.Stderr closed, which silences the race detector's report", "package p\nimport \"os\"\nfunc init() { os.Stderr.Close() }\n",
			"code.go:3: os.Stderr: exercise files may only hand os.Stdout and os.Stderr to a call"),
		ginkgo.Entry("os.Stdout kept in a variable", "package p\nimport \"os\"\nvar out = os.Stdout\n", "code.go:3: os.Stdout: exercise files may only hand"),
		ginkgo.Entry("a GIL's Timeline, whose events carry the clock", "package p\nimport \"github.com/racekit/racekit/pkg/gil\"\nfunc f(l *gil.New) bool { return l.Timeline().Events[0].Time.Year() == 2000 }\n",
			"code.go:3: .Timeline: exercise files may not read a GIL's timeline"),
		ginkgo.Entry("a //line directive", "package p\n//line other.go:100\nvar _ = 1\n", "code.go:2: a //line directive"),
		ginkgo.Entry("a /*line*/ directive", "package p\nvar _ = /*line other.go:100:1*/ 1\n", "code.go:2: a //line directive"),
		ginkgo.Entry("a rule broken after a //line directive, at the line where it really is", "package p\nimport \"os\"\n//line other.go:100\nvar _ = os.Args\n", "code.go:4: os.Args"),
		ginkgo.Entry("//go:embed", "package p\nimport _ \"embed\"\n//go:embed object_test.go\nvar s string\n", "the directive //go:embed"),
	)
})

var _ = ginkgo.Describe("the rules for exercise files, on a file go/parser cannot read", func() {
	ginkgo.It("lists it as unchecked, for the grader to turn away if it builds all the same", func() {
		// go/parser stops at a nesting depth of 100,000; the compiler does not.
		src := "package p\nvar _ = " + strings.Repeat("(", 120_000) + "1" + strings.Repeat(")", 120_000) + "\n"
		dir := ginkgo.GinkgoT().TempDir()
		Expect(os.WriteFile(filepath.Join(dir, "deep.go"), []byte(src), 0o644)).To(Succeed())
		c := breakRules(dir, "lessons/01-lost-update", []string{"deep.go"})
		Expect(c.Unparsed).To(ConsistOf(HavePrefix("lessons/01-lost-update/deep.go (")), "a file the rules could not read must not pass as one that keeps them")
		Expect(c.message()).To(BeEmpty(), "whether it builds is for the compiler to say first")
	})
})

var _ = ginkgo.Describe("the rules for exercise files, on the kit's own code", func() {
	kit, err := course.Root()
	if err != nil {
		ginkgo.It("runs inside the kit", func() { ginkgo.Fail(err.Error()) })
		return
	}
	// Every solution, every starter and every correct alternative in the
	// fixtures is code a learner might hand in: the rules must let it be.
	dirs := map[string]string{}
	for _, l := range course.InKit() {
		dirs["the solution of "+l.Dir()] = l.SolutionDir(kit)
		dirs["the starter of "+l.Dir()] = l.StarterDir(kit)
		fixtures, _ := filepath.Glob(filepath.Join(kit, "testdata", "fixtures", l.Dir(), "*", "expect.txt"))
		for _, f := range fixtures {
			if data, err := os.ReadFile(f); err == nil && strings.Contains(string(data), "\nresult: pass") {
				dirs["the correct fixture "+filepath.Base(filepath.Dir(f))+" of "+l.Dir()] = filepath.Dir(f)
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(dirs)) {
		ginkgo.It("lets "+name+" be", func() {
			files, err := course.ExerciseFiles(dirs[name])
			Expect(err).NotTo(HaveOccurred())
			Expect(files).NotTo(BeEmpty(), "%s has exercise files", dirs[name])
			c := breakRules(dirs[name], "", files)
			Expect(c.Unparsed).To(BeEmpty(), "every file the kit ships parses")
			Expect(c.message()).To(BeEmpty(), "code the kit ships as a fix, or as the starting point, must keep the rules")
		})
	}
})

var _ = ginkgo.Describe("whether exercise code may use a spec's names", func() {
	// write puts src in dir as name and returns dir.
	write := func(dir, name, src string) string {
		Expect(os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644)).To(Succeed())
		return dir
	}
	var specNames map[string]bool
	ginkgo.BeforeEach(func() {
		dir := write(ginkgo.GinkgoT().TempDir(), "x_test.go", "package p\n"+
			"var suiteT int\nconst limit = 3\ntype recorder struct{}\nfunc (recorder) peek() int { return 0 }\nfunc helper() {}\nfunc init() {}\nvar _ = 1\n")
		var err error
		specNames, err = declaredNames(dir, []string{"x_test.go"})
		Expect(err).NotTo(HaveOccurred())
	})
	may := func(src string) bool {
		dir := write(ginkgo.GinkgoT().TempDir(), "code.go", src)
		return breakRules(dir, "", []string{"code.go"}).mayNameAny(specNames)
	}

	ginkgo.It("reads a spec file's package-level names: variables, constants, types, functions and methods, not init or _", func() {
		Expect(specNames).To(Equal(map[string]bool{"suiteT": true, "limit": true, "recorder": true, "peek": true, "helper": true}))
	})

	ginkgo.DescribeTable("says the code may use one when it spells one, however it does",
		func(src string) {
			Expect(may(src)).To(BeTrue(), "the compiler must decide for:\n%s", src)
		},
		ginkgo.Entry("a variable read", "package p\nfunc f() int { return suiteT }\n"),
		ginkgo.Entry("a variable set by init", "package p\nfunc init() { suiteT = 0 }\n"),
		ginkgo.Entry("a method called on a value", "package p\ntype T struct{}\nfunc f(x interface{ peek() int }) int { return x.peek() }\n"),
		ginkgo.Entry("a type in a conversion", "package p\nvar _ = recorder{}\n"),
		ginkgo.Entry("a local variable that only shares the name", "package p\nfunc f() int { limit := 2; return limit }\n"),
		ginkgo.Entry("a file that does not parse", "package p\nfunc {\n"),
	)

	ginkgo.It("says the code uses none when it spells none of them", func() {
		Expect(may("package p\nimport \"fmt\"\ntype T struct{ n int }\nfunc (t *T) Inc() { t.n++; fmt.Println(t.n) }\n")).To(BeFalse(),
			"code that spells no name of the specs cannot use one, so the second build can be left out")
	})
})
