package testrun

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"time"

	"github.com/onsi/ginkgo/v2/types"
)

// Options says how to run a test binary. The zero value runs it in the
// working directory with no time limit and no report.
type Options struct {
	Dir string // working directory; traces name files relative to nothing, so any folder will do
	// Timeout is how long the specs may take. Ginkgo's own suite timeout
	// interrupts the running spec at Timeout and reports where its
	// goroutines were; should Ginkgo itself be stuck, go test's timeout
	// dumps every goroutine a little later, and the process is killed
	// after that. Zero means no limit.
	Timeout time.Duration
	Report  string   // where Ginkgo writes its JSON report, read back into Result.Report; "" for none
	Env     []string // added to the environment
	Args    []string // more arguments for the binary
	// Pin runs the binary pinned to the machine's first CPU (with taskset
	// -c 0, from util-linux), as on a one-CPU machine: the Go runtime then
	// sets GOMAXPROCS to 1 unless Env sets it.
	Pin bool
}

// Grace is how long after Options.Timeout a test binary gets, first to
// finish the interrupted spec and write its report, then to dump its
// goroutines, before it is killed.
const Grace = 10 * time.Second

// Result is what a run of a test binary did: plain data, which Run fills in.
type Result struct {
	ExitCode int // the process's exit status; -1 when it was killed or could not start
	// Ended says how the process ended, as os.ProcessState puts it ("exit
	// status 2", "signal: killed").
	Ended  string
	Output string // standard output and standard error, interleaved as written
	// Report is Ginkgo's report of the suite, or nil when the binary wrote
	// none: it exited or crashed before its specs finished.
	Report *types.Report
	// ReportError says why Report is nil when a report was asked for.
	ReportError error
	Killed      bool          // the binary outlived Timeout and every grace period, and was killed
	Elapsed     time.Duration // wall-clock time of the run
}

// Run runs the test binary bin with Ginkgo's colour off and returns what it
// did. An error means the binary could not be started; everything the
// binary itself did, crashes included, is in the Result.
func Run(ctx context.Context, bin string, o Options) (Result, error) {
	args := []string{"-ginkgo.no-color"}
	if o.Report != "" {
		// A report left from an earlier run must not pass for this run's.
		if err := os.Remove(o.Report); err != nil && !errors.Is(err, os.ErrNotExist) {
			return Result{ExitCode: -1}, fmt.Errorf("testrun: %w", err)
		}
		args = append(args, "-ginkgo.json-report="+o.Report)
	}
	if o.Timeout > 0 {
		args = append(args,
			"-ginkgo.timeout="+o.Timeout.String(),
			"-ginkgo.grace-period="+(Grace/2).String(),
			"-test.timeout="+(o.Timeout+Grace).String())
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Timeout+2*Grace)
		defer cancel()
	}
	name, args := bin, append(args, o.Args...)
	if o.Pin {
		taskset, err := exec.LookPath("taskset")
		if err != nil {
			return Result{ExitCode: -1}, fmt.Errorf("testrun: running pinned to one CPU needs taskset (util-linux): %w", err)
		}
		name, args = taskset, append([]string{"-c", "0", bin}, args...)
	}
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = o.Dir
	// The race runtime sleeps a second at exit by default, to let other
	// goroutines' reports come out; a test binary reports before exiting.
	cmd.Env = append(append(os.Environ(), "GORACE=atexit_sleep_ms=0"), o.Env...)
	var out bytes.Buffer
	// One writer for both: exec then writes them from one goroutine, in order.
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = time.Second
	start := time.Now()
	err := cmd.Run()
	r := Result{Output: out.String(), Elapsed: time.Since(start), ExitCode: cmd.ProcessState.ExitCode()}
	if cmd.ProcessState != nil {
		r.Ended = cmd.ProcessState.String()
	}
	var exit *exec.ExitError
	switch {
	case err == nil, errors.As(err, &exit) && ctx.Err() == nil:
	case errors.Is(err, exec.ErrWaitDelay) && ctx.Err() == nil:
		// The binary ended, but something it started still held its
		// output open a second later; what it did is all here.
	case ctx.Err() != nil:
		r.Killed, r.ExitCode = true, -1
	default:
		return Result{ExitCode: -1}, fmt.Errorf("testrun: run %s: %w", bin, err)
	}
	if o.Report != "" {
		r.Report, r.ReportError = readReport(o.Report)
	}
	return r, nil
}

// readReport reads the one suite's report from a Ginkgo JSON report file.
func readReport(path string) (*types.Report, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, errors.New("testrun: the binary wrote no report: it exited or crashed before its specs finished")
	}
	if err != nil {
		return nil, fmt.Errorf("testrun: %w", err)
	}
	var reports []types.Report
	if err := json.Unmarshal(data, &reports); err != nil {
		return nil, fmt.Errorf("testrun: the report %s is not Ginkgo's JSON: %w", path, err)
	}
	if len(reports) != 1 {
		return nil, fmt.Errorf("testrun: the report %s holds %d suites, want 1", path, len(reports))
	}
	return &reports[0], nil
}
