package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/internal/course"
	"github.com/racekit/racekit/pkg/internal/verify"
)

var _ = Describe("INSTRUCTORS.md", func() {
	var root, doc string

	BeforeEach(func() {
		var err error
		root, err = course.Root()
		Expect(err).NotTo(HaveOccurred(), "the specs run inside a racekit checkout")
		data, err := os.ReadFile(filepath.Join(root, FileName))
		Expect(err).NotTo(HaveOccurred(), "the instructor's guide is at the kit's root")
		doc = string(data)
	})

	It("has every generated section as the generator makes it now", func() {
		stale, err := Stale(root)
		Expect(err).NotTo(HaveOccurred(), "the guide's sections and the kit's fixtures can be read")
		Expect(stale).To(BeEmpty(),
			"a lesson or a fixture changed since %s was generated; run %s and commit the result", FileName, Command)
	})

	It("has a table for every lesson in the kit, in which every fixture of that lesson appears", func() {
		body, err := Section(doc, WrongFixes)
		Expect(err).NotTo(HaveOccurred(), "the guide has its wrong-fixes section")
		for _, l := range course.InKit() {
			_, table, found := strings.Cut(body, LessonHeading(l)+"\n")
			Expect(found).To(BeTrue(), "the wrong-fixes section has the heading %q for lesson %s", LessonHeading(l), l.Dir())
			table, _, _ = strings.Cut(table, "\n### ")
			fixtures, err := verify.Fixtures(root, l)
			Expect(err).NotTo(HaveOccurred(), "lesson %s's fixtures can be read", l.Dir())
			Expect(fixtures).NotTo(BeEmpty(), "lesson %s has fixtures in testdata/fixtures to list", l.Dir())
			for _, f := range fixtures {
				Expect(table).To(ContainSubstring("| %02d | `%s` |", l.Number, f.Name),
					"lesson %s's table has a row for its fixture %s", l.Dir(), f.Name)
			}
		}
	})

	It("has a row of figures for every lesson in the kit", func() {
		body, err := Section(doc, Figures)
		Expect(err).NotTo(HaveOccurred(), "the guide has its figures section")
		for _, l := range course.InKit() {
			Expect(body).To(ContainSubstring("](lessons/%s) |", l.Dir()),
				"the figures table has a row for lesson %s", l.Dir())
		}
	})
})

var _ = Describe("Rewrite", func() {
	doc := "# Guide\n\nbefore\n" + Begin(WrongFixes) + "\nold\nrows\n" + End(WrongFixes) + "\nafter\n"

	It("replaces only the text between the section's markers", func() {
		got, err := Rewrite(doc, WrongFixes, "new")
		Expect(err).NotTo(HaveOccurred(), "the section's markers are there, once each")
		Expect(got).To(Equal("# Guide\n\nbefore\n"+Begin(WrongFixes)+"\nnew\n"+End(WrongFixes)+"\nafter\n"),
			"the markers and the text around them stay as they were, and the body ends its line")
		body, err := Section(got, WrongFixes)
		Expect(err).NotTo(HaveOccurred(), "the rewritten section can be read back")
		Expect(body).To(Equal("new\n"), "Section returns what Rewrite put in")
	})

	When("a marker is missing or repeated", func() {
		It("says which, and changes nothing", func() {
			_, err := Rewrite(strings.Replace(doc, End(WrongFixes), "", 1), WrongFixes, "new")
			Expect(err).To(MatchError(ContainSubstring("closes section wrong-fixes")), "a missing end marker is named")
			_, err = Rewrite(doc, Figures, "new")
			Expect(err).To(MatchError(ContainSubstring("opens section figures")), "a missing begin marker is named")
			_, err = Rewrite(doc+Begin(WrongFixes)+"\n", WrongFixes, "new")
			Expect(err).To(MatchError(ContainSubstring("opened 2 times")), "a repeated begin marker is named")
		})
	})

	When("the end marker comes first", func() {
		It("says so", func() {
			swapped := End(WrongFixes) + "\nx\n" + Begin(WrongFixes) + "\n"
			_, err := Rewrite(swapped, WrongFixes, "new")
			Expect(err).To(MatchError(ContainSubstring("closed before it is opened")), "the order of the markers is checked")
		})
	})
})

