package main

import (
	"context"
	"errors"
)

// runStatus carries out racekit status.
func runStatus(ctx context.Context, e *env, args []string) error {
	return errors.New("not implemented yet")
}
