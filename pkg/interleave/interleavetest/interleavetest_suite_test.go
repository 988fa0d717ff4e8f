package interleavetest_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestInterleavetest(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "interleavetest")
}
