package main_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestRacekit(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "racekit command")
}
