package main_test

import (
	"os"
	"path/filepath"
	"regexp"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("racekit watch", Ordered, func() {
	// One copy of the kit for both modes: the second reuses the first's
	// build cache. Each save adds a comment to the starter's object.go,
	// which leaves the lesson failing as it was.
	var kit string
	BeforeAll(func() { kit = tempKit() })

	// A check compiles the lesson under -race: the first in a new folder
	// takes a while on a loaded machine.
	const checked = 3 * time.Minute

	DescribeTable("checks the lesson, checks it again when a file is saved, and stops on Ctrl-C",
		func(mode string, flags ...string) {
			s := racekit(kit, append([]string{"watch", "1"}, flags...)...)
			DeferCleanup(func() { s.Kill() })

			Eventually(s.Out, checked).Should(gbytesSay(`checking 01-lost-update`), "watch checks the lesson as it begins")
			Eventually(s.Out, checked).Should(gbytesSay(regexp.QuoteMeta("watching lessons/01-lost-update for changes ("+mode+"); press Ctrl-C to stop")),
				"after the first check, watch says what it watches, how, and how to stop")

			lessonFile := filepath.Join(kit, "lessons", "01-lost-update", "object.go")
			code, err := os.ReadFile(lessonFile)
			Expect(err).NotTo(HaveOccurred())
			Expect(os.WriteFile(lessonFile, append(code, "\n// saved by the watch spec\n"...), 0o644)).To(Succeed())
			Eventually(s.Out, checked).Should(gbytesSay(`object.go changed`), "watch says which file it saw saved")
			Eventually(s.Out, checked).Should(gbytesSay(`checking 01-lost-update`), "and checks the lesson again")
			Eventually(s.Out, checked).Should(gbytesSay(`watching lessons/01-lost-update`), "then goes on watching")

			s.Interrupt()
			Expect(finish(s, time.Minute)).To(Equal(0), "Ctrl-C is how a learner ends a watch: not an error")
			Expect(s.Out).To(gbytesSay(`stopped watching lessons/01-lost-update`))
		},
		Entry("with fsnotify", "fsnotify"),
		Entry("polling, with --poll after the lesson", "polling", "--poll"),
	)

	It("names the lessons there are for an unknown lesson, without watching", func() {
		s := racekit(kit, "watch", "99")
		Expect(finish(s, time.Minute)).To(Equal(2), "an unknown lesson is bad usage")
		Expect(s.Err).To(gbytesSay(`1 or lost-update`), "the error lists the lessons by number and slug")
	})

	It("documents --poll", func() {
		s := racekit(kit, "help", "watch")
		Expect(finish(s, time.Minute)).To(Equal(0))
		Expect(s.Out).To(gbytesSay(`-poll`), "racekit help watch shows the polling flag for network disks")
	})
})
