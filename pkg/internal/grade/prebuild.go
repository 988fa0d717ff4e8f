package grade

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/racekit/racekit/pkg/internal/course"
	"github.com/racekit/racekit/pkg/internal/testrun"
)

// Prebuild compiles lesson l's solution into a test binary in work, with
// the flags a check's build uses (-race, and go test's vet checks), so
// that every package a check of l imports is in the build cache. The
// binary itself is thrown away: a check links its own.
func Prebuild(ctx context.Context, root string, l course.Lesson, work string) error {
	err := testrun.Compile(ctx, testrun.Build{
		Dir: root, Package: "./solutions/" + l.Dir(), Race: true,
		Output: filepath.Join(work, l.Package+".test"),
	})
	if err != nil {
		return fmt.Errorf("the kit's solutions/%s does not build under -race: %w", l.Dir(), err)
	}
	return nil
}
