package testutil

import (
	"fmt"
	"os"
	"strings"

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
