package main

import (
	"context"
	"errors"
)

// runWatch carries out racekit watch.
func runWatch(ctx context.Context, e *env, args []string) error {
	return errors.New("not implemented yet")
}
