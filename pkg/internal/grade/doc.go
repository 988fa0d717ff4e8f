// Package grade grades a learner's work on racekit's lessons without
// touching it: for each lesson it lays the submission's exercise files (every
// .go file of the lesson that is not a _test.go file) over a pristine copy of
// the kit's specs in a temporary folder, builds the lesson with the race
// detector, runs it under a time limit, and decides from Ginkgo's JSON
// report and the race detector's output whether the lesson passed.
//
// Grading assumes the submission is hostile. Nothing in a lesson's folder is
// read before every entry is known to be a plain file of bounded size; the
// exercise files must keep the rules (rules.go) and must build without the
// specs, so that they cannot name, and so change, anything a spec declares;
// the build and the test binary run under limits of time, memory and
// threads (testrun.Limits) with a minimal environment; and every text that
// comes from the submission is bounded before it reaches a result.
//
// A lesson passes only when every one of its pristine specs ran and passed
// and the race detector reported nothing; an exit status alone is never
// taken as proof. Test files a submission adds or edits are ignored and
// reported. A lesson that does not build, crashes, hangs or exits early
// fails with a message that says which, and the other lessons are graded
// all the same.
//
// A lesson is worth one point unless weighed (Points, Result.Weigh), and
// earns all its points when it passes, none otherwise. The results are
// written as JSON (WriteJSON), JUnit XML through Ginkgo's own reporter
// (WriteJUnit), a markdown table (WriteSummary) and the two notices GitHub
// Classroom reads (WriteClassroomNotices).
//
// GradeClass grades a folder of learner checkouts with the same rules, and
// WriteClass writes the class table (markdown and CSV) and each learner's
// JSON. Lessons whose code is byte for byte that of a lesson graded before
// take its verdict (Verdicts) rather than being built and run again.
package grade
