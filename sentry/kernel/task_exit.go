package kernel

import (
	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
)

// exitGroup starts the exit of the task's thread group with status ws. The
// task goroutine notices (deliverSignals returns true) and runs
// finishExit.
func (t *Task) exitGroup(ws linux.WaitStatus) {
	t.k.mu.Lock()
	if t.exitState == exitRunning && !t.exitStatusSet {
		t.exitStatus = ws
		t.exitStatusSet = true
	}
	t.k.mu.Unlock()
	t.sigMu.Lock()
	t.exiting = true
	t.sigMu.Unlock()
	t.interrupt()
}

// Exit is exit(2) and exit_group(2).
func (t *Task) Exit(code int) error {
	t.exitGroup(linux.Exited(code))
	return ErrExit
}

// Kill makes the task die as if by SIGKILL (used at shutdown).
func (t *Task) Kill() {
	t.SendSignalNo(linux.SIGKILL)
}

// releaseResources drops the task's address space, files and FS context.
func (t *Task) releaseResources() {
	if t.mm != nil {
		t.mm.Release()
		t.mm = nil
	}
	if t.fdTable != nil {
		t.fdTable.CloseAll()
		t.fdTable = nil
	}
	if t.fsContext != nil {
		t.fsContext.Release()
		t.fsContext = nil
	}
}

// finishExit runs on the task goroutine after its last switch: it frees the
// task's resources, hands its children to init, and becomes a zombie for
// its parent (or is reaped at once if the parent does not wait).
func (t *Task) finishExit() {
	t.sigMu.Lock()
	t.exiting = true
	if t.itimer != nil {
		t.itimer.stop()
	}
	t.sigMu.Unlock()
	// The vfork parent resumes only once the child's view of its memory
	// is gone.
	t.releaseResources()
	if t.vforkDone != nil {
		close(t.vforkDone)
		t.vforkDone = nil
	}

	k := t.k
	k.mu.Lock()
	if !t.exitStatusSet {
		t.exitStatus = linux.Killed(linux.SIGKILL, false)
	}
	init := t.initOfLocked()
	// Orphans go to their container's init (or are reaped if that init
	// is leaving); those that asked get their parent-death signal.
	var pdeath []*Task
	for c := range t.children {
		if c.pdeathSignal != 0 && c.exitState == exitRunning {
			pdeath = append(pdeath, c)
		}
		delete(t.children, c)
		if init != nil && init != t && init.exitState == exitRunning {
			c.parent = init
			init.children[c] = struct{}{}
			if c.exitState == exitZombie {
				notify(init.childEvent)
			}
		} else {
			c.parent = nil
			if c.exitState == exitZombie {
				c.exitState = exitDead
				delete(k.tasks, c.tid)
			}
		}
	}
	t.exitState = exitZombie
	parent := t.parent
	reap := parent == nil
	var sigchld *linux.SignalInfo
	if parent != nil {
		parent.sigMu.Lock()
		act := parent.handlers.actions[linux.SIGCHLD]
		parent.sigMu.Unlock()
		if t.exitSignal == linux.SIGCHLD && (act.Handler == linux.SIG_IGN || act.Flags&linux.SA_NOCLDWAIT != 0) {
			reap = true
		}
		if t.exitSignal.Valid() {
			status := int32(t.exitStatus.ExitCode())
			if s, ok := t.exitStatus.Signaled(); ok {
				status = int32(s)
			}
			sigchld = &linux.SignalInfo{Signo: int32(t.exitSignal), Code: waitCode(t.exitStatus), PID: t.tid, UID: t.Credentials().RUID, Status: status}
		}
		notify(parent.childEvent)
	}
	if reap {
		t.exitState = exitDead
		if parent != nil {
			delete(parent.children, t)
		}
		delete(k.tasks, t.tid)
	}
	var ended *container
	if t.isInitLocked() {
		ended = k.containers[t.containerID]
		ended.status = t.exitStatus
		ended.init = nil
	}
	k.mu.Unlock()
	for _, c := range pdeath {
		c.SendSignal(&linux.SignalInfo{Signo: int32(c.PdeathSignal()), Code: linux.SI_USER, PID: t.tid})
	}
	if sigchld != nil {
		parent.SendSignal(sigchld)
	}
	if ended != nil {
		// The container ends with its init: kill everything left.
		k.containerInitExited(ended)
	}
}

