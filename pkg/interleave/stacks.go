package interleave

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// goid returns the calling goroutine's id, read from the header of its own
// stack trace ("goroutine 42 [running]:").
func goid() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); i > 0 {
		b = b[:i]
	}
	id, err := strconv.ParseUint(string(b), 10, 64)
	if err != nil {
		panic("interleave: cannot read the goroutine id from " + strconv.Quote(string(buf[:])))
	}
	return id
}

// Frame is a place in the code under test: the function (without its
// package path) and the file and line.
type Frame struct {
	Func string // e.g. "(*Object).IncRef"
	File string // relative to the working directory when below it
	Line int
}

// String formats f as "file.go:23".
func (f Frame) String() string {
	if f.File == "" {
		return "?"
	}
	return f.File + ":" + strconv.Itoa(f.Line)
}

// ShortFunc is the function's name without its receiver ("IncRef" for
// "(*Object).IncRef" and "Object.IncRef"), or "-" when it is unknown.
func (f Frame) ShortFunc() string {
	name := f.Func
	if i := strings.LastIndex(name, "."); i >= 0 {
		name = name[i+1:]
	}
	if name == "" {
		return "-"
	}
	return name
}

// machinery is the import path prefix of the kit's own packages
// (".../pkg/"): frames in them are never "the code under test".
var machinery = func() string {
	pc, _, _, _ := runtime.Caller(0)
	name := runtime.FuncForPC(pc).Name() // .../pkg/interleave.init.func1
	if i := strings.Index(name, "/pkg/"); i >= 0 {
		return name[:i+len("/pkg/")]
	}
	return name[:strings.LastIndex(name, "/")+1]
}()

// self is the import path of this package followed by a dot.
var self = machinery + "interleave."

// isStd reports whether fn (a fully qualified function name) belongs to the
// runtime or the standard library's synchronisation and testing packages.
func isStd(fn string) bool {
	return strings.HasPrefix(fn, "runtime.") || strings.HasPrefix(fn, "sync.") ||
		strings.HasPrefix(fn, "sync/") || strings.HasPrefix(fn, "internal/") ||
		strings.HasPrefix(fn, "testing.") || strings.HasPrefix(fn, "time.")
}

// isLibrary reports whether fn is standard library code or the kit's
// machinery (its pkg/ packages, but not their external tests).
func isLibrary(fn string) bool {
	if isStd(fn) {
		return true
	}
	rest, ok := strings.CutPrefix(fn, machinery)
	if !ok {
		return false
	}
	pkg, _, _ := strings.Cut(rest, ".")
	return !strings.HasSuffix(pkg, "_test")
}

// shortName strips the package path from a fully qualified function name:
// "github.com/x/lessons/01-lost-update.(*Object).IncRef" -> "(*Object).IncRef".
func shortName(fn string) string {
	if i := strings.LastIndex(fn, "/"); i >= 0 {
		fn = fn[i+1:]
	}
	if i := strings.Index(fn, "."); i >= 0 {
		fn = fn[i+1:]
	}
	return fn
}

// isClosure reports whether a short function name is an anonymous function.
func isClosure(short string) bool {
	return strings.HasPrefix(short, "func") || strings.Contains(short, ".func")
}

var workDir, _ = os.Getwd()

// relPath shows file relative to the working directory when it lies below
// it, else as it is.
func relPath(file string) string {
	if workDir != "" {
		if rel, err := filepath.Rel(workDir, file); err == nil && !strings.HasPrefix(rel, "..") {
			return rel
		}
	}
	return file
}

// callerFrame returns where the calling goroutine is in the code under test.
func callerFrame() Frame {
	pcs := make([]uintptr, 32)
	return codeFrame(runtime.CallersFrames(pcs[:runtime.Callers(2, pcs)]))
}

