package kernel

import (
	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
)

// ptrace(2) between the sandbox's own processes, as strace and gdb use
// it. A tracee is a task; its tracer is a process (any of its threads may
// issue requests and wait, a little more lenient than Linux, which ties a
// tracee to the tracing thread). The tracee stops at the points Linux
// stops it (ptrace_stops.go): signal delivery, syscall entry and exit
// with PTRACE_SYSCALL, the fork/vfork/clone/exec/exit events it asked
// for, group stops and PTRACE_INTERRUPT. While it is stopped, its
// goroutine waits on the stop's resume channel and the tracer reads and
// writes its registers and memory.
//
// Locking: Kernel.mu guards every ptrace field (ptraceState, a tracer's
// tracees); a stopped tracee's registers are the tracer's to use between
// the stop (published under Kernel.mu) and the resume (the channel).

// ptrace options (PTRACE_SETOPTIONS).
const (
	PtraceOTraceSysgood   = 1
	PtraceOTraceFork      = 2
	PtraceOTraceVfork     = 4
	PtraceOTraceClone     = 8
	PtraceOTraceExec      = 0x10
	PtraceOTraceVforkDone = 0x20
	PtraceOTraceExit      = 0x40
	PtraceOTraceSeccomp   = 0x80
	PtraceOExitKill       = 0x100000
	PtraceOSuspendSeccomp = 0x200000
	ptraceOptionsMask     = 0x3000ff
)

// ptrace events (status >> 16 of an event stop).
const (
	PtraceEventFork      = 1
	PtraceEventVfork     = 2
	PtraceEventClone     = 3
	PtraceEventExec      = 4
	PtraceEventVforkDone = 5
	PtraceEventExit      = 6
	PtraceEventStop      = 128
)

// resumeMode is how a tracee was resumed.
type resumeMode int

// PtraceResume is a resume mode, for the syscall layer.
type PtraceResume = resumeMode

const (
	resumeCont resumeMode = iota
	resumeSyscall
	resumeSysemu
	resumeSingleStep
	resumeSysemuSingleStep
)

// stopKind is why a tracee is stopped.
type stopKind int

const (
	stopSignal stopKind = iota
	stopSyscallEntry
	stopSyscallExit
	stopEvent
	stopGroup
)

// ptraceStop is a tracee's current ptrace-stop.
type ptraceStop struct {
	kind stopKind
	// status is what wait reports (WIFSTOPPED with the signal and event).
	status linux.WaitStatus
	// info is the siginfo PTRACE_GETSIGINFO reads and SETSIGINFO writes.
	info linux.SignalInfo
	// reported is set once a wait returned the stop.
	reported bool
	// listening is set by PTRACE_LISTEN: the tracee stays stopped but may
	// be woken by a new event (not modelled beyond staying stopped).
	listening bool
	// sig is the signal the tracer resumes with (0: none).
	sig linux.Signal
	// resumed is closed by the tracer's resume.
	resumed chan struct{}
}

// ptraceState is a task's ptrace side, guarded by Kernel.mu.
type ptraceState struct {
	// tracer is the tracing process, nil when not traced.
	tracer  *ThreadGroup
	seized  bool
	options uint32
	mode    resumeMode
	stop    *ptraceStop
	// eventMsg is PTRACE_GETEVENTMSG's answer.
	eventMsg uint64
	// exitReport holds the tracee's exit status for its tracer's wait,
	// when the tracer is not the one that reaps it as a child.
	exitReport    linux.WaitStatus
	hasExitReport bool
	// inSyscall is set between a syscall-entry stop and its exit stop.
	inSyscall bool
}

// Traced reports whether the task is traced.
func (t *Task) Traced() bool {
	t.k.mu.Lock()
	defer t.k.mu.Unlock()
	return t.ptrace.tracer != nil
}

// TracerPID returns the PID of the tracing process, or 0 (/proc status).
func (t *Task) TracerPID() int32 {
	t.k.mu.Lock()
	defer t.k.mu.Unlock()
	if tr := t.ptrace.tracer; tr != nil {
		return tr.id
	}
	return 0
}

// MayPtrace reports whether t may trace or read the memory of target
// (process_vm_readv, pidfd_getfd).
func (t *Task) MayPtrace(target *Task) bool { return t.mayPtrace(target) }

// mayPtrace is Linux's ptrace_may_access(PTRACE_MODE_ATTACH_REALCREDS):
// the caller's real IDs match the target's real, effective and saved
// ones, or it has CAP_SYS_PTRACE.
func (t *Task) mayPtrace(target *Task) bool {
	c, tc := t.Credentials(), target.Credentials()
	if c.HasCapability(unix.CAP_SYS_PTRACE) {
		return true
	}
	return c.RUID == tc.RUID && c.RUID == tc.EUID && c.RUID == tc.SUID &&
		c.RGID == tc.RGID && c.RGID == tc.EGID && c.RGID == tc.SGID
}

