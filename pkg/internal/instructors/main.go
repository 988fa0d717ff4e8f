package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/racekit/racekit/pkg/internal/course"
)

//go:generate go run .

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run rewrites the generated sections of the guide at the kit's root (the
// checkout the working directory is in, or -root) and returns the exit
// status: 0 when it is up to date, 1 when it could not be rewritten, 2 for
// bad flags. With -check it changes nothing and returns 1 when a section
// is stale.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("instructors", flag.ContinueOnError)
	fs.SetOutput(stderr)
	root := fs.String("root", "", "the kit's root folder (default: the checkout the working directory is in)")
	check := fs.Bool("check", false, "change nothing; exit 1 when a generated section is stale")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "instructors: unexpected arguments %q\n", fs.Args())
		return 2
	}
	if *root == "" {
		r, err := course.Root()
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		*root = r
	}
	stale, err := Stale(*root)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if len(stale) == 0 {
		fmt.Fprintf(stdout, "%s and %s are up to date\n", FileName, KoreanFileName)
		return 0
	}
	if *check {
		fmt.Fprintf(stderr, "instructors: the generated sections %v are stale; run %s\n", stale, Command)
		return 1
	}
	if err := Update(*root); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintf(stdout, "rewrote the generated sections %v in %s\n", stale, *root)
	return 0
}

// Stale lists the generated sections of the guides at root (the English
// one and its Korean translation) whose checked-in body differs from what
// Generate makes now, in the guide's order: a section of the English guide
// by its name ("figures"), one of the Korean guide as
// "INSTRUCTORS.ko.md figures".
func Stale(root string) ([]string, error) {
	want, err := Generate(root)
	if err != nil {
		return nil, err
	}
	var stale []string
	for _, file := range guides {
		doc, err := os.ReadFile(filepath.Join(root, file))
		if err != nil {
			return nil, fmt.Errorf("instructors: %w", err)
		}
		for _, name := range Sections {
			got, err := Section(string(doc), name)
			if err != nil {
				return nil, fmt.Errorf("%w (in %s)", err, file)
			}
			if got != want[name] {
				if file != FileName {
					name = file + " " + name
				}
				stale = append(stale, name)
			}
		}
	}
	return stale, nil
}

// Update rewrites every generated section of the guides at root. It
// writes a temporary file beside each guide and renames it over the guide,
// so a failure leaves the old guide whole.
func Update(root string) error {
	bodies, err := Generate(root)
	if err != nil {
		return err
	}
	for _, file := range guides {
		if err := update(filepath.Join(root, file), bodies); err != nil {
			return err
		}
	}
	return nil
}

// update rewrites the guide at path with the generated section bodies.
func update(path string, bodies map[string]string) error {
	root := filepath.Dir(path)
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("instructors: %w", err)
	}
	doc := string(data)
	for _, name := range Sections {
		if doc, err = Rewrite(doc, name, bodies[name]); err != nil {
			return err
		}
	}
	tmp, err := os.CreateTemp(root, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("instructors: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(doc); err != nil {
		tmp.Close()
		return fmt.Errorf("instructors: writing %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("instructors: writing %s: %w", tmp.Name(), err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("instructors: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("instructors: %w", err)
	}
	return nil
}
