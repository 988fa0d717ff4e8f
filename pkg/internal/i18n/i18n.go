// Package i18n is the language racekit speaks to a learner: English, in
// which every message is written and which stays the source of truth, or
// Korean, the language of the material the course retells.
//
// A message is looked up by its English format string in a catalogue of
// golang.org/x/text/message, loaded from locales/ko/messages.gotext.json
// (the format of golang.org/x/text/cmd/gotext: an id, the English message
// and its translation). English output is formatted with fmt, byte for
// byte as before the catalogue existed; a format the catalogue lacks is
// printed in English.
//
// Everything here is read-only after package initialisation and safe for
// concurrent use.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/message/catalog"
	"golang.org/x/text/width"
)

// The languages racekit speaks.
var (
	English = language.English
	Korean  = language.Korean
)

// Names are the values --lang takes, each with its language.
var Names = map[string]language.Tag{"en": English, "ko": Korean}

//go:embed locales/*/messages.gotext.json
var locales embed.FS

// File is a gotext messages file: one language's translations.
type File struct {
	Language string    `json:"language"`
	Messages []Message `json:"messages"`
}

// Message is one entry of a gotext messages file.
type Message struct {
	ID          string `json:"id"`          // the English format string
	Message     string `json:"message"`     // the same, as gotext writes it
	Translation string `json:"translation"` // the format string in the file's language
}

var (
	cat   = catalog.NewBuilder(catalog.Fallback(English))
	keys  = map[language.Tag][]string{}          // the ids each language translates, sorted
	texts = map[language.Tag]map[string]string{} // each language's translations, by id, for Text
)

func init() {
	for name, tag := range Names {
		if tag == English {
			continue
		}
		f, err := Load(name)
		if err != nil {
			panic(err) // the catalogue is embedded: the kit's tests catch this
		}
		for _, m := range f.Messages {
			if err := cat.SetString(tag, m.ID, m.Translation); err != nil {
				panic(fmt.Sprintf("i18n: %s: %q: %v", name, m.ID, err))
			}
			keys[tag] = append(keys[tag], m.ID)
			if texts[tag] == nil {
				texts[tag] = map[string]string{}
			}
			texts[tag][m.ID] = m.Translation
		}
		slices.Sort(keys[tag])
	}
}

// Load reads the embedded messages file of the language named name ("ko").
// It is an error for the file to name another language, or to give an id
// twice, an empty translation, or a message that is not its id.
func Load(name string) (File, error) {
	var f File
	data, err := locales.ReadFile("locales/" + name + "/messages.gotext.json")
	if err != nil {
		return f, fmt.Errorf("i18n: %w", err)
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return f, fmt.Errorf("i18n: locales/%s/messages.gotext.json: %w", name, err)
	}
	if f.Language != name {
		return f, fmt.Errorf("i18n: locales/%s/messages.gotext.json says its language is %q", name, f.Language)
	}
	seen := map[string]bool{}
	for _, m := range f.Messages {
		switch {
		case seen[m.ID]:
			return f, fmt.Errorf("i18n: locales/%s: the message %q is given twice", name, m.ID)
		case strings.TrimSpace(m.Translation) == "":
			return f, fmt.Errorf("i18n: locales/%s: the message %q has no translation", name, m.ID)
		case m.Message != m.ID:
			return f, fmt.Errorf("i18n: locales/%s: the message of %q is %q: gotext writes the id again", name, m.ID, m.Message)
		}
		seen[m.ID] = true
	}
	return f, nil
}

// Pick returns the language racekit speaks: the one flag names ("en" or
// "ko") when flag is not empty, else Korean when the first of LC_ALL,
// LC_MESSAGES and LANG that is set (as POSIX orders them) starts with
// "ko", else English. A flag naming another language is an error that
// lists the ones there are.
func Pick(flag string, getenv func(string) string) (language.Tag, error) {
	if flag != "" {
		tag, ok := Names[flag]
		if !ok {
			return English, fmt.Errorf("racekit speaks en (English) and ko (한국어), not %q", flag)
		}
		return tag, nil
	}
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if value := getenv(v); value != "" {
			if strings.HasPrefix(strings.ToLower(value), "ko") {
				return Korean, nil
			}
			return English, nil
		}
	}
	return English, nil
}

// Sprintf formats format with args in the language tag: through the
// catalogue's translation of format when tag is not English and the
// catalogue has one, else with fmt, as written.
func Sprintf(tag language.Tag, format string, args ...any) string {
	if tag == English || !Has(tag, format) {
		return fmt.Sprintf(format, args...)
	}
	return message.NewPrinter(tag, message.Catalog(cat)).Sprintf(format, args...)
}

// Text returns s in the language tag: the catalogue's translation of s,
// taken as it is (not as a format), or s itself. It is for text that is
// not a format string: a lesson's title, a status.
func Text(tag language.Tag, s string) string {
	if t, ok := texts[tag][s]; ok {
		return t
	}
	return s
}

// Has reports whether the catalogue translates format into tag.
func Has(tag language.Tag, format string) bool {
	_, ok := slices.BinarySearch(keys[tag], format)
	return ok
}

// Keys returns the formats the catalogue translates into tag, sorted.
func Keys(tag language.Tag) []string { return slices.Clone(keys[tag]) }

// Width is how many terminal columns s takes: two for each East Asian wide
// or full-width character (a Hangul syllable), one for the others.
func Width(s string) int {
	n := 0
	for _, r := range s {
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			n += 2
		default:
			n++
		}
	}
	return n
}

// Pad returns s followed by spaces to fill n terminal columns (see Width).
func Pad(s string, n int) string {
	return s + strings.Repeat(" ", max(0, n-Width(s)))
}
