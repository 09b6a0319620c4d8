package kernel

import (
	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
)

// The tracee's side of ptrace: where it stops, and what its tracer's wait
// sees. Every hook first checks t.traced (one atomic load), so untraced
// tasks pay nothing else.

// stateTraced is the run state of a task in a ptrace-stop.
const stateTraced int32 = stateStopped + 1

// trapStatus is the wait status of a stop by SIGTRAP with event ev.
func trapStatus(ev int) linux.WaitStatus {
	return linux.WaitStatus(int(linux.SIGTRAP)|ev<<8)<<8 | 0x7f
}

// ptraceStop puts the task in a ptrace-stop, tells its tracer, and waits
// until the tracer resumes it. It returns the signal the tracer resumed
// it with and the stop's siginfo (which PTRACE_SETSIGINFO may have
// changed); ok is false if the task is not traced (nothing happened) or
// was killed while stopped.
func (t *Task) ptraceStop(kind stopKind, status linux.WaitStatus, info linux.SignalInfo, eventMsg uint64) (sig linux.Signal, out linux.SignalInfo, ok bool) {
	if t.ctx != nil && t.mm != nil {
		// The tracer may read the FP registers.
		t.ctx.SaveFP(t.mm.AddressSpace(), &t.st)
	}
	k := t.k
	k.mu.Lock()
	tracer := t.ptrace.tracer
	exitStop := kind == stopEvent && status == trapStatus(PtraceEventExit)
	if tracer == nil || t.ptraceAborts(exitStop) {
		k.mu.Unlock()
		return 0, info, false
	}
	stop := &ptraceStop{kind: kind, status: status, info: info, resumed: make(chan struct{})}
	t.ptrace.stop = stop
	t.ptrace.eventMsg = eventMsg
	tracer.childEventLocked()
	k.mu.Unlock()
	tracer.SendSignal(&linux.SignalInfo{Signo: int32(linux.SIGCHLD), Code: linux.CLD_TRAPPED, PID: t.TID(),
		UID: t.Credentials().RUID, Status: int32(status>>8) & 0xff})

	t.runState.Store(stateTraced)
	defer t.runState.Store(stateRunning)
	for {
		select {
		case <-stop.resumed:
			k.mu.Lock()
			info = stop.info
			k.mu.Unlock()
			return stop.sig, info, true
		case <-t.interruptCh:
			if t.ptraceAborts(exitStop) {
				k.mu.Lock()
				if t.ptrace.stop == stop {
					t.ptrace.stop = nil
				}
				k.mu.Unlock()
				return 0, info, false
			}
		}
	}
}

// dying reports whether the task is being killed (SIGKILL, group exit,
// an execve of another thread).
func (t *Task) dying() bool { return t.ptraceAborts(false) }

// ptraceAborts reports whether a ptrace-stop must not happen or must end:
// the task is killed (SIGKILL, an execve of another thread), or its
// process is exiting, which only the PTRACE_EVENT_EXIT stop (exitStop)
// of an exit that is not SIGKILL outlives.
func (t *Task) ptraceAborts(exitStop bool) bool {
	t.tg.sigMu.Lock()
	defer t.tg.sigMu.Unlock()
	if t.zapped.Load() || t.pendingLocked()&linux.SIGKILL.Mask() != 0 {
		return true
	}
	return t.tg.exiting && !exitStop
}

// ptraceSignalStop is the signal-delivery-stop of info (not SIGKILL): the
// tracer may suppress the signal (ok false), change it, or let it go.
func (t *Task) ptraceSignalStop(info linux.SignalInfo) (linux.SignalInfo, bool) {
	sig, out, traced := t.ptraceStop(stopSignal, linux.Stopped(linux.Signal(info.Signo)), info, 0)
	if !traced {
		return info, !t.dying()
	}
	if sig == 0 {
		return out, false
	}
	if int32(sig) != out.Signo {
		// A new signal from the tracer, as Linux's ptrace_signal.
		out = linux.SignalInfo{Signo: int32(sig), Code: linux.SI_USER}
		if tr := t.TracerPID(); tr != 0 {
			out.PID = tr
		}
	}
	return out, true
}

// ptraceMode returns how the tracer last resumed the task.
func (t *Task) ptraceMode() resumeMode {
	t.k.mu.Lock()
	defer t.k.mu.Unlock()
	return t.ptrace.mode
}

func (t *Task) ptraceOptions() uint32 {
	t.k.mu.Lock()
	defer t.k.mu.Unlock()
	return t.ptrace.options
}

// syscallTrapStatus is the status of a syscall stop: SIGTRAP, with 0x80
// under PTRACE_O_TRACESYSGOOD.
func (t *Task) syscallTrapStatus() (linux.WaitStatus, linux.SignalInfo) {
	sig := int(linux.SIGTRAP)
	if t.ptraceOptions()&PtraceOTraceSysgood != 0 {
		sig |= 0x80
	}
	return linux.WaitStatus(sig)<<8 | 0x7f, linux.SignalInfo{Signo: int32(linux.SIGTRAP), Code: int32(sig)}
}

