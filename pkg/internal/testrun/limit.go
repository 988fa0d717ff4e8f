package testrun

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Limits bounds what a process and every process it starts may use between
// them: the go command and the compilers it runs, or a test binary and
// anything it starts. The zero value sets no limit. A process tree that
// goes over a limit is killed, and the caller is told which limit it was
// (a *LimitError).
//
// Where the grader may make cgroups (cgroup v2 with the memory and pids
// controllers delegated to its own cgroup), the kernel enforces the limits:
// the process runs in a cgroup of its own with memory.max, memory.swap.max
// and pids.max set. Elsewhere, a watcher reads the resident memory and the
// thread count of every process in the tree's process group from /proc
// every PollInterval, and kills the group when either is over; a tree can
// then go over by what it allocates in one interval. HowLimited says which
// of the two this machine uses. Resource limits (setrlimit) are not used:
// RLIMIT_AS and RLIMIT_DATA count the race detector's reserved shadow
// memory (a race-enabled test binary cannot even start under 1 GiB of
// RLIMIT_AS while it uses 55 MB), and RLIMIT_NPROC counts every process of
// the user, not of the tree, and does not bind root.
type Limits struct {
	// Memory is the most resident memory, in bytes, the processes may use
	// together; 0 means no limit.
	Memory int64
	// Threads is the most threads the processes may have together (each
	// process has at least one); 0 means no limit.
	Threads int
}

// PollInterval is how often the /proc watcher measures a process tree.
const PollInterval = 50 * time.Millisecond

// A LimitError says that a process tree went over one of its limits and was
// killed. It is plain data.
type LimitError struct {
	// Limit names the limit: "memory", "threads" or "time".
	Limit string
	// Max is the limit as a person reads it: "1 GiB", "500 threads", "5s".
	Max string
	// Used, when known, is how much was in use when the tree was killed:
	// "1.2 GiB", "512 threads"; "" when the kernel enforced the limit.
	Used string
}

// Error says which limit was crossed.
func (e *LimitError) Error() string {
	if e.Limit == "time" {
		return fmt.Sprintf("testrun: did not finish within its time limit of %s and was killed", e.Max)
	}
	used := ""
	if e.Used != "" {
		used = " (" + e.Used + ")"
	}
	return fmt.Sprintf("testrun: went over its %s limit of %s%s and was killed", e.Limit, e.Max, used)
}

// FormatBytes writes n bytes for a person: "512 B", "300 MiB", "1.5 GiB".
func FormatBytes(n int64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	v, i := float64(n), 0
	for v >= 1024 && i < len(units)-1 {
		v, i = v/1024, i+1
	}
	if v == float64(int64(v)) {
		return fmt.Sprintf("%d %s", int64(v), units[i])
	}
	return fmt.Sprintf("%.1f %s", v, units[i])
}

// ParseBytes reads a size as FormatBytes writes it, with or without the
// space: "1073741824", "512KiB", "300 MiB", "2GiB". Units are powers of
// 1024; a size must not be negative.
func ParseBytes(s string) (int64, error) {
	s = strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 || v*float64(mult) > 1<<62 {
		return 0, fmt.Errorf("testrun: %q is not a size (write 512MiB, 2GiB or a number of bytes)", s)
	}
	return int64(v * float64(mult)), nil
}

// HowLimited says how Limits are enforced on this machine: by cgroup v2
// (and where), or by the /proc watcher (and why not by cgroup v2).
func HowLimited() string {
	cg, err := cgroupParent()
	if err != nil {
		return fmt.Sprintf("a watcher of /proc, every %s (no cgroup v2 of its own: %v)", PollInterval, err)
	}
	return "cgroup v2, below " + cg
}