// codeFrame picks, from frames listed innermost first, the file and line of
// the innermost frame that is not library or machinery code, and the name
// of the innermost such function that is not a closure.
func codeFrame(frames *runtime.Frames) Frame {
	var f Frame
	for {
		fr, more := frames.Next()
		if fr.Function != "" && !isLibrary(fr.Function) {
			if f.File == "" {
				f.File, f.Line = relPath(fr.File), fr.Line
			}
			if name := shortName(fr.Function); !isClosure(name) {
				f.Func = name
				return f
			}
		}
		if !more {
			return f
		}
	}
}

// gstack is one goroutine as a dump shows it.
type gstack struct {
	state  string // wait state without decorations: "sync.Mutex.Lock", "running"
	at     Frame  // the innermost frame in the code under test
	inSelf bool   // the innermost non-library frame is this package's own code
}

// dumpBuf is dump's buffer, kept from one call to the next (runs do not
// overlap, and a run's dumps are made by its driver alone).
var dumpBuf = make([]byte, 256<<10)

// dump reads the stacks of all goroutines and returns those whose ids are
// in want.
func dump(want map[uint64]bool) map[uint64]gstack {
	buf := dumpBuf
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
		dumpBuf = buf
	}
	out := make(map[uint64]gstack, len(want))
	for _, block := range bytes.Split(buf, []byte("\n\n")) {
		id, g, ok := parseGoroutine(string(block), want)
		if ok {
			out[id] = g
		}
	}
	return out
}

// parseGoroutine parses one goroutine of a dump:
//
//	goroutine 23 [sync.Mutex.Lock, 2 minutes]:
//	internal/sync.runtime_SemacquireMutex(...)
//		/usr/local/go/src/runtime/sema.go:95 +0x25
//	...
func parseGoroutine(block string, want map[uint64]bool) (uint64, gstack, bool) {
	header, rest, _ := strings.Cut(block, "\n")
	header = strings.TrimPrefix(header, "goroutine ")
	idText, state, ok := strings.Cut(header, " [")
	if !ok {
		return 0, gstack{}, false
	}
	id, err := strconv.ParseUint(idText, 10, 64)
	if err != nil || !want[id] {
		return 0, gstack{}, false
	}
	state = strings.TrimSuffix(state, "]:")
	state, _, _ = strings.Cut(state, ",")
	for _, deco := range []string{" (durable)", " (scan)", " (leaked)"} {
		state = strings.ReplaceAll(state, deco, "")
	}
	g := gstack{state: state}
	lines := strings.Split(rest, "\n")
	first := true
	for i := 0; i+1 < len(lines); i += 2 {
		fn := lines[i]
		if strings.HasPrefix(fn, "created by ") {
			break
		}
		if j := strings.LastIndex(fn, "("); j > 0 {
			fn = fn[:j]
		}
		if isStd(fn) {
			continue
		}
		if first {
			first = false
			g.inSelf = strings.HasPrefix(fn, self)
		}
		if isLibrary(fn) {
			continue
		}
		if g.at.File == "" {
			loc := strings.TrimSpace(lines[i+1])
			if j := strings.LastIndex(loc, " +0x"); j > 0 {
				loc = loc[:j]
			}
			file, line := loc, 0
			if k := strings.LastIndex(loc, ":"); k > 0 {
				file = loc[:k]
				line, _ = strconv.Atoi(loc[k+1:])
			}
			g.at = Frame{File: relPath(file), Line: line}
		}
		if name := shortName(fn); !isClosure(name) {
			g.at.Func = name
			break
		}
	}
	return id, g, true
}

// blockingStates are the wait states in which a goroutine stays until some
// other goroutine acts: it cannot wake up by itself.
var blockingStates = map[string]bool{
	"chan receive": true, "chan send": true,
	"chan receive (nil chan)": true, "chan send (nil chan)": true,
	"select": true, "select (no cases)": true,
	"sync.Mutex.Lock": true, "sync.RWMutex.Lock": true, "sync.RWMutex.RLock": true,
	"sync.Cond.Wait": true, "sync.WaitGroup.Wait": true, "semacquire": true,
}
