package gilnotlock

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestGILIsNotALock(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "08 gil-is-not-a-lock")
}
