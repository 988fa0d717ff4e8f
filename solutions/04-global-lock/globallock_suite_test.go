package globallock

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestGlobalLock(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "04 global-lock")
}
