package testutil

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Result is what a finished command did.
type Result struct {
	Stdout, Stderr string
	// ExitCode is the exit status, or 128+signal if it was killed by a
	// signal (as a shell reports it), or -1 if it could not be started.
	ExitCode int
	// Signal is the signal that killed the process, or 0.
	Signal syscall.Signal
	// TimedOut says the command ran past its timeout and was killed.
	TimedOut bool
	// Err is a failure to start or wait for the command; a non-zero exit
	// is not an error here.
	Err      error
	Duration time.Duration
}

// String summarises the result for test failure messages.
func (r *Result) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "exit=%d", r.ExitCode)
	if r.Signal != 0 {
		fmt.Fprintf(&b, " signal=%v", r.Signal)
	}
	if r.TimedOut {
		b.WriteString(" TIMED OUT")
	}
	if r.Err != nil {
		fmt.Fprintf(&b, " err=%v", r.Err)
	}
	fmt.Fprintf(&b, " after %v\n--- stdout ---\n%s\n--- stderr ---\n%s", r.Duration.Round(time.Millisecond), r.Stdout, r.Stderr)
	return b.String()
}

// Cmd describes one command to run.
type Cmd struct {
	Args    []string
	Env     []string // nil means MinimalEnv()
	Dir     string
	Stdin   string
	Timeout time.Duration // 0 means one minute
	// Started, if set, is called with the process ID once it has started
	// and before waiting for it.
	Started func(pid int)
	// Output, if set, receives the command's stdout and stderr in place
	// of Result's: for commands that leave processes holding them open
	// (runsc create), whose output a pipe would wait for.
	Output *os.File
}

// Run runs c to completion. The command gets its own process group, and on
// timeout the whole group is killed with SIGKILL.
func Run(c Cmd) *Result {
	timeout := c.Timeout
	if timeout == 0 {
		timeout = time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.Args[0], c.Args[1:]...)
	cmd.Env = c.Env
	if cmd.Env == nil {
		cmd.Env = MinimalEnv()
	}
	cmd.Dir = c.Dir
	cmd.Stdin = strings.NewReader(c.Stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if c.Output != nil {
		cmd.Stdout, cmd.Stderr = c.Output, c.Output
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		// Kill the whole group: the sandbox and gofer too.
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	r := &Result{ExitCode: -1}
	if err := cmd.Start(); err != nil {
		r.Err = fmt.Errorf("starting %s: %w", c.Args[0], err)
		return r
	}
	if c.Started != nil {
		c.Started(cmd.Process.Pid)
	}
	err := cmd.Wait()
	r.Duration = time.Since(start)
	r.Stdout, r.Stderr = stdout.String(), stderr.String()
	r.TimedOut = ctx.Err() != nil
	if cmd.ProcessState != nil {
		ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
		switch {
		case ws.Exited():
			r.ExitCode = ws.ExitStatus()
		case ws.Signaled():
			r.Signal = ws.Signal()
			r.ExitCode = 128 + int(ws.Signal())
		}
	}
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		r.Err = err
	}
	return r
}
