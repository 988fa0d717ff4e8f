package main_test

import (
	"encoding/json"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/internal/lanes/svgtest"
)

// labJSON is what racekit lab --json writes.
type labJSON struct {
	Experiments []struct {
		Name string `json:"name"`
		Rows []struct {
			Label     string  `json:"label"`
			Runtime   string  `json:"runtime"`
			Seconds   float64 `json:"seconds"`
			Ratio     float64 `json:"ratio"`
			SeedRatio float64 `json:"seed_ratio"`
		} `json:"rows"`
		SVG string `json:"svg"`
	} `json:"experiments"`
}

// readLabJSON reads the file racekit lab --json wrote.
func readLabJSON(file string) labJSON {
	GinkgoHelper()
	data, err := os.ReadFile(file)
	Expect(err).NotTo(HaveOccurred(), "--json writes the file")
	var got labJSON
	Expect(json.Unmarshal(data, &got)).To(Succeed(), "the file is JSON: %s", data)
	return got
}

// The lab's times are real-clock measurements: these specs check what the
// command prints and writes, never how fast anything ran.
var _ = Describe("racekit lab", func() {
	It("lists every experiment with its seed and what it shows", func() {
		r := run(kitRoot, "lab")
		Expect(r.code).To(Equal(0), "racekit lab succeeds: %s", r.err)
		Expect(r.out).To(MatchRegexp(`(?m)^\s+countdown\s+seed 004\s+\S.*$`), "countdown belongs to seed 004")
		Expect(r.out).To(MatchRegexp(`(?m)^\s+cpu-vs-io\s+seed 002\s+\S.*$`), "cpu-vs-io belongs to seed 002")
		Expect(r.out).To(MatchRegexp(`(?m)^\s+battle\s+seed 000, lesson 07\s+\S.*$`), "battle belongs to seed 000 and lesson 07")
		Expect(r.out).To(MatchRegexp(`(?m)^\s+convoy\s+lesson 07\s+\S.*$`), "convoy belongs to lesson 07")
		Expect(r.out).To(MatchRegexp(`(?m)^\s+lost-updates\s+lesson 08\s+\S.*$`), "lost-updates belongs to lesson 08")
		Expect(r.out).To(MatchRegexp(`(?m)^\s+free-threading\s+lesson 09\s+\S.*$`), "free-threading belongs to lesson 09")
		Expect(r.out).NotTo(ContainSubstring(escapeCode), "output that is not a terminal has no colour codes")
	})

	It("is in the command list", func() {
		r := run(kitRoot, "help")
		Expect(r.code).To(Equal(0))
		Expect(r.out).To(ContainSubstring("lab [experiment...]"))
	})

	It("runs countdown quickly on the VM and writes its three rows as JSON, ratios to one thread, the seed's beside them", func() {
		file := filepath.Join(GinkgoT().TempDir(), "lab.json")
		r := run(kitRoot, "lab", "--quick", "--json", file, "countdown")
		Expect(r.code).To(Equal(0), "racekit lab countdown succeeds: %s", r.err)
		Expect(r.out).To(ContainSubstring("countdown (seed 004)"), "the table names its seed")
		Expect(r.out).To(ContainSubstring("reading: "), "a one-line reading follows the table")
		Expect(r.err).NotTo(ContainSubstring("running"), "no progress line when standard error is not a terminal")

		got := readLabJSON(file)
		Expect(got.Experiments).To(HaveLen(1))
		x := got.Experiments[0]
		Expect(x.Name).To(Equal("countdown"))
		Expect(x.SVG).To(BeEmpty(), "no picture without --svg")
		labels := []string{
			"old GIL: one thread", "old GIL: two threads of one interpreter", "old GIL: two interpreters",
			"new GIL: one thread", "new GIL: two threads of one interpreter", "new GIL: two interpreters",
			"no GIL: one thread, n/20", "no GIL: two threads of one interpreter, n/20"}
		// Seed 004: 0.4990673065185547 s for one thread, 0.6345868110656738 s
		// for two threads, 3.6697864532470703 s for two processes, on
		// CPython 3: its ratios go with the new GIL's rows only.
		seed := []float64{0, 0, 0, 1, 0.6345868110656738 / 0.4990673065185547, 3.6697864532470703 / 0.4990673065185547, 0, 0}
		Expect(x.Rows).To(HaveLen(len(labels)), "each build's rows; no CPython rows without --cpython")
		for i, row := range x.Rows {
			Expect(row.Label).To(Equal(labels[i]))
			Expect(row.Runtime).To(Equal("vm"))
			Expect(row.Seconds).To(BeNumerically(">", 0), "%s was timed", row.Label)
			Expect(row.SeedRatio).To(BeNumerically("~", seed[i], 1e-9), "%s carries seed 004's ratio, or none", row.Label)
		}
		for _, i := range []int{0, 3, 6} {
			Expect(x.Rows[i].Ratio).To(Equal(1.0), "one thread is its build's baseline: %s", x.Rows[i].Label)
		}
	})

	It("draws each experiment run with --svg, says where, and names the pictures in the JSON", func() {
		dir := filepath.Join(GinkgoT().TempDir(), "pictures") // not there yet: --svg makes it
		file := filepath.Join(GinkgoT().TempDir(), "lab.json")
		// One of each kind of picture: lanes (battle), a chart of times
		// (countdown) and one of updates lost (lost-updates); all six
		// take too long for the kit's tests, and the lab's own specs
		// draw every kind from made-up rows.
		names := []string{"battle", "countdown", "lost-updates"}
		r := run(kitRoot, append([]string{"lab", "--quick", "--svg", dir, "--json", file}, names...)...)
		Expect(r.code).To(Equal(0), "racekit lab --svg succeeds: %s", r.err)
		Expect(r.out).NotTo(ContainSubstring("█"), "no bars in the tables when the output is not a terminal")

		got := readLabJSON(file)
		Expect(got.Experiments).To(HaveLen(len(names)), "every experiment named ran")
		docs := map[string]*svgtest.Element{}
		for _, x := range got.Experiments {
			path := filepath.Join(dir, x.Name+".svg")
			Expect(x.SVG).To(Equal(path), "the JSON names %s's picture, as written", x.Name)
			Expect(r.out).To(ContainSubstring("wrote "+path+"\n"), "racekit says where %s's picture is", x.Name)
			svg, err := os.ReadFile(path)
			Expect(err).NotTo(HaveOccurred(), "%s's picture is written", x.Name)
			doc, err := svgtest.Parse(svg)
			Expect(err).NotTo(HaveOccurred(), "%s's picture is well-formed SVG", x.Name)
			Expect(doc.Texts()).To(ContainElement(ContainSubstring("racekit lab "+x.Name)), "%s's picture is titled with its name", x.Name)
			docs[x.Name] = doc
		}

		battle := docs["battle"]
		Expect(battle.Class("panel")).To(HaveLen(2), "a panel for the old GIL and one for the new")
		for _, panel := range battle.Class("panel") {
			var threads []string
			for _, lane := range panel.Class("lane") {
				threads = append(threads, lane.Class("lane-label")[0].Text())
			}
			Expect(threads).To(ConsistOf("A", "B"), "a lane per thread of the %s, labelled with its name", panel.Attr["data-lock"])
		}
		for _, x := range got.Experiments {
			if x.Name == "battle" {
				continue
			}
			chart := docs[x.Name]
			for _, row := range x.Rows {
				Expect(chart.Texts()).To(ContainElement(row.Label+" ("+row.Runtime+")"), "%s's chart has a bar labelled for %s", x.Name, row.Label)
			}
			Expect(chart.Texts()).To(ContainElement(Or(ContainSubstring("time, ×"), ContainSubstring("updates lost, %"))), "%s's chart's axis says its unit", x.Name)
		}
	})

	It("has its battle in the README as a picture checked in, with the command that redraws it", func() {
		readme, err := os.ReadFile(filepath.Join(kitRoot, "README.md"))
		Expect(err).NotTo(HaveOccurred())
		Expect(string(readme)).To(ContainSubstring("](docs/lab/battle.svg)"), "the README shows the battle's picture")
		Expect(string(readme)).To(ContainSubstring("`go run ./pkg/cmd/racekit lab battle --svg docs/lab`"), "and says how to redraw it")
		svg, err := os.ReadFile(filepath.Join(kitRoot, "docs", "lab", "battle.svg"))
		Expect(err).NotTo(HaveOccurred(), "the picture is checked in")
		doc, err := svgtest.Parse(svg)
		Expect(err).NotTo(HaveOccurred(), "the picture is well-formed SVG")
		Expect(doc.Class("panel")).To(HaveLen(2), "a panel for the old GIL and one for the new")
		for _, panel := range doc.Class("panel") {
			Expect(panel.Class("lane")).To(HaveLen(2), "a lane per thread of the %s", panel.Attr["data-lock"])
		}
	})

	It("turns away an --svg that is a file, before running anything", func() {
		file := filepath.Join(GinkgoT().TempDir(), "pictures")
		Expect(os.WriteFile(file, nil, 0o644)).To(Succeed())
		r := run(kitRoot, "lab", "--quick", "--svg", file, "countdown")
		Expect(r.code).To(Equal(2), "a file for --svg is bad usage")
		Expect(r.err).To(ContainSubstring("--svg " + file + ": that is a file; --svg takes a folder to write the pictures to"))
		Expect(r.out).NotTo(ContainSubstring("countdown (seed 004)"), "nothing runs before --svg is checked")
	})

	It("draws a bar of each row's ratio on a terminal, in colour unless NO_COLOR is set", func() {
		out := onTerminal(kitRoot, nil, "lab", "--quick", "lost-updates")
		Expect(out).To(ContainSubstring("█"), "a terminal gets a bar column")
		Expect(out).To(ContainSubstring(escapeCode+"36m█"), "the VM's bars are cyan")
		plain := onTerminal(kitRoot, []string{"NO_COLOR=1"}, "lab", "--quick", "lost-updates")
		Expect(plain).To(ContainSubstring("█"), "NO_COLOR keeps the bars")
		Expect(plain).NotTo(MatchRegexp(`\x1b\[[0-9;]*m`), "NO_COLOR turns colour off (the progress line still clears itself)")
	})

	It("turns an unknown experiment away, naming the ones there are", func() {
		r := run(kitRoot, "lab", "--quick", "countdown", "nope")
		Expect(r.code).To(Equal(2), "an unknown experiment is bad usage")
		Expect(r.err).To(ContainSubstring(`no experiment "nope"; the experiments are countdown, cpu-vs-io, battle, convoy, lost-updates, free-threading`))
		Expect(r.out).NotTo(ContainSubstring("countdown (seed 004)"), "nothing runs before the names are checked")
	})

	It("says so when --cpython is asked for and there is no python3", func() {
		s := racekitEnv(kitRoot, []string{"PATH="}, "lab", "--quick", "--cpython", "countdown")
		code := finish(s, quick)
		Expect(code).To(Equal(2), "the command cannot run as asked")
		Expect(string(s.Err.Contents())).To(ContainSubstring("there is no python3 on PATH"))
		Expect(string(s.Out.Contents())).NotTo(ContainSubstring("countdown (seed 004)"), "nothing runs without the Python asked for")
	})
})
