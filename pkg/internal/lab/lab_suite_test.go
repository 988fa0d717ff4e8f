package lab

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// suiteT is the suite's *testing.T, which testing/synctest needs to start a
// bubble.
var suiteT *testing.T

func TestLab(t *testing.T) {
	suiteT = t
	RegisterFailHandler(Fail)
	RunSpecs(t, "lab")
}
