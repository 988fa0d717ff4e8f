package lanes_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestLanes(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "lanes")
}
