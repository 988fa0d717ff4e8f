package main

import (
	"context"
	"errors"
)

// runHint carries out racekit hint.
func runHint(ctx context.Context, e *env, args []string) error {
	return errors.New("not implemented yet")
}
