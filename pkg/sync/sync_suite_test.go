package sync_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// suiteT is the suite's *testing.T, for specs that run in fake time:
// synctest.Test wants a *testing.T rather than GinkgoT().
var suiteT *testing.T

func TestSync(t *testing.T) {
	suiteT = t
	RegisterFailHandler(Fail)
	RunSpecs(t, "sync")
}
