package grade_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestGrade(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "grade: grading submissions with the kit's pristine specs")
}
