package course_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/racekit/racekit/pkg/internal/course"
)

// writeFiles makes a folder holding files (name -> text).
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestCompareFilesAndFingerprint(t *testing.T) {
	base := map[string]string{"a.go": "package p\n", "b.go": "package p // b\n", "p_test.go": "package p // spec\n"}
	with := func(name, text string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		if text == "" {
			delete(m, name)
		} else {
			m[name] = text
		}
		return m
	}
	want := writeFiles(t, base)
	cases := []struct {
		name  string
		files map[string]string
		diff  *course.Difference // nil: the same exercise files
	}{
		{"a copy", base, nil},
		{"a copy whose spec differs", with("p_test.go", "package p // other\n"), nil},
		{"a copy with an editor's backup", with(".#a.go", "junk"), nil},
		{"one byte more in b.go", with("b.go", "package p // b\n\n"), &course.Difference{File: "b.go"}},
		{"no b.go", with("b.go", ""), &course.Difference{Want: []string{"a.go", "b.go"}, Got: []string{"a.go"}}},
		{"a c.go besides", with("c.go", "package p\n"), &course.Difference{Want: []string{"a.go", "b.go"}, Got: []string{"a.go", "b.go", "c.go"}}},
	}
	wantPrint, err := course.Fingerprint(course.ExerciseFiles, want)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		got := writeFiles(t, c.files)
		diff, err := course.CompareFiles(course.ExerciseFiles, want, got)
		if err != nil {
			t.Fatalf("%s: CompareFiles: %v", c.name, err)
		}
		switch {
		case (diff == nil) != (c.diff == nil):
			t.Errorf("%s: CompareFiles = %+v, want %+v", c.name, diff, c.diff)
		case diff != nil && (diff.File != c.diff.File || (c.diff.File == "" && (strings.Join(diff.Want, " ") != strings.Join(c.diff.Want, " ") || strings.Join(diff.Got, " ") != strings.Join(c.diff.Got, " ")))):
			t.Errorf("%s: CompareFiles = %+v, want %+v", c.name, diff, c.diff)
		}
		print, err := course.Fingerprint(course.ExerciseFiles, got)
		if err != nil {
			t.Fatalf("%s: Fingerprint: %v", c.name, err)
		}
		if (print == wantPrint) != (c.diff == nil) {
			t.Errorf("%s: fingerprints equal = %v, but CompareFiles found the difference %+v", c.name, print == wantPrint, c.diff)
		}
	}

	// A name's bytes cannot pass for the previous file's.
	x := writeFiles(t, map[string]string{"a.go": "package p\n1", "b.go": "x"})
	y := writeFiles(t, map[string]string{"a.go": "package p\n", "b.go": "1x"})
	px, _ := course.Fingerprint(course.ExerciseFiles, x)
	py, _ := course.Fingerprint(course.ExerciseFiles, y)
	if px == py {
		t.Error("two folders whose files split the same bytes differently have one fingerprint")
	}
}

func TestReadPlainRefusesLinksAndBigFiles(t *testing.T) {
	dir := writeFiles(t, map[string]string{"a.go": "0123456789"})
	if err := os.Symlink(filepath.Join(dir, "a.go"), filepath.Join(dir, "link.go")); err != nil {
		t.Fatal(err)
	}
	if _, err := course.ReadPlain(filepath.Join(dir, "link.go"), 100); err == nil {
		t.Error("ReadPlain followed a symbolic link")
	}
	if _, err := course.CompareFiles(course.ExerciseFiles, dir, dir); err == nil {
		t.Error("CompareFiles read a folder holding a symbolic link .go file without an error")
	}
	data, err := course.ReadPlain(filepath.Join(dir, "a.go"), 4)
	if !errors.Is(err, course.ErrTooBig) || string(data) != "0123" {
		t.Errorf("ReadPlain of 10 bytes with the limit 4 = %q, %v; want \"0123\", ErrTooBig", data, err)
	}
}
