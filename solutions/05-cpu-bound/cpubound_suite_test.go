package cpubound

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestCPUBound(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "05 cpu-bound")
}
