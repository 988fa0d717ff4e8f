package grade

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/course"
)

var _ = ginkgo.Describe("the rules for exercise files", func() {
	check := func(src string) string {
		dir := ginkgo.GinkgoT().TempDir()
		Expect(os.WriteFile(filepath.Join(dir, "code.go"), []byte(src), 0o644)).To(Succeed())
		return breakRules(dir, "", []string{"code.go"})
	}

	ginkgo.DescribeTable("let a lesson's code use what a fix needs",
		func(src string) {
			Expect(check(src)).To(BeEmpty(), "a learner's honest fix must not be turned away:\n%s", src)
		},
		ginkgo.Entry("sync, sync/atomic, fmt and time", "package p\nimport (\n\"fmt\"\n\"sync\"\n\"sync/atomic\"\n\"time\"\n)\nvar _ sync.Mutex\nvar _ atomic.Int64\nvar _ = fmt.Sprint(time.Second)\n"),
		ginkgo.Entry("the kit's interleave, heap, vm and gil", "package p\nimport (\n_ \"github.com/racekit/racekit/pkg/interleave\"\n_ \"github.com/racekit/racekit/pkg/heap\"\n_ \"github.com/racekit/racekit/pkg/vm\"\n_ \"github.com/racekit/racekit/pkg/gil\"\n)\n"),
		ginkgo.Entry("printing to os.Stderr to debug, and reading the environment", "package p\nimport (\n\"fmt\"\n\"os\"\n)\nfunc f() { fmt.Fprintln(os.Stderr, os.Getenv(\"DEBUG\")) }\n"),
		ginkgo.Entry("runtime.Gosched and runtime.NumGoroutine", "package p\nimport \"runtime\"\nfunc f() int { runtime.Gosched(); return runtime.NumGoroutine() }\n"),
		ginkgo.Entry("a //go:build line", "//go:build race\n\npackage p\n"),
		ginkgo.Entry("a file that does not parse (the compiler says why)", "package p\nfunc {\n"),
	)

	ginkgo.DescribeTable("turn away, naming the line, code that could change how the specs run or are reported",
		func(src, want string) {
			Expect(check(src)).To(ContainSubstring(want), "this code must be turned away:\n%s", src)
		},
		ginkgo.Entry("os.Exit", "package p\nimport \"os\"\nfunc init() { os.Exit(0) }\n", "code.go:3: os.Exit"),
		ginkgo.Entry("os.Args, under another name", "package p\nimport sys \"os\"\nvar _ = sys.Args\n", "code.go:3: sys.Args"),
		ginkgo.Entry("os imported with a dot", "package p\nimport . \"os\"\nvar _ = Args\n", "code.go:2: imports os with a dot"),
		ginkgo.Entry("unsafe", "package p\nimport _ \"unsafe\"\n", "code.go:2: imports unsafe"),
		ginkgo.Entry("syscall", "package p\nimport \"syscall\"\nvar _ = syscall.Exit\n", "imports syscall"),
		ginkgo.Entry("os/exec", "package p\nimport _ \"os/exec\"\n", "imports os/exec"),
		ginkgo.Entry("io/ioutil", "package p\nimport _ \"io/ioutil\"\n", "imports io/ioutil"),
		ginkgo.Entry("flag", "package p\nimport _ \"flag\"\n", "imports flag"),
		ginkgo.Entry("testing/synctest", "package p\nimport _ \"testing/synctest\"\n", "imports testing/synctest"),
		ginkgo.Entry("cgo", "package p\nimport \"C\"\n", "imports C"),
		ginkgo.Entry("a module outside the kit", "package p\nimport _ \"golang.org/x/sys/unix\"\n", "imports golang.org/x/sys/unix: of the packages outside the standard library"),
		ginkgo.Entry("the kit's own tooling", "package p\nimport _ \"github.com/racekit/racekit/pkg/testrun\"\n", "imports github.com/racekit/racekit/pkg/testrun"),
		ginkgo.Entry("Gomega", "package p\nimport _ \"github.com/onsi/gomega\"\n", "only _test.go files may use the test framework"),
		ginkgo.Entry("runtime's race hooks", "package p\nimport \"runtime\"\nfunc f() { runtime.RaceDisable() }\n", "code.go:3: runtime.RaceDisable"),
		ginkgo.Entry("//go:norace", "package p\n//go:norace\nfunc f() {}\n", "code.go:2: the directive //go:norace"),
		ginkgo.Entry("//go:linkname", "package p\n//go:linkname f runtime.f\nfunc f()\n", "the directive //go:linkname"),
		ginkgo.Entry("vm.ErrNotHolder changed", "package p\nimport \"github.com/racekit/racekit/pkg/vm\"\nfunc init() { vm.ErrNotHolder = nil }\n", "code.go:3: changes vm.ErrNotHolder"),
		ginkgo.Entry("a kit package imported with a dot", "package p\nimport . \"github.com/racekit/racekit/pkg/vm\"\nvar _ = ErrNotHolder\n", "imports github.com/racekit/racekit/pkg/vm with a dot"),
		ginkgo.Entry("//go:embed", "package p\nimport _ \"embed\"\n//go:embed object_test.go\nvar s string\n", "the directive //go:embed"),
	)
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
			Expect(breakRules(dirs[name], "", files)).To(BeEmpty(), "code the kit ships as a fix, or as the starting point, must keep the rules")
		})
	}
})
