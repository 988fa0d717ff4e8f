package lab

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// after returns a step's run that takes d without running anything.
func after(d time.Duration) func(context.Context) (time.Duration, error) {
	return func(context.Context) (time.Duration, error) { return d, nil }
}

var _ = Describe("the lab", func() {
	It("lists each experiment once, with its seed and what it shows", func() {
		Expect(Names()).To(Equal([]string{"countdown", "cpu-vs-io", "battle", "convoy", "lost-updates", "free-threading"}), "the experiments, in order")
		sources := map[string]string{}
		for _, x := range Experiments {
			Expect(x.Source).To(MatchRegexp(`^(seed \d{3}|lesson \d{2})(, lesson \d{2})?$`), "%s names the seed or lesson it belongs to", x.Name)
			sources[x.Name] = x.Source
			Expect(x.Shows).NotTo(BeEmpty(), "%s says what it shows", x.Name)
			Expect(x.Run).NotTo(BeNil(), "%s can run", x.Name)
			found, ok := Find(x.Name)
			Expect(ok).To(BeTrue())
			Expect(found.Name).To(Equal(x.Name))
		}
		Expect(sources).To(HaveKeyWithValue("battle", "seed 000, lesson 07"))
		Expect(sources).To(HaveKeyWithValue("convoy", "lesson 07"))
		Expect(sources).To(HaveKeyWithValue("lost-updates", "lesson 08"))
		Expect(sources).To(HaveKeyWithValue("free-threading", "lesson 09"))
		_, ok := Find("nope")
		Expect(ok).To(BeFalse(), "an unknown name is not found")
	})

	It("quotes the seeds' figures as they print them", func() {
		for seed, figures := range map[string][]string{
			"004": {"0.4990673065185547", "0.6345868110656738", "3.6697864532470703"},
			"002": {"22.589264", "28.020673", "39.043801", "27.756528"},
		} {
			files, err := filepath.Glob(filepath.Join("..", "..", "..", "..", "shared", "seeds", seed+"_*.txt"))
			Expect(err).NotTo(HaveOccurred())
			if len(files) == 0 {
				Skip("the seeds are not next to this checkout")
			}
			text, err := os.ReadFile(files[0])
			Expect(err).NotTo(HaveOccurred())
			for _, f := range figures {
				Expect(strings.Contains(string(text), f)).To(BeTrue(), "seed %s prints %s", seed, f)
			}
		}
	})

	Describe("measure", func() {
		It("gives each row its ratio to the baseline before it on the same runtime, and the seed's ratio as given", func() {
			var seen []string
			rows, err := measure(context.Background(), []step{
				{label: "a", runtime: VM, baseline: true, seedRatio: 1, run: after(2 * time.Second)},
				{label: "b", runtime: VM, seedRatio: 1.5, run: after(3 * time.Second)},
				{label: "a", runtime: CPython, baseline: true, seedRatio: 1, run: after(4 * time.Second)},
				{label: "b", runtime: CPython, run: after(time.Second)},
				{label: "c", runtime: VM, baseline: true, run: after(time.Second)},
				{label: "d", runtime: VM, run: after(500 * time.Millisecond)},
			}, func(s string) { seen = append(seen, s) })
			Expect(err).NotTo(HaveOccurred())
			Expect(rows).To(Equal([]Row{
				{Label: "a", Runtime: VM, Seconds: 2, Ratio: 1, SeedRatio: 1},
				{Label: "b", Runtime: VM, Seconds: 3, Ratio: 1.5, SeedRatio: 1.5},
				{Label: "a", Runtime: CPython, Seconds: 4, Ratio: 1, SeedRatio: 1},
				{Label: "b", Runtime: CPython, Seconds: 1, Ratio: 0.25},
				{Label: "c", Runtime: VM, Seconds: 1, Ratio: 1},
				{Label: "d", Runtime: VM, Seconds: 0.5, Ratio: 0.5},
			}))
			Expect(seen).To(Equal([]string{"a (vm)", "b (vm)", "a (cpython)", "b (cpython)", "c (vm)", "d (vm)"}), "progress hears of each step before it runs")
		})

		It("stops at the first step that fails, naming it", func() {
			_, err := measure(context.Background(), []step{
				{label: "a", runtime: VM, baseline: true, run: after(time.Second)},
				{label: "b", runtime: CPython, run: func(context.Context) (time.Duration, error) { return 0, errors.New("boom") }},
			}, nil)
			Expect(err).To(MatchError("b (cpython): boom"))
		})

		It("stops when the context is cancelled", func() {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			_, err := measure(ctx, []step{{label: "a", runtime: VM, baseline: true, run: after(time.Second)}}, nil)
			Expect(err).To(MatchError(context.Canceled))
		})
	})

	Describe("the CPython script", func() {
		It("runs every job on python3, and reads the switch interval", func(ctx SpecContext) {
			launcher, err := exec.LookPath("python3")
			if err != nil {
				Skip("no python3 on PATH: the script is run by racekit lab --cpython only")
			}
			python, err := ResolvePython(ctx, launcher)
			Expect(err).NotTo(HaveOccurred(), "python3 tells its own file")
			Expect(filepath.Base(python)).To(HavePrefix("python"), "sys.executable is a python")
			for _, job := range []struct {
				job, how string
				k, n, ms int
			}{
				{"cpu", "seq", 2, 1000, 0}, {"cpu", "threads", 2, 1000, 0}, {"cpu", "procs", 2, 1000, 0},
				{"io", "seq", 1, 1000, 1}, {"io", "threads", 2, 1000, 1},
				{"convoy", "alone", 2, 0, 1}, {"convoy", "0.001", 2, 0, 1},
			} {
				d, err := onCPython(python, job.job, job.how, job.k, job.n, job.ms)(ctx)
				Expect(err).NotTo(HaveOccurred(), "python3 runs the %s job %s", job.job, job.how)
				Expect(d).To(BeNumerically(">", 0), "the %s job %s printed a time", job.job, job.how)
				if job.job != "cpu" {
					Expect(d).To(BeNumerically(">=", time.Millisecond), "the %s job %s sleeps 1 ms a call at least", job.job, job.how)
				}
			}
			d, err := onCPython(python, "switchinterval", "-", 0, 0, 0)(ctx)
			Expect(err).NotTo(HaveOccurred())
			Expect(d).To(Equal(5*time.Millisecond), "CPython's default switch interval, sys.getswitchinterval(), is 5 ms")
		}, SpecTimeout(time.Minute))
	})

	It("runs the I/O-bound job on the VM: three sleeps and three countdowns", func() {
		d, err := onVM(newGIL, workIOProgram, "work_io", "seq", 1, 5, 10)(context.Background())
		Expect(err).NotTo(HaveOccurred(), "work_io assembles and runs")
		Expect(d).To(BeNumerically(">=", 15*time.Millisecond), "three sleeps of 5 ms at least")
	})
})
