package main

// These specs run in the racekit suite (RunSpecs is in package main_test):
// they read the command's own source for the messages a learner sees and
// check that the Korean catalogue translates each, and nothing else.

import (
	"go/ast"
	"go/parser"
	"go/token"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/internal/course"
	"github.com/racekit/racekit/pkg/internal/i18n"
	"github.com/racekit/racekit/pkg/internal/progress"
)

// learnerFiles are the files of the commands a learner uses (status, check,
// watch, hint, reset, solution, replay, play and its game, help): the ones
// racekit speaks Korean in.
// grade, verify, warm and lab are for instructors and the kit's authors,
// and speak English.
var learnerFiles = []string{"main.go", "env.go", "status.go", "check.go", "watch.go", "hint.go", "reset.go", "solution.go", "replay.go", "learn.go", "play.go", "../../internal/play/model.go"}

// learnerMessages returns every message a learner can see: the format
// strings the learner files pass to printf, tr, usagef and i18n.Sprintf
// (those with words in them; "%s\n" is plumbing), the commands' summaries,
// the lessons' titles and the statuses of the course table.
func learnerMessages() []string {
	var out []string
	for _, name := range learnerFiles {
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, 0)
		Expect(err).NotTo(HaveOccurred())
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			arg := -1
			switch fun := call.Fun.(type) {
			case *ast.Ident:
				if fun.Name == "usagef" {
					arg = 0
				}
			case *ast.SelectorExpr:
				switch fun.Sel.Name {
				case "printf", "tr", "text", "usagef":
					arg = 0
				case "Sprintf":
					if x, ok := fun.X.(*ast.Ident); ok && x.Name == "i18n" {
						arg = 1
					}
				}
			}
			if arg < 0 || len(call.Args) <= arg {
				return true
			}
			if lit, ok := call.Args[arg].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				s, err := strconv.Unquote(lit.Value)
				Expect(err).NotTo(HaveOccurred())
				if hasWords(s) {
					out = append(out, s)
				}
			}
			return true
		})
	}
	for _, c := range commands {
		out = append(out, c.summary)
	}
	for _, l := range course.Lessons {
		out = append(out, l.Title)
	}
	for _, s := range []progress.Status{progress.NotRun, progress.Passed, progress.Failing} {
		out = append(out, string(s))
	}
	out = append(out, comingLater)
	slices.Sort(out)
	return slices.Compact(out)
}

// verb is a fmt verb, with an explicit argument index or not.
var verb = regexp.MustCompile(`%(?:\[\d+\])?[-+# 0]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[a-zA-Z%]`)

// hasWords reports whether format has a letter outside its verbs.
func hasWords(format string) bool {
	return strings.IndexFunc(verb.ReplaceAllString(format, ""), unicode.IsLetter) >= 0
}

// verbs lists format's verbs without their argument indexes, sorted: a
// translation may put the arguments in another order, not use others.
func verbs(format string) []string {
	var out []string
	for _, v := range verb.FindAllString(format, -1) {
		out = append(out, regexp.MustCompile(`\[\d+\]`).ReplaceAllString(v, ""))
	}
	slices.Sort(out)
	return out
}

var _ = Describe("racekit in Korean", func() {
	It("has a Korean entry for every message a learner sees, and none the command no longer prints", func() {
		msgs := learnerMessages()
		Expect(len(msgs)).To(BeNumerically(">", 50), "the learner files' messages were found")
		var missing []string
		for _, m := range msgs {
			if !i18n.Has(i18n.Korean, m) {
				missing = append(missing, strconv.Quote(m))
			}
		}
		Expect(missing).To(BeEmpty(), "every message of racekit's learner commands needs a Korean entry in pkg/internal/i18n/locales/ko/messages.gotext.json; these have none:\n%s", strings.Join(missing, "\n"))
		var stale []string
		for _, k := range i18n.Keys(i18n.Korean) {
			if _, ok := slices.BinarySearch(msgs, k); !ok {
				stale = append(stale, strconv.Quote(k))
			}
		}
		Expect(stale).To(BeEmpty(), "these Korean entries translate messages racekit no longer prints; remove or update them:\n%s", strings.Join(stale, "\n"))
	})

	It("keeps every message's verbs in its translation, so the same arguments format right", func() {
		f, err := i18n.Load("ko")
		Expect(err).NotTo(HaveOccurred())
		for _, m := range f.Messages {
			Expect(verbs(m.Translation)).To(Equal(verbs(m.ID)), "the Korean of %q is %q: it must use the same verbs (%%s, %%d, %%q ...), in any order with %%[n]", m.ID, m.Translation)
			Expect(strings.HasSuffix(m.Translation, "\n")).To(Equal(strings.HasSuffix(m.ID, "\n")), "the Korean of %q ends a line where the English does", m.ID)
		}
	})
})
