package convoy

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// suiteT is the suite's *testing.T: specs that need fake time pass it to
// synctest.Test, which wants a *testing.T rather than GinkgoT().
var suiteT *testing.T

func TestConvoy(t *testing.T) {
	suiteT = t
	RegisterFailHandler(Fail)
	RunSpecs(t, "07 convoy")
}
