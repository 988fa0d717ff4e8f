package main_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/racekit/racekit/pkg/internal/hints"
)

var _ = Describe("racekit in Korean", func() {
	// runEnv runs racekit in kit with the environment env and args.
	runEnv := func(kit string, env []string, args ...string) result {
		s := racekitEnv(kit, env, args...)
		code := finish(s, quick)
		return result{string(s.Out.Contents()), string(s.Err.Contents()), code}
	}
	// Only the variables under test: LC_ALL and LC_MESSAGES of the machine
	// running the specs would otherwise win over LANG.
	korean := []string{"LC_ALL=", "LC_MESSAGES=", "LANG=ko_KR.UTF-8"}

	When("LANG starts with ko", func() {
		It("shows the course table and the next step in Korean, pointing at the Korean README", func() {
			r := runEnv(tempKit(), korean)
			Expect(r.code).To(Equal(0), r.err)
			Expect(r.out).To(ContainSubstring("racekit: CPython의 전역 인터프리터 락으로 배우는 경쟁 상태"), "the title line")
			Expect(r.out).To(MatchRegexp(`1\.\s+lost-update\s+갱신 손실\s+아직 안 함`), "a lesson's row: its slug as typed, its title and status in Korean")
			Expect(r.out).To(ContainSubstring("다음: lessons/01-lost-update/README.ko.md를 읽은 뒤 실행하세요: go run ./pkg/cmd/racekit check 1"),
				"the next step points at the Korean README, and the command stays as typed")
		})

		It("shows the hint of HINTS.ko.md, counted as the English one would be", func() {
			kit := tempKit()
			ko, err := hints.Load(lessonFile(kit, 1, hints.KoreanFileName))
			Expect(err).NotTo(HaveOccurred(), "lesson 1 has Korean hints")
			r := runEnv(kit, korean, "hint", "1")
			Expect(r.code).To(Equal(0), r.err)
			Expect(r.out).To(ContainSubstring("1번 레슨, 갱신 손실: 힌트 1/%d", len(ko)))
			Expect(r.out).To(ContainSubstring(ko[0].Body), "the first Korean hint, whole")
			r = runEnv(kit, nil, "--lang", "en", "hint", "1")
			en, err := hints.Load(lessonFile(kit, 1, hints.FileName))
			Expect(err).NotTo(HaveOccurred())
			Expect(r.out).To(ContainSubstring(en[1].Body), "the hint seen in Korean counts: the next run, in English, shows the second")
		})

		It("says a usage error in Korean, and the help", func() {
			r := runEnv(tempKit(), korean, "hint", "1", "2")
			Expect(r.code).To(Equal(2))
			Expect(r.err).To(ContainSubstring(`레슨은 한 번에 하나만 돼요. 받은 값: "1 2"`))
			Expect(r.err).To(ContainSubstring("사용법은 'racekit help hint'로 볼 수 있어요"))
			r = runEnv(tempKit(), korean, "help")
			Expect(r.out).To(ContainSubstring("레슨의 다음 힌트를 보여 줘요"), "each command's summary")
		})
	})

	DescribeTable("picks the language from --lang first, then LC_ALL, LC_MESSAGES and LANG in that order",
		func(env []string, args []string, korean bool) {
			r := runEnv(tempKit(), env, args...)
			Expect(r.code).To(Equal(0), r.err)
			title := "racekit: race conditions, told through CPython's global interpreter lock"
			if korean {
				title = "racekit: CPython의 전역 인터프리터 락으로 배우는 경쟁 상태"
			}
			Expect(r.out).To(HavePrefix(title))
		},
		Entry("--lang en over a Korean LANG", []string{"LC_ALL=", "LC_MESSAGES=", "LANG=ko_KR.UTF-8"}, []string{"--lang", "en"}, false),
		Entry("--lang=ko after the command over an English LANG", []string{"LC_ALL=", "LC_MESSAGES=", "LANG=en_US.UTF-8"}, []string{"status", "--lang=ko"}, true),
		Entry("LC_ALL over LANG", []string{"LC_ALL=C", "LC_MESSAGES=", "LANG=ko_KR.UTF-8"}, nil, false),
		Entry("LC_MESSAGES over LANG", []string{"LC_ALL=", "LC_MESSAGES=ko_KR.UTF-8", "LANG=C"}, nil, true),
		Entry("nothing set: English", []string{"LC_ALL=", "LC_MESSAGES=", "LANG="}, nil, false),
	)

	It("turns away a language it does not speak, naming the ones it does", func() {
		r := runEnv(tempKit(), nil, "--lang", "fr", "status")
		Expect(r.code).To(Equal(2))
		Expect(r.err).To(ContainSubstring(`racekit speaks en (English) and ko (한국어), not "fr"`))
	})
})
