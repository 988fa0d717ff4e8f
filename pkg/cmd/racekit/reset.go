package main

import (
	"context"
	"errors"
)

// runReset carries out racekit reset.
func runReset(ctx context.Context, e *env, args []string) error {
	return errors.New("not implemented yet")
}