// ptraceSyscallEntry is the syscall-entry stop under PTRACE_SYSCALL or
// PTRACE_SYSEMU: the tracer sees rax = -ENOSYS and may change the number
// and arguments, or make it skip the call (orig_rax = -1). It reports
// whether the call must not run.
func (t *Task) ptraceSyscallEntry() (skip bool) {
	mode := t.ptraceMode()
	if mode != resumeSyscall && mode != resumeSysemu && mode != resumeSysemuSingleStep {
		return false
	}
	enosys := int64(unix.ENOSYS)
	t.st.Regs.Rax = uint64(-enosys)
	status, info := t.syscallTrapStatus()
	t.k.mu.Lock()
	t.ptrace.inSyscall = true
	t.k.mu.Unlock()
	_, _, ok := t.ptraceStop(stopSyscallEntry, status, info, 0)
	if !ok {
		return true
	}
	if mode != resumeSyscall {
		// Emulation: the tracer answers for the call.
		return true
	}
	return int64(t.st.Regs.Orig_rax) < 0
}

// ptraceSyscallExit is the syscall-exit stop after a call that had an
// entry stop under PTRACE_SYSCALL.
func (t *Task) ptraceSyscallExit() {
	t.k.mu.Lock()
	in := t.ptrace.inSyscall
	t.ptrace.inSyscall = false
	mode := t.ptrace.mode
	t.k.mu.Unlock()
	if !in || mode != resumeSyscall {
		return
	}
	status, info := t.syscallTrapStatus()
	t.ptraceStop(stopSyscallExit, status, info, 0)
}

// ptraceEvent stops at event ev with msg if the tracer asked for it
// (option), and reports whether it did.
func (t *Task) ptraceEvent(ev int, option uint32, msg uint64) bool {
	if !t.traced.Load() || t.ptraceOptions()&option == 0 {
		return false
	}
	_, _, ok := t.ptraceStop(stopEvent, trapStatus(ev), linux.SignalInfo{Signo: int32(linux.SIGTRAP), Code: int32(linux.SIGTRAP) | int32(ev)<<8}, msg)
	return ok
}

// ptraceInterruptStop is the PTRACE_EVENT_STOP of PTRACE_INTERRUPT (and of
// a new child of a seized tracee).
func (t *Task) ptraceInterruptStop() {
	if t.ptraceInterrupt.Swap(false) {
		t.ptraceStop(stopEvent, trapStatus(PtraceEventStop), linux.SignalInfo{Signo: int32(linux.SIGTRAP), Code: int32(linux.SIGTRAP) | PtraceEventStop<<8}, 0)
	}
}

// ptraceGroupStop is a traced task's part in a group stop: reported to
// the tracer, and ended by the tracer's resume (not by SIGCONT), as Linux.
func (t *Task) ptraceGroupStop(sig linux.Signal) {
	status := linux.Stopped(sig)
	t.k.mu.Lock()
	if t.ptrace.seized {
		status |= PtraceEventStop << 16
	}
	t.k.mu.Unlock()
	t.ptraceStop(stopGroup, status, linux.SignalInfo{Signo: int32(sig), Code: linux.SI_USER}, 0)
}

// ptraceCloneEvent reports a new child or thread to the tracer of t, as
// the fork, vfork or clone event it asked for: the child is traced too,
// and starts stopped.
// Preconditions: child has not started.
func (t *Task) ptraceCloneEvent(child *Task, o CloneOptions) {
	if !t.traced.Load() {
		return
	}
	_, option := cloneEvent(o)
	k := t.k
	k.mu.Lock()
	tracer, opts, seized := t.ptrace.tracer, t.ptrace.options, t.ptrace.seized
	auto := tracer != nil && opts&option != 0 && o.Flags&CLONE_UNTRACED == 0
	if auto {
		child.attachLocked(tracer, seized)
		child.ptrace.options = opts
	}
	k.mu.Unlock()
	if !auto {
		return
	}
	if seized {
		child.ptraceInterrupt.Store(true)
		return
	}
	ctg := child.tg
	ctg.sigMu.Lock()
	if child.pending.enqueue(&linux.SignalInfo{Signo: int32(linux.SIGSTOP), Code: linux.SI_KERNEL}) {
		ctg.queued++
	}
	ctg.sigMu.Unlock()
}

// ptraceCloneStop is the parent's event stop after a traced clone.
func (t *Task) ptraceCloneStop(child *Task, o CloneOptions) {
	if !t.traced.Load() || !child.traced.Load() {
		return
	}
	ev, option := cloneEvent(o)
	t.ptraceEvent(ev, option, uint64(child.TID()))
}

