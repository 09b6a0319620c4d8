package kernel

import (
	"slices"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
)

// exitGroup starts the exit of the task's thread group with status ws
// (the first status recorded wins). Every thread notices (deliverSignals
// returns true) and runs finishExit.
func (t *Task) exitGroup(ws linux.WaitStatus) {
	tg := t.tg
	t.k.mu.Lock()
	if tg.exitState == exitRunning && !tg.exitStatusSet {
		tg.exitStatus = ws
		tg.exitStatusSet = true
	}
	t.k.mu.Unlock()
	tg.sigMu.Lock()
	tg.exiting = true
	tg.interruptAllLocked()
	tg.sigMu.Unlock()
}

// ExitGroup is exit_group(2): every thread of the process ends, and the
// process exits with code.
func (t *Task) ExitGroup(code int) error {
	t.exitGroup(linux.Exited(code))
	return ErrExit
}

// Exit is exit(2): only the calling thread ends. The process lives on
// while it has other threads; when the last one leaves, the process exits
// with that thread's status, unless a group exit set one (as Linux shows).
func (t *Task) Exit(code int) error {
	t.exitThread = true
	t.exitCode = linux.Exited(code)
	return ErrExit
}

// Kill makes the task's process die as if by SIGKILL (used at shutdown).
func (t *Task) Kill() {
	t.tg.SendSignal(&linux.SignalInfo{Signo: int32(linux.SIGKILL), Code: linux.SI_KERNEL})
}

// releaseResources drops the task's share of its address space, files and
// FS context.
func (t *Task) releaseResources() {
	if t.mm != nil {
		t.mm.Release()
		t.mm = nil
	}
	if t.fdTable != nil {
		t.fdTable.DecRef()
		t.fdTable = nil
	}
	if t.fsContext != nil {
		t.fsContext.Release()
		t.fsContext = nil
	}
}

// finishExit runs on the task goroutine after its last switch: it leaves
// its thread group, frees its resources and, if it was the last thread,
// ends the process (exitLastLocked). A leader that is not the last stays
// in the tables, a zombie, until its process is reaped.
//
// The thread leaves the tables before its CLEARTID futex wake, so that a
// pthread_join that returns finds its TID gone (tgkill answers ESRCH,
// /proc/self/task no longer lists it), as on Linux, where the exiting
// thread's unhashing rarely loses that race.
func (t *Task) finishExit() {
	tg := t.tg
	t.ptraceExitEvent()
	last := t.leaveThreadGroup()
	t.exitFutexes()
	t.releaseResources()
	// The vfork parent resumes only once the child's view of its memory
	// is gone.
	if t.vforkDone != nil {
		close(t.vforkDone)
		t.vforkDone = nil
	}

	k := t.k
	k.mu.Lock()
	tracer := t.ptraceExitLocked(last)
	var after func()
	if last {
		after = tg.exitLastLocked()
	}
	k.mu.Unlock()
	if tracer != nil {
		tracer.SendSignal(&linux.SignalInfo{Signo: int32(linux.SIGCHLD), Code: waitCode(t.exitCode), PID: t.TID(), UID: t.Credentials().RUID})
	}
	if after != nil {
		after()
	}
}

// leaveThreadGroup takes the exiting task out of its thread group and,
// unless it leads the group, out of the TID table; it reports whether it
// was the group's last thread.
func (t *Task) leaveThreadGroup() (last bool) {
	tg, k := t.tg, t.k
	k.mu.Lock()
	defer k.mu.Unlock()
	tg.sigMu.Lock()
	tg.tasks = slices.DeleteFunc(tg.tasks, func(o *Task) bool { return o == t })
	last = len(tg.tasks) == 0
	if last {
		tg.exiting = true
	}
	// Signals queued for this thread alone die with it.
	tg.queued -= t.pending.discard(^linux.SignalSet(0))
	if tg.stopped && tg.stopCount > 0 {
		tg.stopCount--
	}
	t.exited.Store(true)
	tg.sigMu.Unlock()
	if last && !tg.exitStatusSet {
		tg.lastStatus = t.exitCode
	}
	tg.exitedUserTime += t.UserTime()
	if t != tg.leader {
		delete(k.tasks, t.TID())
	}
	if tg.threadsGone != nil {
		notify(tg.threadsGone)
	}
	return last
}