// PtraceTraceme makes the caller's parent process its tracer
// (PTRACE_TRACEME).
func (t *Task) PtraceTraceme() error {
	k := t.k
	k.mu.Lock()
	defer k.mu.Unlock()
	if t.ptrace.tracer != nil || t.tg.parent == nil {
		return unix.EPERM
	}
	t.attachLocked(t.tg.parent, false)
	return nil
}

// PtraceAttach makes the caller's process trace target (PTRACE_ATTACH,
// which sends it SIGSTOP, or PTRACE_SEIZE, which does not and sets
// options).
func (t *Task) PtraceAttach(target *Task, seize bool, options uint32) error {
	if seize && options&^ptraceOptionsMask != 0 {
		return unix.EINVAL
	}
	if target.tg == t.tg {
		return unix.EPERM
	}
	if !t.mayPtrace(target) {
		return unix.EPERM
	}
	k := t.k
	k.mu.Lock()
	if target.ptrace.tracer != nil || target.exited.Load() || target.tg.exitState != exitRunning {
		k.mu.Unlock()
		return unix.EPERM
	}
	target.attachLocked(t.tg, seize)
	target.ptrace.options = options
	k.mu.Unlock()
	if !seize {
		target.SendSignal(&linux.SignalInfo{Signo: int32(linux.SIGSTOP), Code: linux.SI_USER, PID: t.tg.ID(), UID: t.Credentials().RUID})
	}
	return nil
}

// attachLocked records tracer as t's tracer.
// Preconditions: k.mu is held.
func (t *Task) attachLocked(tracer *ThreadGroup, seize bool) {
	t.ptrace = ptraceState{tracer: tracer, seized: seize}
	t.traced.Store(true)
	if tracer.tracees == nil {
		tracer.tracees = make(map[*Task]struct{})
	}
	tracer.tracees[t] = struct{}{}
}

// detachLocked ends t's tracing; a stopped tracee resumes with sig.
// Preconditions: k.mu is held.
func (t *Task) detachLocked(sig linux.Signal) {
	if tr := t.ptrace.tracer; tr != nil {
		delete(tr.tracees, t)
	}
	stop := t.ptrace.stop
	t.ptrace = ptraceState{}
	t.traced.Store(false)
	t.ptraceInterrupt.Store(false)
	if stop != nil {
		stop.sig = sig
		close(stop.resumed)
	}
}

// ptraceTracee returns tracee tid of the caller's process, stopped unless
// any is set: ESRCH otherwise, as Linux.
func (t *Task) ptraceTracee(tid int32, any bool) (*Task, *ptraceStop, error) {
	k := t.k
	k.mu.Lock()
	defer k.mu.Unlock()
	o := t.traceeLocked(tid, false)
	if o == nil {
		return nil, nil, unix.ESRCH
	}
	if !any && o.ptrace.stop == nil {
		return nil, nil, unix.ESRCH
	}
	return o, o.ptrace.stop, nil
}

// PtraceTracee returns the stopped tracee tid of the caller's process, for
// requests that read or write its state (ESRCH if it is not stopped).
func (t *Task) PtraceTracee(tid int32) (*Task, error) {
	o, _, err := t.ptraceTracee(tid, false)
	return o, err
}

// PtraceResume resumes stopped tracee tid with sig (0: none) in mode
// (PTRACE_CONT, SYSCALL, SINGLESTEP, SYSEMU).
func (t *Task) PtraceResume(tid int32, mode resumeMode, sig linux.Signal) error {
	if sig != 0 && !sig.Valid() {
		return unix.EIO
	}
	k := t.k
	k.mu.Lock()
	defer k.mu.Unlock()
	o := t.traceeLocked(tid, true)
	if o == nil {
		return unix.ESRCH
	}
	o.ptrace.mode = mode
	stop := o.ptrace.stop
	o.ptrace.stop = nil
	stop.sig = sig
	close(stop.resumed)
	return nil
}

// Ptrace resume modes, for the syscall layer.
const (
	PtraceResumeCont             = resumeCont
	PtraceResumeSyscall          = resumeSyscall
	PtraceResumeSysemu           = resumeSysemu
	PtraceResumeSingleStep       = resumeSingleStep
	PtraceResumeSysemuSingleStep = resumeSysemuSingleStep
)

