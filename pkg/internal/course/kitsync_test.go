package course_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/racekit/racekit/pkg/internal/course"
)

func TestStdSyncImports(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"object.go": "package p\n\nimport (\n\t\"fmt\"\n\t\"sync\"\n)\n\nvar _ sync.Mutex\nvar _ = fmt.Sprint\n",
		"count.go":  "package p\n\nimport stdatomic \"sync/atomic\"\n\nvar _ stdatomic.Int64\n",
		"kit.go":    "package p\n\nimport \"github.com/racekit/racekit/pkg/sync\"\n\nvar _ sync.Mutex\n",
		// A test file may use whatever it likes: it is the kit's.
		"p_test.go": "package p\n\nimport \"sync\"\n\nvar _ sync.Mutex\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := course.StdSyncImports(os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`count.go:3 imports "sync/atomic": import "github.com/racekit/racekit/pkg/sync/atomic" instead`,
		`object.go:5 imports "sync": import "github.com/racekit/racekit/pkg/sync" instead`,
	}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("StdSyncImports = %q\nwant %q", got, want)
	}

	if err := os.WriteFile(filepath.Join(dir, "broken.go"), []byte("package p\nimport (\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := course.StdSyncImports(os.DirFS(dir)); err == nil {
		t.Error("a file that does not parse must be an error, not a pass")
	}
	if _, err := course.StdSyncImports(os.DirFS(filepath.Join(dir, "missing"))); err == nil {
		t.Error("a missing folder must be an error")
	}
}
