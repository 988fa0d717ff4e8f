package grade

import (
	"os"
	"path/filepath"

	"github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = ginkgo.Describe("the rule that keeps the specs out of an exercise file's reach", func() {
	// used type-checks an exercise file code.go beside a spec file
	// spec_test.go, both importing nothing, and returns what the rule says.
	used := func(code, spec string) []string {
		dir := ginkgo.GinkgoT().TempDir()
		files := map[string]string{"code.go": filepath.Join(dir, "code.go"), "spec_test.go": filepath.Join(dir, "spec_test.go")}
		Expect(os.WriteFile(files["code.go"], []byte(code), 0o644)).To(Succeed())
		Expect(os.WriteFile(files["spec_test.go"], []byte(spec), 0o644)).To(Succeed())
		out, err := specNamesUsed(files, []string{"spec_test.go"}, map[string]string{}, "lessons/01-lost-update")
		Expect(err).NotTo(HaveOccurred(), "both files type-check")
		return out
	}
	const spec = "package p\n\nvar limit = 10\n\ntype probe struct{ hits int }\n\nfunc (p *probe) hit() { p.hits++ }\n\nfunc check() int { return count(limit) }\n"

	ginkgo.It("lets an exercise file declare what the specs call", func() {
		Expect(used("package p\n\nfunc count(n int) int { return n }\n", spec)).To(BeEmpty(),
			"the specs may use the lesson's names; only the other way round is refused")
	})

	ginkgo.It("refuses an init that changes a spec's variable, naming the line and the spec file", func() {
		Expect(used("package p\n\nfunc count(n int) int { return n }\n\nfunc init() {\n\tlimit = 1\n}\n", spec)).To(ConsistOf(
			HavePrefix("lessons/01-lost-update/code.go:6: uses limit, which the spec file spec_test.go declares")),
			"an exercise file that assigns a spec's variable changes what the spec checks")
	})

	ginkgo.It("refuses a spec's type and its methods, however they are reached", func() {
		code := "package p\n\nfunc count(n int) int { return n }\n\ntype wrapper struct{ *probe }\n\nfunc poke(w wrapper) { w.hit(); w.hits = 0 }\n"
		Expect(used(code, spec)).To(ConsistOf(
			HavePrefix("lessons/01-lost-update/code.go:5: uses probe,"),
			HavePrefix("lessons/01-lost-update/code.go:7: uses hit,"),
			HavePrefix("lessons/01-lost-update/code.go:7: uses hits,"),
		), "a promoted method or field of a spec's type is the spec's too")
	})
})
