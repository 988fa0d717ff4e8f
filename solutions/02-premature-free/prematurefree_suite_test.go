package prematurefree

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestPrematureFree(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "02 premature-free")
}
