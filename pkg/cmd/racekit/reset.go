package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/racekit/racekit/pkg/internal/course"
	"github.com/racekit/racekit/pkg/internal/progress"
)

// backupsDir is the folder, below progress.Dir, where reset keeps the
// learner's files.
const backupsDir = "backups"

// runReset carries out racekit reset: it copies every file of the lesson's
// folder to a new backup folder, then restores the starter exercise files
// (from testdata/starters) and the specs (from solutions/) and removes the
// other .go files. Files that are not .go files (README.md, HINTS.md, the
// learner's notes) are left alone. A lesson already as it started is not
// touched and gets no backup.
func runReset(ctx context.Context, e *env, args []string) error {
	fs := e.flags("reset")
	l, err := e.parseLesson(fs, args, false)
	if err != nil {
		return err
	}
	plan, err := planReset(e.root, l)
	if err != nil {
		return err
	}
	lessonDir := l.LessonDir(e.root)
	if len(plan.restore) == 0 && len(plan.remove) == 0 {
		e.out.printf("lessons/%s already holds the starter: its .go files are the kit's, byte for byte. Nothing changed, no backup made.\n", l.Dir())
		return nil
	}

	backup, copied, err := backupLesson(e.root, l, e.now().Format("20060102-150405"))
	if err != nil {
		return fmt.Errorf("could not back up lessons/%s, so nothing was changed: %w", l.Dir(), err)
	}
	p := e.out
	if len(copied) == 0 {
		os.Remove(backup) // empty: this call made it
		p.printf("lessons/%s held no files, so there was nothing to back up.\n\n", l.Dir())
	} else {
		files := p.tr("all %d of its files", len(copied))
		if len(copied) == 1 {
			files = p.tr("its one file")
		}
		p.printf("Backed up lessons/%s, %s (%s), to\n\n", l.Dir(), files, strings.Join(copied, ", "))
		p.printf("    %s\n\n", p.paint(bold, e.display(backup)+string(filepath.Separator)))
	}

	for _, f := range plan.restore {
		if err := os.WriteFile(filepath.Join(lessonDir, f.name), f.data, 0o644); err != nil {
			return fmt.Errorf("restoring %s: %w (your files are in %s)", f.name, err, e.display(backup))
		}
	}
	for _, name := range plan.remove {
		if err := os.Remove(filepath.Join(lessonDir, name)); err != nil {
			return fmt.Errorf("removing %s: %w (your files are in %s)", name, err, e.display(backup))
		}
	}

	if len(plan.restore) > 0 {
		p.printf("Restored:\n")
		w := 0
		for _, f := range plan.restore {
			w = max(w, len(f.name))
		}
		for _, f := range plan.restore {
			how := p.tr("yours differed")
			if f.missing {
				how = p.tr("yours was missing")
			}
			p.printf("  %-*s  from %s (%s)\n", w, f.name, f.from, how)
		}
	}
	if len(plan.remove) > 0 {
		p.printf("Removed (they are in the backup): %s\n", strings.Join(plan.remove, ", "))
	}
	p.printf("Files that are not .go files were left as they were.\n")
	// The record of a pass belongs to the code that passed, which is gone.
	st, err := progress.Load(e.root)
	if err != nil {
		return err
	}
	if pr := st.Of(l); pr.Status != progress.NotRun {
		pr.Status, pr.CheckedAt = progress.NotRun, time.Time{}
		st.Set(l, pr)
		if err := st.Save(e.root); err != nil {
			return err
		}
	}
	p.printf("\nlessons/%s is the starter again (not yet run, for racekit status); to get anything of yours back, copy it from the backup.\n", l.Dir())
	return nil
}

// resetFile is a file reset writes into the lesson's folder.
type resetFile struct {
	name    string // its name in the lesson's folder
	from    string // where it comes from, relative to the kit's root
	data    []byte
	missing bool // the lesson's folder has no such file
}

// resetPlan is what reset changes in a lesson's folder.
type resetPlan struct {
	restore []resetFile // starter and spec files missing or different, by name
	remove  []string    // .go files that are neither, by name
}

// planReset compares lesson l's folder with its starter and specs.
func planReset(root string, l course.Lesson) (resetPlan, error) {
	var plan resetPlan
	starterDir, solutionDir, lessonDir := l.StarterDir(root), l.SolutionDir(root), l.LessonDir(root)
	starters, err := course.ExerciseFiles(starterDir)
	if err == nil && len(starters) == 0 {
		err = errors.New("no .go files")
	}
	if err != nil {
		return plan, fmt.Errorf("no pristine starter for lesson %d in %s (%v), so there is nothing to reset to; is the checkout complete?", l.Number, filepath.Join("testdata", "starters", l.Dir()), err)
	}
	specs, err := course.SpecFiles(solutionDir)
	if err != nil {
		return plan, fmt.Errorf("reading the lesson's specs: %w", err)
	}
	var want []resetFile
	for _, s := range []struct {
		dir   string
		names []string
	}{{starterDir, starters}, {solutionDir, specs}} {
		for _, name := range s.names {
			data, err := os.ReadFile(filepath.Join(s.dir, name))
			if err != nil {
				return plan, err
			}
			from, _ := filepath.Rel(root, filepath.Join(s.dir, name))
			want = append(want, resetFile{name: name, from: from, data: data})
		}
	}
	slices.SortFunc(want, func(a, b resetFile) int { return strings.Compare(a.name, b.name) })

	for _, f := range want {
		have, err := os.ReadFile(filepath.Join(lessonDir, f.name))
		if err != nil || !bytes.Equal(have, f.data) {
			f.missing = err != nil
			plan.restore = append(plan.restore, f)
		}
	}
	entries, err := os.ReadDir(lessonDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return plan, err
	}
	for _, ent := range entries {
		name := ent.Name()
		if !ent.IsDir() && strings.HasSuffix(name, ".go") &&
			!slices.ContainsFunc(want, func(f resetFile) bool { return f.name == name }) {
			plan.remove = append(plan.remove, name)
		}
	}
	if errors.Is(err, fs.ErrNotExist) {
		err = os.MkdirAll(lessonDir, 0o755)
	}
	return plan, err
}

// backupLesson copies every file below lesson l's folder into a new folder
// .racekit/backups/<lesson folder>-<stamp>, adding -2, -3 ... to the name
// when that folder exists already, and returns the folder and the files
// copied (relative to the lesson's folder, sorted).
func backupLesson(root string, l course.Lesson, stamp string) (string, []string, error) {
	parent := filepath.Join(root, progress.Dir, backupsDir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", nil, err
	}
	base := filepath.Join(parent, l.Dir()+"-"+stamp)
	dst := base
	for i := 2; ; i++ {
		err := os.Mkdir(dst, 0o755)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", nil, err
		}
		dst = fmt.Sprintf("%s-%d", base, i)
	}
	src := l.LessonDir(root)
	var copied []string
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case !d.Type().IsRegular():
			return fmt.Errorf("%s is not a regular file; move it out of the lesson and run reset again", rel)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if err := os.WriteFile(target, data, info.Mode().Perm()|0o200); err != nil {
			return err
		}
		copied = append(copied, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		os.RemoveAll(dst) // the folder this call made: a partial backup would mislead
		return "", nil, err
	}
	slices.Sort(copied)
	return dst, copied, nil
}