// exitLastLocked ends the process once its last thread left: its children
// go to their container's init, it becomes a zombie for its parent (or is
// reaped at once if the parent does not wait), and a container whose init
// this was ends. It returns what to do once k.mu is released: the signals
// to send.
// Preconditions: k.mu is held; tg has no task left.
func (tg *ThreadGroup) exitLastLocked() (after func()) {
	k := tg.k
	tg.sigMu.Lock()
	if tg.itimer != nil {
		tg.itimer.stop()
	}
	tg.sigMu.Unlock()
	if !tg.exitStatusSet {
		tg.exitStatus = tg.lastStatus
	}
	pdeath := tg.reparentChildrenLocked()
	untraced := tg.releaseTraceesLocked()
	tg.exitState = exitZombie
	parent := tg.parent
	reap := parent == nil
	var sigchld *linux.SignalInfo
	if parent != nil {
		parent.sigMu.Lock()
		act := parent.handlers.actions[linux.SIGCHLD]
		parent.sigMu.Unlock()
		if tg.exitSignal == linux.SIGCHLD && (act.Handler == linux.SIG_IGN || act.Flags&linux.SA_NOCLDWAIT != 0) {
			reap = true
		}
		if tg.exitSignal.Valid() {
			status := int32(tg.exitStatus.ExitCode())
			if s, ok := tg.exitStatus.Signaled(); ok {
				status = int32(s)
			}
			sigchld = &linux.SignalInfo{Signo: int32(tg.exitSignal), Code: waitCode(tg.exitStatus), PID: tg.ID(), UID: tg.leader.Credentials().RUID, Status: status}
		}
		parent.childEventLocked()
	}
	if reap {
		if parent != nil {
			delete(parent.children, tg)
		}
		k.removeLocked(tg)
	}
	if parent == nil {
		tg.execExitedLocked()
	}
	var ended *container
	if tg.isInitLocked() {
		ended = k.containers[tg.containerID]
		ended.status = tg.exitStatus
		ended.init = nil
	}
	return func() {
		for _, o := range untraced {
			o.tg.SendSignal(&linux.SignalInfo{Signo: int32(linux.SIGKILL), Code: linux.SI_KERNEL})
		}
		tg.deleteTimers(true)
		tg.exitWaiters.Notify(linux.POLLIN | linux.POLLRDNORM | linux.POLLHUP)
		for _, p := range pdeath {
			p.tg.SendSignal(&linux.SignalInfo{Signo: int32(p.sig), Code: linux.SI_USER, PID: tg.ID()})
		}
		if sigchld != nil {
			parent.SendSignal(sigchld)
		}
		if ended != nil {
			// The container ends with its init: kill everything left.
			k.containerInitExited(ended)
		}
	}
}

// pdeathSignal is a parent-death signal due to a child process.
type pdeathSignal struct {
	tg  *ThreadGroup
	sig linux.Signal
}

// reparentChildrenLocked hands tg's children to their container's init,
// or reaps the zombies among them if that init is leaving (Linux's
// forget_original_parent), and returns the parent-death signals they
// asked for.
// Preconditions: k.mu is held.
func (tg *ThreadGroup) reparentChildrenLocked() []pdeathSignal {
	k := tg.k
	init := tg.initOfLocked()
	var pdeath []pdeathSignal
	for c := range tg.children {
		for _, ct := range c.tasks {
			if ct.pdeathSignal != 0 && c.exitState == exitRunning {
				pdeath = append(pdeath, pdeathSignal{c, ct.pdeathSignal})
			}
		}
		delete(tg.children, c)
		if init != nil && init != tg && init.exitState == exitRunning {
			c.parent = init
			init.children[c] = struct{}{}
			if c.exitState == exitZombie {
				init.childEventLocked()
			}
		} else {
			c.parent = nil
			if c.exitState == exitZombie {
				k.removeLocked(c)
			}
		}
	}
	return pdeath
}

// childEventLocked wakes every thread of tg waiting for a child's
// change of state.
// Preconditions: k.mu is held.
func (tg *ThreadGroup) childEventLocked() {
	close(tg.childEvent)
	tg.childEvent = make(chan struct{})
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
	tg := t.tg
	k := t.k
	for {
		k.mu.Lock()
		// Taken before looking, so that a change made after the
		// look closes the channel this thread then blocks on.
		event := tg.childEvent
		matched := false
		// A tracee's stops and exit come first, as Linux's
		// ptrace_do_wait.
		for c := range tg.tracees {
			if !tg.ptraceWaitMatchesLocked(c, o.PID) {
				continue
			}
			matched = true
			if r := tg.ptraceWaitLocked(c, o); r != nil {
				k.mu.Unlock()
				return r, nil
			}
		}
		for c := range tg.children {
			if !tg.waitMatchesLocked(c, o.PID) {
				continue
			}
			matched = true
			if r := tg.waitOneLocked(c, o); r != nil {
				k.mu.Unlock()
				return r, nil
			}
		}
		k.mu.Unlock()
		if !matched {
			return nil, unix.ECHILD
		}
		if o.NoHang {
			return nil, nil
		}
		if err := t.Block(event); err != nil {
			return nil, err
		}
	}
}

// waitOneLocked returns child c's change that o asks for, if it has one,
// and consumes it unless o.NoReap: an exit (the zombie is reaped), a stop
// or a continue.
// Preconditions: k.mu is held; c is a child of tg.
func (tg *ThreadGroup) waitOneLocked(c *ThreadGroup, o WaitOptions) *WaitResult {
	uid := c.leader.Credentials().RUID
	switch {
	case c.exitState == exitZombie && o.Exited:
		r := &WaitResult{PID: c.ID(), UID: uid, Status: c.exitStatus, Code: waitCode(c.exitStatus)}
		if !o.NoReap {
			delete(tg.children, c)
			tg.k.removeLocked(c)
			tg.childrenUserTime += c.userTimeLocked() + c.childrenUserTime
		}
		return r
	case c.exitState == exitRunning && o.Stopped && c.stopReport != 0:
		r := &WaitResult{PID: c.ID(), UID: uid, Status: linux.Stopped(c.stopReport), Code: linux.CLD_STOPPED}
		if !o.NoReap {
			c.stopReport = 0
		}
		return r
	case c.exitState == exitRunning && o.Continued && c.contReport:
		r := &WaitResult{PID: c.ID(), UID: uid, Status: linux.Continued, Code: linux.CLD_CONTINUED}
		if !o.NoReap {
			c.contReport = false
		}
		return r
	}
	return nil
}

// waitMatchesLocked reports whether child c is selected by pid.
// Preconditions: k.mu is held.
func (tg *ThreadGroup) waitMatchesLocked(c *ThreadGroup, pid int32) bool {
	switch {
	case pid > 0:
		return c.ID() == pid
	case pid == -1:
		return true
	case pid == 0:
		return c.pgid == tg.pgid
	default:
		return c.pgid == -pid
	}
}
