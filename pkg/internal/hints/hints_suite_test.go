package hints_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestHints(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "hints: a lesson's HINTS.md")
}