// PtraceDetach ends the tracing of stopped tracee tid, which resumes with
// sig.
func (t *Task) PtraceDetach(tid int32, sig linux.Signal) error {
	if sig != 0 && !sig.Valid() {
		return unix.EIO
	}
	k := t.k
	k.mu.Lock()
	defer k.mu.Unlock()
	o := t.traceeLocked(tid, false)
	if o == nil {
		return unix.ESRCH
	}
	o.detachLocked(sig)
	return nil
}

// PtraceKill kills tracee tid (PTRACE_KILL).
func (t *Task) PtraceKill(tid int32) error {
	o, _, err := t.ptraceTracee(tid, true)
	if err != nil {
		return err
	}
	o.tg.SendSignal(&linux.SignalInfo{Signo: int32(linux.SIGKILL), Code: linux.SI_KERNEL})
	return nil
}

// PtraceInterrupt makes seized tracee tid stop (PTRACE_INTERRUPT).
func (t *Task) PtraceInterrupt(tid int32) error {
	k := t.k
	k.mu.Lock()
	o := t.traceeLocked(tid, false)
	if o == nil {
		k.mu.Unlock()
		return unix.ESRCH
	}
	if !o.ptrace.seized {
		k.mu.Unlock()
		return unix.EIO
	}
	o.ptraceInterrupt.Store(true)
	k.mu.Unlock()
	o.interrupt()
	return nil
}

// PtraceListen keeps a group-stopped seized tracee stopped (PTRACE_LISTEN).
func (t *Task) PtraceListen(tid int32) error {
	k := t.k
	k.mu.Lock()
	defer k.mu.Unlock()
	o := t.traceeLocked(tid, true)
	if o == nil {
		return unix.ESRCH
	}
	if !o.ptrace.seized || o.ptrace.stop.kind != stopGroup && o.ptrace.stop.status>>16 != PtraceEventStop {
		return unix.EIO
	}
	o.ptrace.stop.listening = true
	return nil
}

// PtraceSetOptions sets tracee tid's options (PTRACE_SETOPTIONS).
func (t *Task) PtraceSetOptions(tid int32, options uint32) error {
	if options&^ptraceOptionsMask != 0 {
		return unix.EINVAL
	}
	k := t.k
	k.mu.Lock()
	defer k.mu.Unlock()
	o := t.traceeLocked(tid, true)
	if o == nil {
		return unix.ESRCH
	}
	o.ptrace.options = options
	return nil
}

// PtraceEventMsg returns tracee tid's event message (PTRACE_GETEVENTMSG).
func (t *Task) PtraceEventMsg(tid int32) (uint64, error) {
	o, _, err := t.ptraceTracee(tid, false)
	if err != nil {
		return 0, err
	}
	t.k.mu.Lock()
	defer t.k.mu.Unlock()
	return o.ptrace.eventMsg, nil
}

// PtraceSigInfo reads, and if set is given replaces, the siginfo of
// tracee tid's stop (PTRACE_GETSIGINFO, PTRACE_SETSIGINFO).
func (t *Task) PtraceSigInfo(tid int32, set *linux.SignalInfo) (linux.SignalInfo, error) {
	k := t.k
	k.mu.Lock()
	defer k.mu.Unlock()
	o := t.traceeLocked(tid, true)
	if o == nil {
		return linux.SignalInfo{}, unix.ESRCH
	}
	stop := o.ptrace.stop
	if stop.kind != stopSignal && stop.kind != stopEvent && stop.kind != stopSyscallEntry && stop.kind != stopSyscallExit {
		return linux.SignalInfo{}, unix.EINVAL
	}
	if set != nil {
		stop.info = *set
	}
	return stop.info, nil
}

// PtraceSyscallInfo describes tracee tid's stop for PTRACE_GET_SYSCALL_INFO:
// op 1 (entry) with the number and arguments, 2 (exit) with the result,
// or 0.
func (t *Task) PtraceSyscallInfo(tid int32) (op uint8, o *Task, err error) {
	o, stop, err := t.ptraceTracee(tid, false)
	if err != nil {
		return 0, nil, err
	}
	switch stop.kind {
	case stopSyscallEntry:
		return 1, o, nil
	case stopSyscallExit:
		return 2, o, nil
	}
	return 0, o, nil
}

// traceeLocked returns thread tid if t's thread group traces it (and, if
// stopped, it is in a ptrace stop), else nil: ESRCH for the caller.
// Preconditions: k.mu is held.
func (t *Task) traceeLocked(tid int32, stopped bool) *Task {
	o := t.k.tasks[tid]
	if o == nil || o.ptrace.tracer != t.tg || (stopped && o.ptrace.stop == nil) {
		return nil
	}
	return o
}
