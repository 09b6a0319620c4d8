// Package log is runsc's small debug logger, shared by every runsc process
// (the CLI, the sandbox and the gofer). Debug messages are dropped unless
// Setup enabled them; warnings always go out. The target is set once at
// start-up by Setup; writes are serialised by mu, so any goroutine may log.
package log

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

var (
	// mu guards the fields below and serialises writes to out.
	mu      sync.Mutex
	out     io.Writer = os.Stderr
	debug   bool
	process = "runsc"
	file    *os.File // the debug log file, if out is one
	// userLog is runc's --log: where the caller (containerd, Docker)
	// reads runsc's errors and warnings; nil when not given.
	userLog  io.Writer
	userJSON bool
)

// SetUserLog directs runsc's errors and warnings also to w (the --log
// file), in logrus's text format or, with asJSON, one JSON object a line,
// as runc writes them.
func SetUserLog(w io.Writer, asJSON bool) {
	mu.Lock()
	defer mu.Unlock()
	userLog, userJSON = w, asJSON
}

// Errorf records runsc's own failure in the --log file (the caller prints
// it on stderr too).
func Errorf(format string, args ...any) {
	mu.Lock()
	defer mu.Unlock()
	writeUserLocked("error", fmt.Sprintf(format, args...))
}

// writeUserLocked writes one line to the --log file, if any.
func writeUserLocked(level, msg string) {
	if userLog == nil {
		return
	}
	now := time.Now().UTC().Format(time.RFC3339Nano)
	if userJSON {
		line, _ := json.Marshal(struct {
			Level string `json:"level"`
			Msg   string `json:"msg"`
			Time  string `json:"time"`
		}{level, msg, now})
		fmt.Fprintf(userLog, "%s\n", line)
		return
	}
	fmt.Fprintf(userLog, "time=%q level=%s msg=%q\n", now, level, msg)
}

// Setup configures logging for this process: name labels each line (e.g.
// "runsc", "boot", "gofer"), enabled turns debug messages on, and w is where
// lines go (nil means stderr).
func Setup(name string, enabled bool, w io.Writer) {
	mu.Lock()
	defer mu.Unlock()
	process = name
	debug = enabled
	if w == nil {
		w = os.Stderr
	}
	out = w
	file, _ = w.(*os.File)
	if file == os.Stderr {
		file = nil
	}
}

// File returns the debug log file given to Setup, or nil when logging goes
// to stderr. The launcher passes it on to the processes it starts.
func File() *os.File {
	mu.Lock()
	defer mu.Unlock()
	return file
}

// OpenTarget opens the --debug-log file for appending, or returns nil for
// stderr when path is empty. The caller owns the returned file; Go opens
// it close-on-exec.
func OpenTarget(path string) (*os.File, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening debug log: %w", err)
	}
	return f, nil
}

// IsDebug reports whether debug messages are enabled.
func IsDebug() bool {
	mu.Lock()
	defer mu.Unlock()
	return debug
}

// Debugf logs a debug message if debugging is enabled.
func Debugf(format string, args ...any) {
	mu.Lock()
	defer mu.Unlock()
	if debug {
		writeLocked("D", format, args...)
	}
}

// Warningf logs a warning whether or not debugging is enabled.
func Warningf(format string, args ...any) {
	mu.Lock()
	defer mu.Unlock()
	writeLocked("W", format, args...)
	writeUserLocked("warning", fmt.Sprintf(format, args...))
}

func writeLocked(level, format string, args ...any) {
	fmt.Fprintf(out, "%s%s %s[%d]: %s\n", level, time.Now().Format("0102 15:04:05.000000"), process, os.Getpid(), fmt.Sprintf(format, args...))
}
