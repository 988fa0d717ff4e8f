// Package testrun builds a Go test package into a binary and runs it the
// way racekit's grader and its check command need: under a time limit,
// with Ginkgo's JSON report, and with its output read back into facts: the
// file:line of a build error, a data race report, a crash, or where the
// goroutines of a hung test were waiting.
//
// The functions here hold no state and are safe for concurrent use; each
// Run starts a process of its own.
package testrun
