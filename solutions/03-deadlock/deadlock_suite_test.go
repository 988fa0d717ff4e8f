package deadlock

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestDeadlock(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "03 deadlock")
}
