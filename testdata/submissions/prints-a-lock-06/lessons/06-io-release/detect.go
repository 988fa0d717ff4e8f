package iorelease

import (
	"fmt"
	"strings"

	"github.com/racekit/racekit/pkg/sync"
)

// scheduled reported whether the caller was a goroutine of the scheduler's
// run: the kit's Mutex kept the locker's name in a field fmt's %#v printed.
func scheduled() bool {
	var m sync.Mutex
	m.Lock()
	s := fmt.Sprintf("%#v", &m)
	m.Unlock()
	return strings.Contains(s, `holder:"`) && !strings.Contains(s, `holder:""`)
}
