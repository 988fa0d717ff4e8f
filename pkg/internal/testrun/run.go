package testrun

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"

	"github.com/onsi/ginkgo/v2/types"
)

// Options says how to run a test binary. The zero value runs it in the
// working directory with no time or resource limit and no report, keeping
// DefaultOutputLimit bytes of its output.
type Options struct {
	Dir string // working directory; traces name files relative to nothing, so any folder will do
	// Timeout is how long the specs may take. Ginkgo's own suite timeout
	// interrupts the running spec at Timeout and reports where its
	// goroutines were; should Ginkgo itself be stuck, go test's timeout
	// dumps every goroutine a little later, and the process is killed
	// after that. Zero means no limit.
	Timeout time.Duration
	Report  string   // where Ginkgo writes its JSON report, read back into Result.Report; "" for none
	Env     []string // added to the binary's environment, which is otherwise MinimalEnv's
	// Limits bound the memory and threads of the binary and everything it
	// starts, together; the zero value sets none. A binary that goes over
	// is killed, and Result.Limit says which limit it crossed.
	Limits Limits
	// OutputLimit is how many bytes of the binary's output are kept (the
	// first and the last half); zero means DefaultOutputLimit.
	OutputLimit int
	// ReportLimit is the largest report, in bytes, that is read back; a
	// larger one leaves Result.Report nil and says so in ReportError. Zero
	// means DefaultReportLimit.
	ReportLimit int64
	Args        []string // more arguments for the binary
	// Pin runs the binary pinned to the machine's first CPU (with taskset
	// -c 0, from util-linux), as on a one-CPU machine: the Go runtime then
	// sets GOMAXPROCS to 1 unless Env sets it.
	Pin bool
}

// DefaultReportLimit is the largest Ginkgo report Run reads when
// Options.ReportLimit is zero. A lesson's report is 20 to 40 KB.
const DefaultReportLimit = 4 << 20

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
	Killed      bool // the binary outlived Timeout and every grace period, and was killed
	// Limit, when not nil, is the limit of Options.Limits the binary went
	// over, for which it was killed.
	Limit   *LimitError
	Elapsed time.Duration // wall-clock time of the run
}

// MinimalEnv is the environment a test binary gets before Options.Env: a
// PATH of the system's folders, the grader's TMPDIR (for the specs' temporary
// files) and GORACE. Nothing else of the caller's environment (HOME, PWD,
// tokens) reaches code that the caller did not write; a test binary needs
// none of it.
func MinimalEnv() []string {
	// The race runtime sleeps a second at exit by default, to let other
	// goroutines' reports come out; a test binary reports before exiting.
	return []string{"PATH=/usr/local/bin:/usr/bin:/bin", "TMPDIR=" + os.TempDir(), "GORACE=atexit_sleep_ms=0"}
}

// Run runs the test binary bin with Ginkgo's colour off and returns what it
// did. An error means the binary could not be started; everything the
// binary itself did, crashes included, is in the Result. The binary runs
// in a process group of its own, which is killed when it ends, when ctx is
// done, or when it outlives Timeout and every grace period.
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
	}
	name, args := bin, append(args, o.Args...)
	if o.Pin {
		taskset, err := exec.LookPath("taskset")
		if err != nil {
			return Result{ExitCode: -1}, fmt.Errorf("testrun: running pinned to one CPU needs taskset (util-linux): %w", err)
		}
		name, args = taskset, append([]string{"-c", "0", bin}, args...)
	}
	cmd := exec.Command(name, args...)
	cmd.Dir = o.Dir
	cmd.Env = append(MinimalEnv(), o.Env...)
	out := newCapture(o.OutputLimit)
	// One writer for both: exec then writes them from one goroutine, in order.
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = time.Second
	var deadline time.Duration
	if o.Timeout > 0 {
		deadline = o.Timeout + 2*Grace
	}
	start := time.Now()
	err, over := supervise(ctx, cmd, o.Limits, deadline)
	r := Result{Output: out.String(), Elapsed: time.Since(start), ExitCode: cmd.ProcessState.ExitCode()}
	if cmd.ProcessState != nil {
		r.Ended = cmd.ProcessState.String()
	}
	var exit *exec.ExitError
	switch {
	case over != nil && over.Limit == "time":
		r.Killed, r.ExitCode = true, -1
	case over != nil:
		r.Limit, r.ExitCode = over, -1
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
		r.Report, r.ReportError = readReport(o.Report, cmp.Or(o.ReportLimit, DefaultReportLimit))
	}
	return r, nil
}

// readReport reads the one suite's report from a Ginkgo JSON report file
// of at most limit bytes.
func readReport(path string, limit int64) (*types.Report, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, errors.New("testrun: the binary wrote no report: it exited or crashed before its specs finished")
	}
	if err != nil {
		return nil, fmt.Errorf("testrun: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("testrun: %w", err)
	}
	if int64(len(data)) > limit {
		size := ""
		if st, err := f.Stat(); err == nil {
			size = " (" + FormatBytes(st.Size()) + ")"
		}
		return nil, &ReportTooBig{Limit: limit, Size: size}
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

// ReportTooBig is the ReportError of a report larger than the limit Run
// reads. It is plain data.
type ReportTooBig struct {
	Limit int64  // the largest report Run reads, in bytes
	Size  string // the report's size, " (12 MiB)", or "" when unknown
}

// Error says how big the report was and what the limit is.
func (e *ReportTooBig) Error() string {
	return fmt.Sprintf("testrun: the binary's Ginkgo report%s is larger than the %s that are read", e.Size, FormatBytes(e.Limit))
}