// supervise runs cmd, which must not have been started, in a process group
// of its own, within lim, and kills the whole group when ctx is done, when
// the time limit deadline (if not zero) passes, or when a limit is crossed.
// It returns cmd.Wait's error and, when a limit was crossed, which. The
// group is killed once cmd has ended too, so that nothing it started
// outlives it.
func supervise(ctx context.Context, cmd *exec.Cmd, lim Limits, deadline time.Duration) (error, *LimitError) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var cg *cgroup
	if lim != (Limits{}) {
		if parent, err := cgroupParent(); err == nil {
			if cg, err = newCgroup(parent, lim); err == nil {
				cmd.SysProcAttr.UseCgroupFD, cmd.SysProcAttr.CgroupFD = true, cg.fd
			}
		}
	}
	if err := cmd.Start(); err != nil {
		cg.remove()
		return err, nil
	}
	pgid := cmd.Process.Pid
	kill := func() { _ = syscall.Kill(-pgid, syscall.SIGKILL) }
	var (
		over     atomic.Pointer[LimitError]
		watching sync.WaitGroup
	)
	stop := make(chan struct{})
	watching.Go(func() {
		var timeUp <-chan time.Time
		if deadline > 0 {
			t := time.NewTimer(deadline)
			defer t.Stop()
			timeUp = t.C
		}
		var tick <-chan time.Time
		if lim != (Limits{}) && cg == nil {
			t := time.NewTicker(PollInterval)
			defer t.Stop()
			tick = t.C
		}
		for {
			select {
			case <-stop:
				return
			case <-ctx.Done():
				kill()
				return
			case <-timeUp:
				over.CompareAndSwap(nil, &LimitError{Limit: "time", Max: deadline.String()})
				kill()
				return
			case <-tick:
				if e := checkGroup(pgid, lim); e != nil {
					over.CompareAndSwap(nil, e)
					kill()
					return
				}
			}
		}
	})
	err := cmd.Wait()
	close(stop)
	watching.Wait()
	kill() // whatever the process left running in its group
	if cg != nil {
		if e := cg.crossed(lim); e != nil {
			over.CompareAndSwap(nil, e)
		}
		cg.remove()
	}
	return err, over.Load()
}

// checkGroup measures process group pgid and returns the limit it crossed,
// or nil.
func checkGroup(pgid int, lim Limits) *LimitError {
	rss, threads := groupUsage(pgid)
	switch {
	case lim.Memory > 0 && rss > lim.Memory:
		return &LimitError{Limit: "memory", Max: FormatBytes(lim.Memory), Used: FormatBytes(rss) + " resident"}
	case lim.Threads > 0 && threads > lim.Threads:
		return &LimitError{Limit: "threads", Max: fmt.Sprintf("%d threads", lim.Threads), Used: fmt.Sprintf("%d threads", threads)}
	}
	return nil
}

// groupUsage sums the resident memory (in bytes) and the threads of every
// process in process group pgid, as /proc/PID/stat shows them. A process
// that ends while it is read is left out.
func groupUsage(pgid int) (rss int64, threads int) {
	entries, _ := os.ReadDir("/proc")
	page := int64(os.Getpagesize())
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		data, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		group, n, pages, ok := parseStat(data)
		if ok && group == pgid {
			rss += pages * page
			threads += n
		}
	}
	return rss, threads
}

// parseStat reads a process's group, thread count and resident pages from
// the text of /proc/PID/stat: fields 5, 20 and 24, counted from 1, after
// the command name in parentheses (which may hold spaces and parentheses).
func parseStat(data []byte) (pgid, threads int, rssPages int64, ok bool) {
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, 0, 0, false
	}
	f := strings.Fields(string(data[i+1:])) // f[0] is field 3, the state
	if len(f) < 22 {
		return 0, 0, 0, false
	}
	pgid, err1 := strconv.Atoi(f[2])
	threads, err2 := strconv.Atoi(f[17])
	rssPages, err3 := strconv.ParseInt(f[21], 10, 64)
	return pgid, threads, rssPages, errors.Join(err1, err2, err3) == nil
}

// cgroupFS is where cgroup files are read from; specs point it at a fake
// tree.
var cgroupFS = struct{ selfCgroup, mountinfo string }{"/proc/self/cgroup", "/proc/self/mountinfo"}

// cgroupParent is the cgroup v2 folder below which each limited process
// gets a cgroup of its own, or why there is none. It is found, and tried,
// once.
var cgroupParent = sync.OnceValues(func() (string, error) {
	dir, err := ownCgroup()
	if err != nil {
		return "", err
	}
	return dir, probeCgroup(dir)
})

// ownCgroup is the folder of this process's cgroup v2: its path in
// /proc/self/cgroup below the mount point of the cgroup2 file system.
func ownCgroup() (string, error) {
	self, err := os.ReadFile(cgroupFS.selfCgroup)
	if err != nil {
		return "", err
	}
	path, found := "", false
	for _, line := range strings.Split(string(self), "\n") {
		if p, ok := strings.CutPrefix(line, "0::"); ok {
			path, found = p, true
		}
	}
	if !found {
		return "", errors.New("the process is in no cgroup v2 hierarchy")
	}
	f, err := os.Open(cgroupFS.mountinfo)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// "36 35 0:30 / /sys/fs/cgroup rw,... shared:9 - cgroup2 cgroup2 rw"
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		if fields, pf := strings.Fields(pre), strings.Fields(post); ok && len(fields) >= 5 && len(pf) > 0 && pf[0] == "cgroup2" {
			return filepath.Join(fields[4], path), nil
		}
	}
	return "", errors.New("no cgroup2 file system is mounted")
}

