package verify_test

import (
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/internal/verify"
)

var _ = Describe("the Korean translations' checks", func() {
	english := "# Title\n\nRun it:\n\n```\ngo run ./pkg/cmd/racekit\n```\n\n1. a list\n\n   ```go\n   x := 1\n   ```\n\n~~~~text\n```\nnot a fence inside\n~~~~\n"

	It("finds fenced blocks, in list items too, fences and all", func() {
		Expect(verify.FencedBlocks(english)).To(Equal([]string{
			"```\ngo run ./pkg/cmd/racekit\n```",
			"   ```go\n   x := 1\n   ```",
			"~~~~text\n```\nnot a fence inside\n~~~~",
		}))
	})

	DescribeTable("SameCode",
		func(korean string, want types) {
			dir := GinkgoT().TempDir()
			en, ko := filepath.Join(dir, "README.md"), filepath.Join(dir, "README.ko.md")
			Expect(os.WriteFile(en, []byte(english), 0o644)).To(Succeed())
			if korean != "" {
				Expect(os.WriteFile(ko, []byte(korean), 0o644)).To(Succeed())
			}
			err := verify.SameCode(en, ko, "README.ko.md")
			if want == "" {
				Expect(err).NotTo(HaveOccurred())
			} else {
				Expect(err).To(MatchError(ContainSubstring(string(want))))
			}
		},
		Entry("accepts a translation of the prose with the code as it is",
			"# 제목\n\n실행하세요:\n\n```\ngo run ./pkg/cmd/racekit\n```\n\n1. 목록\n\n   ```go\n   x := 1\n   ```\n\n~~~~text\n```\nnot a fence inside\n~~~~\n", types("")),
		Entry("turns away a translated command", "```\ngo run ./pkg/cmd/racekit 실행\n```\n", types("code block 1 is not the English one's")),
		Entry("turns away a dropped block", "```\ngo run ./pkg/cmd/racekit\n```\n", types("has 1 code blocks and the English 3")),
		Entry("says a missing translation is missing", "", types("README.ko.md is missing")),
	)
})

// types is an expected error's text, or "" for none.
type types string
