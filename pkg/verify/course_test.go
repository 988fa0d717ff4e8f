package verify_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"

	"github.com/racekit/racekit/pkg/course"
	"github.com/racekit/racekit/pkg/verify"
)

// runsEach is how many times each starter and solution binary runs at each
// GOMAXPROCS: a spec that fails or passes by luck shows up here.
const runsEach = 20

var maxprocs = []string{"1", "4"}

// run is one execution of a compiled lesson test binary.
type run struct {
	code int
	out  string
}

// runBinary runs a compiled test binary in dir (so traces name files
// relative to the lesson) and returns its exit code and combined output.
// A binary that hangs is stopped by its own -test.timeout and then by ours.
func runBinary(bin, dir string, env ...string) run {
	cmd := exec.Command(bin, "-test.timeout=2m", "-ginkgo.no-color")
	cmd.Dir = dir
	// The race runtime sleeps a second at exit by default, to let other
	// goroutines' reports come out; these binaries report before exiting.
	cmd.Env = append(append(os.Environ(), "GORACE=atexit_sleep_ms=0"), env...)
	session, err := gexec.Start(cmd, nil, nil)
	if err != nil {
		return run{code: -1, out: err.Error()}
	}
	select {
	case <-session.Exited:
	case <-time.After(3 * time.Minute):
		session.Kill()
		<-session.Exited
		return run{code: -1, out: output(session) + "\n(killed after 3m)"}
	}
	return run{code: session.ExitCode(), out: output(session)}
}

// output is what the binary printed: its standard output, then its
// standard error (where the race detector reports).
func output(s *gexec.Session) string {
	return string(s.Out.Contents()) + string(s.Err.Contents())
}

// repeat runs the binary runsEach times at each GOMAXPROCS, two at a time,
// and returns the runs.
func repeat(bin, dir string) []run {
	var (
		mu   sync.Mutex // guards runs
		runs []run
		wg   sync.WaitGroup
	)
	slots := make(chan struct{}, 2)
	for _, procs := range maxprocs {
		for range runsEach {
			wg.Add(1)
			slots <- struct{}{}
			go func() {
				defer wg.Done()
				r := runBinary(bin, dir, "GOMAXPROCS="+procs)
				r.out = "GOMAXPROCS=" + procs + "\n" + r.out
				mu.Lock()
				runs = append(runs, r)
				mu.Unlock()
				<-slots
			}()
		}
	}
	wg.Wait()
	return runs
}

