package verify

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/racekit/racekit/pkg/internal/hints"
)

// Korean names the Korean translation of an English document of the kit:
// README.md -> README.ko.md.
func Korean(name string) string {
	return strings.TrimSuffix(name, ".md") + ".ko.md"
}

// FencedBlocks returns the fenced code blocks of a markdown text, fences
// and all, in order: a block opens at a line whose first non-blank
// characters are three or more backticks or tildes (inside a list item,
// too) and closes at a line of the same character, at least as many.
func FencedBlocks(text string) []string {
	var (
		out   []string
		block []string
		fence string
	)
	for _, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case fence == "":
			for _, c := range []string{"`", "~"} {
				if n := len(trimmed) - len(strings.TrimLeft(trimmed, c)); n >= 3 {
					fence, block = trimmed[:n], []string{line}
					break
				}
			}
		default:
			block = append(block, line)
			if strings.HasPrefix(trimmed, fence) && strings.Trim(trimmed, fence[:1]) == "" {
				out = append(out, strings.Join(block, "\n"))
				fence = ""
			}
		}
	}
	return out
}

// SameCode checks that the Korean translation at ko (named koName in
// errors) holds the English document en's fenced code blocks, byte for
// byte and in order: commands, code and quoted output are never
// translated, and a block changed in English must change in Korean.
func SameCode(en, ko, koName string) error {
	enText, err := os.ReadFile(en)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	koText, err := os.ReadFile(ko)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("verify: %s is missing: every English document of the course has its Korean translation beside it", koName)
	}
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	a, b := FencedBlocks(string(enText)), FencedBlocks(string(koText))
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return fmt.Errorf("verify: %s's code block %d is not the English one's, byte for byte (code, commands and output are never translated):\n%s\n--- the English has ---\n%s", koName, i+1, b[i], a[i])
		}
	}
	if len(a) != len(b) {
		return fmt.Errorf("verify: %s has %d code blocks and the English %d: a block was added or dropped in one of them", koName, len(b), len(a))
	}
	return nil
}

// KoreanDocs checks the lesson's Korean translations: README.ko.md and
// HINTS.ko.md are there, hold the English files' code blocks byte for byte
// (SameCode), and HINTS.ko.md has as many hints as HINTS.md, as racekit
// hint reads them.
func (v *Lesson) KoreanDocs() error {
	dir := v.Lesson.LessonDir(v.Root)
	for _, name := range []string{"README.md", hints.FileName} {
		if err := SameCode(filepath.Join(dir, name), filepath.Join(dir, Korean(name)), "lessons/"+v.Lesson.Dir()+"/"+Korean(name)); err != nil {
			return err
		}
	}
	en, err := hints.Load(filepath.Join(dir, hints.FileName))
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	ko, err := hints.Load(filepath.Join(dir, hints.KoreanFileName))
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	if len(ko) != len(en) {
		return fmt.Errorf("verify: lessons/%s/%s has %d hints and %s %d: racekit hint counts the hints a learner has seen in either, so they must match",
			v.Lesson.Dir(), hints.KoreanFileName, len(ko), hints.FileName, len(en))
	}
	return nil
}
