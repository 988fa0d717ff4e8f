package testrun

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("the /proc watcher", func() {
	It("reads a process's group, threads and resident pages from its stat line, whatever its name", func() {
		line := "4242 (a (weird) name) S 1 4200 4200 0 -1 4194560 1 0 0 0 5 3 0 0 20 0 17 0 100 2000000 512 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0"
		pgid, threads, pages, ok := parseStat([]byte(line))
		Expect(ok).To(BeTrue(), "a well-formed stat line is read")
		Expect([]any{pgid, threads, pages}).To(Equal([]any{4200, 17, int64(512)}), "fields 5, 20 and 24, counted after the name in parentheses")
		_, _, _, ok = parseStat([]byte("4242 (cut"))
		Expect(ok).To(BeFalse(), "a line cut short is no measure")
	})

	It("measures every process of a group", func() {
		sleeper := exec.Command("sleep", "30")
		sleeper.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		Expect(sleeper.Start()).To(Succeed(), "this spec needs sleep(1)")
		DeferCleanup(func() { sleeper.Process.Kill(); sleeper.Wait() })
		// Start returns once the child is forked, not once sleep runs: the
		// child may show no resident pages for a moment, on a loaded machine.
		Eventually(func(g Gomega) {
			rss, threads := groupUsage(sleeper.Process.Pid)
			g.Expect(threads).To(Equal(1), "sleep is one process of one thread, alone in its group")
			g.Expect(rss).To(BeNumerically(">", 0), "a live process has resident pages")
		}).WithTimeout(10 * time.Second).Should(Succeed())
	})
})

var _ = Describe("a cgroup made for a limited process", func() {
	It("sets memory.max, no swap, pids.max and OOM kills of the whole group", func() {
		parent := GinkgoT().TempDir() // a fake cgroup tree: plain files
		cg, err := newCgroup(parent, Limits{Memory: 300 << 20, Threads: 64})
		Expect(err).NotTo(HaveOccurred(), "a folder that takes files takes the limits")
		read := func(name string) string {
			data, err := os.ReadFile(filepath.Join(cg.dir, name))
			Expect(err).NotTo(HaveOccurred(), "%s is written", name)
			return string(data)
		}
		Expect(read("memory.max")).To(Equal("314572800"), "memory.max is the limit in bytes")
		Expect(read("memory.swap.max")).To(Equal("0"), "swap would let the tree use more than the limit")
		Expect(read("pids.max")).To(Equal("64"), "pids.max counts threads and processes, as Threads does")
		Expect(read("memory.oom.group")).To(Equal("1"), "running out of memory kills the whole tree, not one process of it")

		Expect(cg.crossed(Limits{Memory: 300 << 20, Threads: 64})).To(BeNil(), "no event, no limit crossed")
		Expect(os.WriteFile(filepath.Join(cg.dir, "memory.events"), []byte("low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n"), 0o644)).To(Succeed())
		Expect(cg.crossed(Limits{Memory: 300 << 20})).To(HaveField("Limit", "memory"), "an OOM kill in the cgroup is the memory limit")
		Expect(os.WriteFile(filepath.Join(cg.dir, "memory.events"), nil, 0o644)).To(Succeed())
		Expect(os.WriteFile(filepath.Join(cg.dir, "pids.events"), []byte("max 12\n"), 0o644)).To(Succeed())
		Expect(cg.crossed(Limits{Threads: 64})).To(HaveField("Limit", "threads"), "a refused fork is the threads limit")

		cg.remove()
		Expect(cg.dir).NotTo(BeADirectory(), "the cgroup is removed once its process is done")
	})

	It("is found below this process's own cgroup, at the cgroup2 mount point", func() {
		dir := GinkgoT().TempDir()
		self, mounts := filepath.Join(dir, "cgroup"), filepath.Join(dir, "mountinfo")
		Expect(os.WriteFile(self, []byte("4:memory:/x\n0::/user.slice/grader.service\n"), 0o644)).To(Succeed())
		Expect(os.WriteFile(mounts, []byte("22 1 0:20 / /proc rw - proc proc rw\n36 35 0:30 / /sys/fs/cgroup rw,nosuid shared:9 - cgroup2 cgroup2 rw\n"), 0o644)).To(Succeed())
		saved := cgroupFS
		DeferCleanup(func() { cgroupFS = saved })
		cgroupFS.selfCgroup, cgroupFS.mountinfo = self, mounts
		Expect(ownCgroup()).To(Equal("/sys/fs/cgroup/user.slice/grader.service"), "the 0:: line's path, below the cgroup2 mount")

		Expect(os.WriteFile(self, []byte("4:memory:/x\n"), 0o644)).To(Succeed())
		_, err := ownCgroup()
		Expect(err).To(MatchError(ContainSubstring("no cgroup v2")), "cgroup v1 alone is not used: the watcher is")
	})

	It("is used only where the memory and pids controllers are there to limit it", func() {
		dir := GinkgoT().TempDir()
		Expect(os.WriteFile(filepath.Join(dir, "cgroup.controllers"), []byte("hugetlb\n"), 0o644)).To(Succeed())
		Expect(probeCgroup(dir)).To(MatchError(ContainSubstring("has no memory controller")),
			"a cgroup v2 whose memory controller belongs to cgroup v1 (as on a hybrid host) cannot limit memory")
	})

	It("says how limits are enforced on this machine", func() {
		how := HowLimited()
		Expect(how).To(Or(HavePrefix("cgroup v2, below /"), HavePrefix("a watcher of /proc")), "one of the two ways, and where or why")
		AddReportEntry("limits on this machine", how)
	})
})

var _ = Describe("output capture", func() {
	It("keeps everything under its limit", func() {
		c := newCapture(64)
		c.Write([]byte("short\n"))
		c.Write([]byte("lines\n"))
		Expect(c.String()).To(Equal("short\nlines\n"), "nothing is cut under the limit")
	})

	It("keeps the first and the last half of its limit and counts what it left out, however the writes fall", func() {
		for _, chunk := range []int{1, 7, 64, 1000} {
			c := newCapture(64)
			text := strings.Repeat("a", 32) + strings.Repeat("m", 936) + strings.Repeat("z", 32)
			for i := 0; i < len(text); i += chunk {
				c.Write([]byte(text[i:min(i+chunk, len(text))]))
			}
			Expect(c.String()).To(Equal(strings.Repeat("a", 32)+"\n... (936 bytes of output left out) ...\n"+strings.Repeat("z", 32)),
				"in writes of %d bytes: the head, the count, the tail", chunk)
		}
	})
})

var _ = Describe("sizes", func() {
	It("are written for a person and read back", func() {
		Expect(FormatBytes(300 << 20)).To(Equal("300 MiB"))
		Expect(FormatBytes(1536 << 20)).To(Equal("1.5 GiB"))
		Expect(FormatBytes(100)).To(Equal("100 B"))
		for _, s := range []string{"300 MiB", "300MiB", "314572800"} {
			Expect(ParseBytes(s)).To(Equal(int64(300<<20)), "%q is 300 MiB", s)
		}
		_, err := ParseBytes("lots")
		Expect(err).To(MatchError(ContainSubstring("not a size")), "a size is a number with an optional unit")
	})
})
