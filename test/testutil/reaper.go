package testutil

import (
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// BecomeSubreaper makes the calling process a child subreaper
// (PR_SET_CHILD_SUBREAPER): processes orphaned anywhere below it are
// reparented to it instead of to init, so that Related sees everything a
// test started, even what daemonised itself.
func BecomeSubreaper() error {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("prctl(PR_SET_CHILD_SUBREAPER): %w", err)
	}
	return nil
}

// ReapOrphans waits for every zombie child of the calling process and
// returns what it reaped. Call it only when no exec.Cmd of the caller is
// running: those children are the Cmd's to wait for.
func ReapOrphans() ([]*Proc, error) {
	procs, err := Procs()
	if err != nil {
		return nil, err
	}
	self := os.Getpid()
	var reaped []*Proc
	for _, p := range procs {
		if p.PPID != self {
			continue
		}
		st, err := ReadStatus(p.PID)
		if err != nil || !strings.HasPrefix(st["State"], "Z") {
			continue
		}
		var ws unix.WaitStatus
		if pid, err := unix.Wait4(p.PID, &ws, unix.WNOHANG, nil); err == nil && pid == p.PID {
			reaped = append(reaped, p)
		}
	}
	return reaped, nil
}

// Leftovers waits up to grace for the processes that Related(binary)
// finds to vanish, reaping the caller's orphans as they exit (call
// BecomeSubreaper first, so that orphans come to it), and returns those
// still there after grace, killed with SIGKILL so that later tests start
// clean. Call it only when no exec.Cmd of the caller is running.
func Leftovers(binary string, grace time.Duration) ([]*Proc, error) {
	deadline := time.Now().Add(grace)
	for {
		// Orphans that have already exited are not left behind.
		if _, err := ReapOrphans(); err != nil {
			return nil, fmt.Errorf("reaping orphans: %w", err)
		}
		left, err := Related(binary)
		if err != nil {
			return nil, fmt.Errorf("scanning processes: %w", err)
		}
		if len(left) == 0 || time.Now().After(deadline) {
			for _, p := range left {
				unix.Kill(p.PID, unix.SIGKILL)
			}
			return left, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
}
