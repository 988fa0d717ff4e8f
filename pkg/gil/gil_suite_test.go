package gil_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// suiteT is the suite's *testing.T, which testing/synctest needs to start a
// bubble inside a spec.
var suiteT *testing.T

func TestGil(t *testing.T) {
	suiteT = t
	RegisterFailHandler(Fail)
	RunSpecs(t, "gil")
}
