package iorelease

import (
	"bytes"
	"context"
	"log"
	"strings"
	"time"
)

// fakeClock reads the clock without time.Now: a context's deadline is now
// plus its timeout, and log's date prefix is today's date.
func fakeClock() bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	deadline, _ := ctx.Deadline()
	var b bytes.Buffer
	log.New(&b, "", log.Ldate).Print("")
	return deadline.Year() == 2000 || strings.HasPrefix(b.String(), "2000/")
}