// notify sends a non-blocking token on a 1-buffered channel.
func notify(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// WaitOptions are the decoded arguments of wait4 and waitid.
type WaitOptions struct {
	// PID selects children: > 0 one child, -1 any, 0 the caller's process
	// group, < -1 the process group -PID.
	PID    int32
	NoHang bool
	NoReap bool // WNOWAIT
	// Exited, Stopped and Continued select the changes to report
	// (WEXITED, WUNTRACED/WSTOPPED, WCONTINUED).
	Exited, Stopped, Continued bool
}

// WaitResult describes a reaped (or, with NoReap, waitable) child.
type WaitResult struct {
	PID    int32
	UID    uint32
	Status linux.WaitStatus
	// Code is the siginfo code waitid reports: CLD_EXITED, CLD_KILLED,
	// CLD_DUMPED, CLD_STOPPED or CLD_CONTINUED.
	Code int32
}

// waitCode returns the CLD_* code of an exit status.
func waitCode(ws linux.WaitStatus) int32 {
	if _, ok := ws.Signaled(); ok {
		if ws&0x80 != 0 {
			return linux.CLD_DUMPED
		}
		return linux.CLD_KILLED
	}
	return linux.CLD_EXITED
}

// Wait waits for a child to exit (wait4, waitid). It returns ECHILD if no
// child matches, and (nil, nil) with NoHang when none has exited yet.
func (t *Task) Wait(o WaitOptions) (*WaitResult, error) {
	for {
		k := t.k
		k.mu.Lock()
		matched := false
		for c := range t.children {
			if !t.waitMatchesLocked(c, o.PID) {
				continue
			}
			matched = true
			var r *WaitResult
			switch {
			case c.exitState == exitZombie && o.Exited:
				r = &WaitResult{PID: c.tid, UID: c.Credentials().RUID, Status: c.exitStatus, Code: waitCode(c.exitStatus)}
				if !o.NoReap {
					c.exitState = exitDead
					delete(t.children, c)
					delete(k.tasks, c.tid)
					t.childrenUserTime += c.UserTime() + c.childrenUserTime
				}
			case c.exitState == exitRunning && o.Stopped && c.stopReport != 0:
				r = &WaitResult{PID: c.tid, UID: c.Credentials().RUID, Status: linux.Stopped(c.stopReport), Code: linux.CLD_STOPPED}
				if !o.NoReap {
					c.stopReport = 0
				}
			case c.exitState == exitRunning && o.Continued && c.contReport:
				r = &WaitResult{PID: c.tid, UID: c.Credentials().RUID, Status: linux.Continued, Code: linux.CLD_CONTINUED}
				if !o.NoReap {
					c.contReport = false
				}
			}
			if r == nil {
				continue
			}
			k.mu.Unlock()
			return r, nil
		}
		k.mu.Unlock()
		if !matched {
			return nil, unix.ECHILD
		}
		if o.NoHang {
			return nil, nil
		}
		if err := t.Block(t.childEvent); err != nil {
			return nil, err
		}
	}
}

// waitMatchesLocked reports whether child c is selected by pid.
// Preconditions: k.mu is held.
func (t *Task) waitMatchesLocked(c *Task, pid int32) bool {
	switch {
	case pid > 0:
		return c.tid == pid
	case pid == -1:
		return true
	case pid == 0:
		return c.pgid == t.pgid
	default:
		return c.pgid == -pid
	}
}
