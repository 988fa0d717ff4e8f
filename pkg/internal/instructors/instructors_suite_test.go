package main

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestInstructors(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "instructors: the instructor's guide's generated sections")
}
