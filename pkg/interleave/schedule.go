package interleave

import (
	"fmt"
	"strconv"
	"strings"
)

// Schedule is the sequence of goroutine names that took each step of a run,
// in order. Its text form lists the names separated by spaces, writing a run
// of n steps by the same goroutine as NAME*n: "A*3 B*3 A B A B".
type Schedule []string

// String returns the schedule's text form, which ParseSchedule reads back.
func (s Schedule) String() string {
	var parts []string
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j] == s[i] {
			j++
		}
		if n := j - i; n > 1 {
			parts = append(parts, s[i]+"*"+strconv.Itoa(n))
		} else {
			parts = append(parts, s[i])
		}
		i = j
	}
	return strings.Join(parts, " ")
}

// ParseSchedule reads a schedule's text form. It rejects empty names and
// counts that are not positive whole numbers, naming the bad token.
func ParseSchedule(text string) (Schedule, error) {
	var s Schedule
	for i, tok := range strings.Fields(text) {
		name, count, hasCount := strings.Cut(tok, "*")
		n := 1
		if hasCount {
			var err error
			n, err = strconv.Atoi(count)
			if err != nil || n < 1 || n > 1_000_000 {
				return nil, fmt.Errorf("interleave: schedule token %d %q: the count after '*' must be a whole number from 1 to 1000000", i+1, tok)
			}
		}
		if name == "" {
			return nil, fmt.Errorf("interleave: schedule token %d %q has no goroutine name before '*'", i+1, tok)
		}
		for ; n > 0; n-- {
			s = append(s, name)
		}
	}
	return s, nil
}