// compile builds the lesson's test binary into a temporary folder, with
// the overlay file if given. (gexec.CompileTest is deprecated for modules.)
func compile(importPath string, race bool, overlay string) (string, error) {
	bin := filepath.Join(GinkgoT().TempDir(), path.Base(importPath)+".test")
	args := []string{"test", "-c", "-o", bin}
	if race {
		args = append(args, "-race")
	}
	if overlay != "" {
		args = append(args, "-overlay", overlay)
	}
	out, err := exec.Command("go", append(args, importPath)...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return bin, nil
}

var root = func() string {
	r, err := course.Root()
	if err != nil {
		panic(err)
	}
	return r
}()

const module = "github.com/racekit/racekit"

var _ = Describe("the course", func() {
	It("has every lesson of the catalogue that is in the kit, and no other", func() {
		var want, got []string
		for _, l := range course.InKit() {
			want = append(want, l.Dir())
		}
		entries, err := os.ReadDir(filepath.Join(root, "lessons"))
		Expect(err).NotTo(HaveOccurred())
		for _, e := range entries {
			if e.IsDir() {
				got = append(got, e.Name())
			}
		}
		Expect(got).To(Equal(want), "lessons/ and the catalogue in pkg/course must list the same lessons")
	})

	for _, l := range course.InKit() {
		Describe(l.Dir(), Ordered, func() {
			lessonDir, solutionDir := l.LessonDir(root), l.SolutionDir(root)
			var starterRace, starterPlain, solutionRace, solutionPlain string

			fixtures, fixturesErr := verify.Fixtures(root, l)
			fixtureBins := make([]string, len(fixtures))
			fixtureErrs := make([]error, len(fixtures))

			// Compile everything the lesson's specs need up front, two builds
			// at a time: linking a test binary dominates the kit's test time.
			BeforeAll(func() {
				type build struct {
					dst     *string
					err     *error
					pkg     string
					race    bool
					overlay string
				}
				var errs [4]error
				builds := []build{
					{&starterRace, &errs[0], module + "/lessons/" + l.Dir(), true, ""},
					{&starterPlain, &errs[1], module + "/lessons/" + l.Dir(), false, ""},
					{&solutionRace, &errs[2], module + "/solutions/" + l.Dir(), true, ""},
					{&solutionPlain, &errs[3], module + "/solutions/" + l.Dir(), false, ""},
				}
				tmp := GinkgoT().TempDir()
				for i, f := range fixtures {
					overlay := filepath.Join(tmp, f.Name+".json")
					Expect(f.WriteOverlay(root, overlay)).To(Succeed())
					builds = append(builds, build{&fixtureBins[i], &fixtureErrs[i], module + "/lessons/" + l.Dir(), true, overlay})
				}
				slots := make(chan struct{}, 2)
				var wg sync.WaitGroup
				for _, b := range builds {
					slots <- struct{}{}
					wg.Go(func() {
						defer func() { <-slots }()
						*b.dst, *b.err = compile(b.pkg, b.race, b.overlay)
					})
				}
				wg.Wait()
				for _, err := range errs {
					Expect(err).NotTo(HaveOccurred(), "the lesson's starter and solution must compile")
				}
			})

			It("has a README.md and a HINTS.md", func() {
				for _, name := range []string{"README.md", "HINTS.md"} {
					data, err := os.ReadFile(filepath.Join(lessonDir, name))
					Expect(err).NotTo(HaveOccurred(), "every lesson needs %s", name)
					Expect(strings.TrimSpace(string(data))).NotTo(BeEmpty(), "%s must not be empty", name)
				}
			})

			It("has specs byte-identical to its solution's", func() {
				lessonSpecs, err := course.SpecFiles(lessonDir)
				Expect(err).NotTo(HaveOccurred())
				solutionSpecs, err := course.SpecFiles(solutionDir)
				Expect(err).NotTo(HaveOccurred())
				Expect(lessonSpecs).NotTo(BeEmpty(), "the lesson has specs")
				Expect(solutionSpecs).To(Equal(lessonSpecs), "lesson and solution have the same spec files")
				for _, name := range lessonSpecs {
					a, _ := os.ReadFile(filepath.Join(lessonDir, name))
					b, _ := os.ReadFile(filepath.Join(solutionDir, name))
					Expect(bytes.Equal(a, b)).To(BeTrue(), "solutions/%s/%s must be a byte-identical copy of the lesson's", l.Dir(), name)
				}
			})

			It("fails on the starter for the reason the lesson teaches, as its README shows", func() {
				r := runBinary(starterRace, lessonDir)
				Expect(verify.FailsForItsReason(l, r.code, r.out)).To(Succeed())
				readme, err := os.ReadFile(filepath.Join(lessonDir, "README.md"))
				Expect(err).NotTo(HaveOccurred())
				Expect(verify.ShowsRealOutput(string(readme), r.out)).To(Succeed(), "a lesson's README pastes the real failing output")
			})

			for _, c := range []struct {
				what string
				bin  *string
			}{{"with -race", &starterRace}, {"without -race", &starterPlain}} {
				It(fmt.Sprintf("fails on the starter %d runs out of %d at GOMAXPROCS %s, %s", runsEach*len(maxprocs), runsEach*len(maxprocs), strings.Join(maxprocs, " and "), c.what), func() {
					for _, r := range repeat(*c.bin, lessonDir) {
						Expect(verify.FailsForItsReason(l, r.code, r.out)).To(Succeed(), "a starter must fail every run, never by luck")
					}
				})
			}

			for _, c := range []struct {
				what string
				bin  *string
			}{{"with -race", &solutionRace}, {"without -race", &solutionPlain}} {
				It(fmt.Sprintf("passes on the solution %d runs out of %d at GOMAXPROCS %s, %s", runsEach*len(maxprocs), runsEach*len(maxprocs), strings.Join(maxprocs, " and "), c.what), func() {
					for _, r := range repeat(*c.bin, solutionDir) {
						Expect(verify.Passed(r.code, r.out)).To(Succeed(), "a correct fix must pass every run")
					}
				})
			}

			if fixturesErr != nil {
				It("has readable fixtures", func() { Fail(fixturesErr.Error()) })
			}
			for i, f := range fixtures {
				verb := "rejects"
				if f.Pass {
					verb = "accepts"
				}
				It(fmt.Sprintf("%s the fixture %s (%s)", verb, f.Name, f.About), func() {
					Expect(fixtureErrs[i]).NotTo(HaveOccurred(), "a fixture must compile: it fails or passes its specs, never its build")
					r := runBinary(fixtureBins[i], lessonDir)
					Expect(f.Check(r.code, r.out)).To(Succeed())
				})
			}
		})
	}
})
