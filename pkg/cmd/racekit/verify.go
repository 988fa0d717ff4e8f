package main

import (
	"context"
	"errors"
)

// runVerify carries out racekit verify.
func runVerify(ctx context.Context, e *env, args []string) error {
	return errors.New("not implemented yet")
}