// cloneEvent returns the ptrace event of a clone and its option, as
// Linux's kernel_clone chooses them.
func cloneEvent(o CloneOptions) (int, uint32) {
	switch {
	case o.Flags&CLONE_VFORK != 0:
		return PtraceEventVfork, PtraceOTraceVfork
	case o.Flags&CLONE_THREAD != 0 || o.ExitSignal != linux.SIGCHLD:
		return PtraceEventClone, PtraceOTraceClone
	}
	return PtraceEventFork, PtraceOTraceFork
}

// ptraceExec is the stop after a successful execve: PTRACE_EVENT_EXEC
// with the former TID if asked for, else the legacy SIGTRAP (not for a
// seized tracee).
func (t *Task) ptraceExec(formerTID int32) {
	if !t.traced.Load() {
		return
	}
	if t.ptraceEvent(PtraceEventExec, PtraceOTraceExec, uint64(formerTID)) {
		return
	}
	t.k.mu.Lock()
	seized := t.ptrace.seized
	t.k.mu.Unlock()
	if !seized {
		t.SendSignal(&linux.SignalInfo{Signo: int32(linux.SIGTRAP), Code: linux.SI_USER})
	}
}

// ptraceExit runs when the traced task leaves: PTRACE_EVENT_EXIT first
// (unless it was SIGKILLed), then the exit is recorded for the tracer's
// wait unless the tracer reaps the task as its own child anyway.
// Preconditions: called by finishExit before the task leaves its group.
func (t *Task) ptraceExitEvent() {
	if !t.traced.Load() || t.sigkilled() {
		return
	}
	status := uint64(t.exitCode)
	t.k.mu.Lock()
	if t.tg.exitStatusSet {
		status = uint64(t.tg.exitStatus)
	}
	t.k.mu.Unlock()
	t.ptraceEvent(PtraceEventExit, PtraceOTraceExit, status)
}

func (t *Task) sigkilled() bool {
	t.tg.sigMu.Lock()
	defer t.tg.sigMu.Unlock()
	return t.pendingLocked()&linux.SIGKILL.Mask() != 0 || t.tg.exitStatus == linux.Killed(linux.SIGKILL, false) && t.tg.exitStatusSet
}

// ptraceExitLocked records the task's exit for its tracer, or detaches it
// when the tracer will reap it as its child. It returns the tracer to
// signal.
// Preconditions: k.mu is held; the task has left its group (last says
// whether it was the process's last thread).
func (t *Task) ptraceExitLocked(last bool) *ThreadGroup {
	tracer := t.ptrace.tracer
	if tracer == nil {
		return nil
	}
	if last && t == t.tg.leader && t.tg.parent == tracer {
		t.detachLocked(0)
		return nil
	}
	status := t.exitCode
	if t.tg.exitStatusSet {
		status = t.tg.exitStatus
	}
	t.ptrace.stop = nil
	t.ptrace.exitReport, t.ptrace.hasExitReport = status, true
	tracer.childEventLocked()
	return tracer
}

// ptraceWaitLocked returns tracee o's stop or exit for its tracer's wait,
// consuming it unless NoReap.
// Preconditions: k.mu is held; o is one of tg's tracees.
func (tg *ThreadGroup) ptraceWaitLocked(o *Task, opts WaitOptions) *WaitResult {
	uid := o.Credentials().RUID
	if o.ptrace.hasExitReport && opts.Exited {
		st := o.ptrace.exitReport
		r := &WaitResult{PID: o.TID(), UID: uid, Status: st, Code: waitCode(st)}
		if !opts.NoReap {
			o.detachLocked(0)
		}
		return r
	}
	if stop := o.ptrace.stop; stop != nil && !stop.reported {
		r := &WaitResult{PID: o.TID(), UID: uid, Status: stop.status, Code: linux.CLD_TRAPPED}
		if !opts.NoReap {
			stop.reported = true
		}
		return r
	}
	return nil
}

// ptraceWaitMatchesLocked reports whether tracee o is selected by pid.
// Preconditions: k.mu is held.
func (tg *ThreadGroup) ptraceWaitMatchesLocked(o *Task, pid int32) bool {
	switch {
	case pid > 0:
		return o.TID() == pid
	case pid == -1:
		return true
	case pid == 0:
		return o.tg.pgid == tg.pgid
	default:
		return o.tg.pgid == -pid
	}
}

// releaseTraceesLocked detaches the tracees of an exiting tracer, killing
// those that asked for PTRACE_O_EXITKILL.
// Preconditions: k.mu is held.
func (tg *ThreadGroup) releaseTraceesLocked() (kill []*Task) {
	for o := range tg.tracees {
		if o.ptrace.options&PtraceOExitKill != 0 {
			kill = append(kill, o)
		}
		o.detachLocked(0)
	}
	tg.tracees = nil
	return kill
}
