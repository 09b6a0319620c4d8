package sandbox

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// Proc names a host process by PID and start time, so that a later runsc
// call never signals another process that reused the PID.
type Proc struct {
	PID int `json:"pid"`
	// StartTime is field 22 of /proc/PID/stat (clock ticks after boot).
	StartTime uint64 `json:"startTime"`
}

// procOf returns the Proc of a live pid.
func procOf(pid int) (Proc, error) {
	st, err := startTime(pid)
	if err != nil {
		return Proc{}, err
	}
	return Proc{PID: pid, StartTime: st}, nil
}

// errGone is returned for a process that has exited (or whose PID now
// belongs to another process).
var errGone = errors.New("process is gone")

// startTime reads field 22 of /proc/PID/stat; errGone for a dead PID or a
// zombie (which has exited).
func startTime(pid int) (uint64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, unix.ESRCH) {
			return 0, errGone
		}
		return 0, err
	}
	// The command name may hold spaces and parentheses: fields start
	// after the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 20 {
		return 0, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	if string(f[0]) == "Z" || string(f[0]) == "X" {
		return 0, errGone
	}
	return strconv.ParseUint(string(f[19]), 10, 64)
}

// open returns a pidfd of the process, or errGone if it exited or its PID
// was reused. Checking the start time after opening the pidfd makes the
// pidfd certainly the process recorded.
func (p Proc) open() (int, error) {
	if p.PID <= 0 {
		return -1, errGone
	}
	fd, err := unix.PidfdOpen(p.PID, 0)
	if err == unix.ESRCH {
		return -1, errGone
	}
	if err != nil {
		return -1, fmt.Errorf("pidfd_open(%d): %w", p.PID, err)
	}
	st, err := startTime(p.PID)
	if err != nil || st != p.StartTime {
		unix.Close(fd)
		if err == nil || err == errGone {
			return -1, errGone
		}
		return -1, err
	}
	return fd, nil
}

// Alive reports whether the process is still running.
func (p Proc) Alive() bool {
	fd, err := p.open()
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	return !exited(fd)
}

// exited reports whether the pidfd's process has exited.
func exited(fd int) bool {
	pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	n, err := unix.Poll(pfd, 0)
	return err == nil && n > 0
}

// signal sends sig to the process; a process gone is not an error.
func (p Proc) signal(sig unix.Signal) error {
	return p.send(sig, 0)
}

// kill sends SIGKILL to the process and waits up to timeout for it to
// exit. A process already gone is not an error.
func (p Proc) kill(timeout time.Duration) error {
	return p.send(unix.SIGKILL, timeout)
}

// send sends sig through a pidfd (so a reused PID is never hit) and, with
// a timeout, waits that long for the process to exit.
func (p Proc) send(sig unix.Signal, timeout time.Duration) error {
	fd, err := p.open()
	if err == errGone {
		return nil
	}
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := unix.PidfdSendSignal(fd, sig, nil, 0); err != nil && err != unix.ESRCH {
		return fmt.Errorf("sending %v to %d: %w", sig, p.PID, err)
	}
	if timeout == 0 {
		return nil
	}
	return waitExit(fd, p.PID, timeout)
}

// waitExit waits for the pidfd's process to exit.
func waitExit(fd, pid int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		ms := int(time.Until(deadline) / time.Millisecond)
		if ms <= 0 {
			return fmt.Errorf("process %d did not exit within %v", pid, timeout)
		}
		pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(pfd, ms)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("waiting for %d: %w", pid, err)
		}
		if n > 0 {
			return nil
		}
	}
}
