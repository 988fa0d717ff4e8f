package interleave_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestInterleave(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "interleave")
}
