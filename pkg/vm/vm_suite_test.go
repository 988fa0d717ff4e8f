package vm_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// suiteT is the suite's *testing.T, which testing/synctest needs inside an
// It.
var suiteT *testing.T

func TestVM(t *testing.T) {
	suiteT = t
	RegisterFailHandler(Fail)
	RunSpecs(t, "vm")
}
