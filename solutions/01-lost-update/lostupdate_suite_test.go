package lostupdate

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestLostUpdate(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "01 lost-update")
}