var _ = Describe("a table cell", func() {
	It("escapes what markdown would misread in a fixture's comment, but not inside its code spans", func() {
		Expect(cell("a *sync.Mutex field | and `a|b *c*` [x]")).To(Equal("a \\*sync.Mutex field \\| and `a\\|b *c*` \\[x]"),
			"emphasis, links and pipes in prose are escaped; a code span keeps its text, with only its pipes escaped")
	})

	It("puts text with backticks in a longer fence", func() {
		Expect(codeSpan("say `go`")).To(Equal("`` say `go` ``"), "a single backtick inside needs a double fence")
		Expect(codeSpan("plain")).To(Equal("`plain`"), "plain text gets a single backtick")
	})
})

var _ = Describe("the command", func() {
	It("says the guide is up to date when it is, and changes nothing with -check", func() {
		root, err := course.Root()
		Expect(err).NotTo(HaveOccurred(), "the specs run inside a racekit checkout")
		var stdout, stderr bytes.Buffer
		code := run([]string{"-check", "-root", root}, &stdout, &stderr)
		Expect(code).To(Equal(0), "the checked-in guide is fresh (stderr: %s)", stderr.String())
		Expect(stdout.String()).To(ContainSubstring("are up to date"), "the command says the guides needed nothing")
	})

	It("rewrites a stale section of a copy of each guide, English and Korean, and -check then finds nothing stale", func() {
		root, err := course.Root()
		Expect(err).NotTo(HaveOccurred(), "the specs run inside a racekit checkout")
		kit := GinkgoT().TempDir()
		Expect(os.Mkdir(filepath.Join(kit, "testdata"), 0o755)).To(Succeed(), "the copy has a testdata folder")
		for _, dir := range []string{"lessons", "solutions", filepath.Join("testdata", "starters"), filepath.Join("testdata", "fixtures")} {
			Expect(os.Symlink(filepath.Join(root, dir), filepath.Join(kit, dir))).To(Succeed(), "the copy shares the kit's %s", dir)
		}
		docs := map[string]string{}
		for _, file := range []string{FileName, KoreanFileName} {
			doc, err := os.ReadFile(filepath.Join(root, file))
			Expect(err).NotTo(HaveOccurred(), "the guide %s can be read", file)
			docs[file] = string(doc)
			stale, err := Rewrite(string(doc), WrongFixes, "stale\n")
			Expect(err).NotTo(HaveOccurred(), "%s has its wrong-fixes section", file)
			Expect(os.WriteFile(filepath.Join(kit, file), []byte(stale), 0o644)).To(Succeed(), "the stale copy can be written")
		}

		var stdout, stderr bytes.Buffer
		Expect(run([]string{"-check", "-root", kit}, &stdout, &stderr)).To(Equal(1), "-check fails on a stale section")
		Expect(stderr.String()).To(And(ContainSubstring("wrong-fixes"), ContainSubstring(KoreanFileName+" wrong-fixes")), "-check names the stale sections of both guides")
		Expect(stderr.String()).To(ContainSubstring("run "+Command), "-check names the command that fixes it")
		Expect(run([]string{"-root", kit}, &stdout, &stderr)).To(Equal(0), "the command rewrites the section (stderr: %s)", stderr.String())
		for file, doc := range docs {
			got, err := os.ReadFile(filepath.Join(kit, file))
			Expect(err).NotTo(HaveOccurred(), "the rewritten copy can be read")
			Expect(string(got)).To(Equal(doc), "the rewritten copy of %s is the kit's again", file)
		}
	})
})
