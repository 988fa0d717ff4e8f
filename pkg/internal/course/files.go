package course

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"syscall"
)

// MaxFile is the most bytes CompareFiles and Fingerprint read of one file:
// a lesson's file is a few kilobytes.
const MaxFile = 1 << 20

// ErrTooBig is ReadPlain's error for a file larger than its limit.
var ErrTooBig = errors.New("course: the file is larger than the limit")

// ReadPlain reads the file name when it is a plain file, not a symbolic
// link, and at most limit bytes long; a longer one returns its first limit
// bytes and ErrTooBig. It opens the file without following a link and
// without blocking, so a named pipe or a device cannot hang or flood the
// reader: what a submission or a learner's folder holds is not trusted.
func ReadPlain(name string, limit int64) ([]byte, error) {
	f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		return nil, fmt.Errorf("course: %s is not a plain file", name)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err == nil && int64(len(data)) > limit {
		return data[:limit], ErrTooBig
	}
	return data, err
}

// A Difference says how two folders' files differ. When the folders hold
// different files, File is empty and Want and Got list them; otherwise File
// names the first file whose bytes differ.
type Difference struct {
	Want, Got []string // the file names each folder holds, sorted
	File      string   // the first file that differs, or ""
}

// CompareFiles compares the files list (SpecFiles or ExerciseFiles) finds
// in folder want with those it finds in folder got, byte for byte, each
// read with ReadPlain up to MaxFile. It returns nil when the folders hold
// the same files with the same bytes, and the first difference otherwise;
// an error when a folder or a file cannot be read (a file over MaxFile is
// such an error). It is "is this the solution" for the grader and "is this
// a byte-identical copy" for the kit's own checks.
func CompareFiles(list func(dir string) ([]string, error), want, got string) (*Difference, error) {
	wantFiles, err := list(want)
	if err != nil {
		return nil, err
	}
	gotFiles, err := list(got)
	if err != nil {
		return nil, err
	}
	if !slices.Equal(wantFiles, gotFiles) {
		return &Difference{Want: wantFiles, Got: gotFiles}, nil
	}
	for _, name := range wantFiles {
		a, err := ReadPlain(filepath.Join(want, name), MaxFile)
		if err != nil {
			return nil, fmt.Errorf("course: %s: %w", filepath.Join(want, name), err)
		}
		b, err := ReadPlain(filepath.Join(got, name), MaxFile)
		if err != nil {
			return nil, fmt.Errorf("course: %s: %w", filepath.Join(got, name), err)
		}
		if !bytes.Equal(a, b) {
			return &Difference{Want: wantFiles, Got: gotFiles, File: name}, nil
		}
	}
	return nil, nil
}

// Fingerprint returns a digest of the names and bytes of the files list
// finds in dir, each read with ReadPlain up to MaxFile: two folders have
// the same fingerprint exactly when CompareFiles finds no difference
// between them (barring a SHA-256 collision).
func Fingerprint(list func(dir string) ([]string, error), dir string) (string, error) {
	names, err := list(dir)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, name := range names {
		data, err := ReadPlain(filepath.Join(dir, name), MaxFile)
		if err != nil {
			return "", fmt.Errorf("course: %s: %w", filepath.Join(dir, name), err)
		}
		// Length-prefixed, so no two lists of files hash alike.
		fmt.Fprintf(h, "%d:%s\n%d:", len(name), name, len(data))
		h.Write(data)
	}
	return fmt.Sprintf("%x", h.Sum(nil)), nil
}
