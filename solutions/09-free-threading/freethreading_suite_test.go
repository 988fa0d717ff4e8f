package freethreading

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestFreeThreading(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "09 free-threading")
}
