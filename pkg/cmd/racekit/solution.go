package main

import (
	"context"
	"errors"
)

// runSolution carries out racekit solution.
func runSolution(ctx context.Context, e *env, args []string) error {
	return errors.New("not implemented yet")
}