// probeCgroup reports why limited processes cannot get cgroups below dir,
// or nil when they can: the memory and pids controllers must be available
// there, enabled for its children (probeCgroup tries to enable them), and
// a cgroup made below it must take a process.
func probeCgroup(dir string) error {
	have, err := os.ReadFile(filepath.Join(dir, "cgroup.controllers"))
	if err != nil {
		return err
	}
	for _, c := range []string{"memory", "pids"} {
		if !strings.Contains(" "+strings.TrimSpace(string(have))+" ", " "+c+" ") {
			return fmt.Errorf("the cgroup v2 at %s has no %s controller (it has %q)", dir, c, strings.TrimSpace(string(have)))
		}
	}
	enabled, _ := os.ReadFile(filepath.Join(dir, "cgroup.subtree_control"))
	if !strings.Contains(string(enabled), "memory") || !strings.Contains(string(enabled), "pids") {
		if err := os.WriteFile(filepath.Join(dir, "cgroup.subtree_control"), []byte("+memory +pids"), 0); err != nil {
			return fmt.Errorf("cannot enable the memory and pids controllers for %s's children: %w", dir, err)
		}
	}
	cg, err := newCgroup(dir, Limits{Memory: 64 << 20, Threads: 16})
	if err != nil {
		return err
	}
	defer cg.remove()
	probe := exec.Command("/bin/true")
	probe.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: cg.fd}
	if err := probe.Run(); err != nil {
		return fmt.Errorf("a process cannot be started in a cgroup below %s: %w", dir, err)
	}
	return nil
}

// cgroup is a cgroup v2 made for one limited process tree.
type cgroup struct {
	dir string
	fd  int // dir, open, for clone3's CLONE_INTO_CGROUP
}

// cgroupSeq numbers the cgroups this process makes.
var cgroupSeq atomic.Int64

// newCgroup makes a cgroup below parent with lim's limits: memory.max (and
// no swap), pids.max, and memory.oom.group so that running out of memory
// kills the whole tree.
func newCgroup(parent string, lim Limits) (*cgroup, error) {
	dir := filepath.Join(parent, fmt.Sprintf("racekit-%d-%d", os.Getpid(), cgroupSeq.Add(1)))
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, err
	}
	cg := &cgroup{dir: dir, fd: -1}
	set := map[string]string{"memory.oom.group": "1"}
	if lim.Memory > 0 {
		set["memory.max"], set["memory.swap.max"] = strconv.FormatInt(lim.Memory, 10), "0"
	}
	if lim.Threads > 0 {
		set["pids.max"] = strconv.Itoa(lim.Threads)
	}
	for name, value := range set {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(value), 0); err != nil && name != "memory.swap.max" {
			cg.remove()
			return nil, fmt.Errorf("cannot set %s in %s: %w", name, dir, err)
		}
	}
	fd, err := syscall.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		cg.remove()
		return nil, err
	}
	cg.fd = fd
	return cg, nil
}

// crossed reads the cgroup's event counters and returns the limit that was
// hit, or nil: an OOM kill in memory.events, or a fork refused in
// pids.events.
func (cg *cgroup) crossed(lim Limits) *LimitError {
	if n := eventCount(filepath.Join(cg.dir, "memory.events"), "oom_kill"); n > 0 && lim.Memory > 0 {
		return &LimitError{Limit: "memory", Max: FormatBytes(lim.Memory)}
	}
	if n := eventCount(filepath.Join(cg.dir, "pids.events"), "max"); n > 0 && lim.Threads > 0 {
		return &LimitError{Limit: "threads", Max: fmt.Sprintf("%d threads", lim.Threads)}
	}
	return nil
}

// eventCount is the count of key in a cgroup events file ("oom_kill 1"), or
// 0.
func eventCount(path, key string) int64 {
	data, _ := os.ReadFile(path)
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, key+" "); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n
		}
	}
	return 0
}

// remove kills whatever is left in the cgroup and removes it. A nil cgroup
// is left alone.
func (cg *cgroup) remove() {
	if cg == nil {
		return
	}
	if cg.fd >= 0 {
		syscall.Close(cg.fd)
		cg.fd = -1
	}
	_ = os.WriteFile(filepath.Join(cg.dir, "cgroup.kill"), []byte("1"), 0)
	for range 100 { // the kernel removes a cgroup once its last process is reaped
		err := os.Remove(cg.dir)
		switch {
		case err == nil, errors.Is(err, os.ErrNotExist):
			return
		case errors.Is(err, syscall.ENOTEMPTY):
			// Not a cgroup (whose files cannot be removed) but a fake one
			// in a spec: a plain folder with files in it.
			_ = os.RemoveAll(cg.dir)
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}
