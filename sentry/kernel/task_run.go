package kernel

import (
	"errors"
	"log"
	"runtime"
	"runtime/debug"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/platform"
	"github.com/cocoon-sandbox/cocoon/sentry/arch"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// Control errors a syscall handler may return besides an errno.
var (
	// ErrNoReturn: the handler set the registers itself (rt_sigreturn,
	// execve); the return value must not be written to rax.
	ErrNoReturn = errors.New("syscall sets its own registers")
	// ErrExit: the task is exiting; the run loop stops.
	ErrExit = errors.New("task exiting")
	// ErrRestartNoHand: interrupted; restart only if no handler runs
	// (pause, sigsuspend, poll: Linux's ERESTARTNOHAND).
	ErrRestartNoHand = errors.New("restart if no handler")
	// ErrRestartNoIntr: interrupted; always restart.
	ErrRestartNoIntr = errors.New("restart always")
)

type restartKind int

const (
	restartNone restartKind = iota
	// restartSys: restart unless a handler without SA_RESTART runs.
	restartSys
	restartNoHand
	restartAlways
)

// syscallInsnLen is the length of the syscall instruction; rewinding rip by
// it re-executes the call.
const syscallInsnLen = 2

// Start starts the task's goroutine.
func (t *Task) Start() {
	t.k.running.Add(1)
	go func() {
		defer t.k.running.Done()
		t.run()
	}()
}

// run is the task goroutine: switch into the application, handle the event,
// deliver signals, repeat. If the platform needs it (ptrace does), it locks
// itself to its OS thread for good, and the thread ends with the goroutine.
func (t *Task) run() {
	if t.k.Platform.NeedsLockedThread() {
		runtime.LockOSThread()
	}
	ctx, err := t.k.Platform.NewContext()
	if err != nil {
		t.Logf("creating platform context: %v", err)
		t.exitGroup(linux.Killed(linux.SIGKILL, false))
		t.finishExit()
		return
	}
	t.ctx = ctx
	t.sharedCtx.Store(&ctx)
	t.applyAffinity()
	defer func() {
		t.sharedCtx.Store(nil)
		ctx.Release()
	}()
loop:
	for {
		t.waitIfFrozen()
		if t.deliverSignals() {
			break loop
		}
		if t.affinityMoved.Load() && t.affinityMoved.Swap(false) {
			t.applyAffinity()
		}
		stepping := t.traced.Load() && t.ptraceStepping()
		if stepping {
			t.st.Regs.Eflags |= eflagsTF
		}
		start := time.Now()
		t.switchStart.Store(start.UnixNano())
		ev, info, err := t.ctx.Switch(t.mm.AddressSpace(), &t.st)
		if stepping {
			t.st.Regs.Eflags &^= eflagsTF
		}
		t.userTime += time.Since(start)
		t.cpuTime.Store(int64(t.userTime))
		t.switchStart.Store(0)
		if err != nil {
			t.Logf("platform: %v", err)
			t.exitGroup(linux.Killed(linux.SIGKILL, false))
			continue
		}
		switch ev {
		case platform.EventSyscall:
			if !t.traced.Load() || !t.ptraceSyscallEntry() {
				t.doSyscall()
			}
			if t.exitThread {
				break loop
			}
			if t.traced.Load() {
				t.ptraceSyscallExit()
			}
		case platform.EventFault:
			if si, err := t.mm.HandleHostFault(info); err != nil {
				// SIGSEGV, or SIGBUS past the end of a mapped file.
				signo := si.Signo
				if signo == 0 {
					signo = int32(linux.SIGSEGV)
				}
				t.forceSignal(&linux.SignalInfo{Signo: signo, Code: si.Code, Addr: uint64(info.Addr)})
			}
		case platform.EventSignal:
			t.forceSignal(&linux.SignalInfo{Signo: info.Signo, Code: info.Code, Addr: uint64(info.Addr)})
		case platform.EventInterrupted:
			// deliverSignals at the top of the loop does the work.
		}
	}
	t.finishExit()
}

// eflagsTF is the trap flag: the CPU traps after one instruction.
const eflagsTF = 0x100

// ptraceStepping reports whether the tracer asked for a single step.
func (t *Task) ptraceStepping() bool {
	m := t.ptraceMode()
	return m == resumeSingleStep || m == resumeSysemuSingleStep
}

// doSyscall runs the system call the task just made, unless its seccomp
// filters (checked first, only for a task that has any) say otherwise.
func (t *Task) doSyscall() {
	if s := t.seccomp.Load(); s != nil && !t.seccompAllows(s) {
		t.restart = restartNone
		return
	}
	nr := t.st.SyscallNo()
	args := t.st.SyscallArgs()
	var fn SyscallFn
	if nr < uintptr(len(t.k.table)) {
		fn = t.k.table[nr].Fn
	}
	if fn == nil {
		t.k.logUnsupported(nr)
		t.setErrno(unix.ENOSYS)
		return
	}
	if nr != unix.SYS_RESTART_SYSCALL {
		t.restartBlock = nil
	}
	rv, err := t.callHandler(fn, nr, args)
	t.restart = restartNone
	switch {
	case err == nil:
		t.st.SetReturn(rv)
	case err == ErrNoReturn, err == ErrExit:
	case err == vfs.ErrInterrupted:
		t.restart = restartSys
	case err == ErrRestartNoHand, err == ErrRestartBlock:
		t.restart = restartNoHand
	case err == ErrRestartNoIntr:
		t.restart = restartAlways
	default:
		var errno unix.Errno
		if errors.As(err, &errno) {
			t.setErrno(errno)
		} else {
			t.Logf("syscall %d: unexpected error %v", nr, err)
			t.setErrno(unix.EIO)
		}
	}
	if t.restart != restartNone {
		// Default to EINTR; delivery decides whether to restart.
		t.setErrno(unix.EINTR)
	}
}

// callHandler runs fn. A panic in a handler is a sentry bug: it must not
// take the whole sandbox down, so it kills only the calling process (with
// SIGSYS, which says "bad system call") and logs the stack.
func (t *Task) callHandler(fn SyscallFn, nr uintptr, args arch.SyscallArgs) (rv uintptr, err error) {
	defer func() {
		if r := recover(); r != nil {
			log.Printf("sentry bug: panic in syscall %d%v: %v\n%s", nr, args, r, debug.Stack())
			t.exitGroup(linux.Killed(linux.SIGSYS, true))
			rv, err = 0, ErrExit
		}
	}()
	return fn(t, args)
}

// restartSyscall rewinds the task to repeat its interrupted system call.
func (t *Task) restartSyscall() {
	t.st.Regs.Rax = t.st.Regs.Orig_rax
	if t.restartBlock != nil {
		t.st.Regs.Rax = unix.SYS_RESTART_SYSCALL
	}
	t.st.Regs.Rip -= syscallInsnLen
}

// setErrno makes the syscall return -errno.
func (t *Task) setErrno(e unix.Errno) {
	t.st.Regs.Rax = uint64(-int64(e))
}
