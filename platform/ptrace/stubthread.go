package ptrace

import (
	"fmt"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/platform"
)

// stubExitError says a stub process died (and has been reaped by the wait
// that saw it). It wraps platform.ErrContextBroken.
type stubExitError struct {
	pid    int32
	status unix.WaitStatus
}

func (e *stubExitError) Error() string {
	if e.status.Signaled() {
		return fmt.Sprintf("stub %d killed by %v", e.pid, e.status.Signal())
	}
	return fmt.Sprintf("stub %d exited with status %d", e.pid, e.status.ExitStatus())
}

func (e *stubExitError) Unwrap() error { return platform.ErrContextBroken }

// broken wraps a failed ptrace operation on a stub.
func broken(what string, pid int32, e unix.Errno) error {
	return fmt.Errorf("%s stub %d: %w (%w)", what, pid, e, platform.ErrContextBroken)
}

// stopInfo splits a wait status of a stopped tracee into the stop signal
// and the ptrace event (status>>16).
func stopInfo(ws unix.WaitStatus) (sig unix.Signal, event uint32) {
	return unix.Signal((uint32(ws) >> 8) & 0xff), uint32(ws) >> 16
}

// runToTrap resumes the stopped thread tid with PTRACE_CONT and waits until
// it stops with a plain SIGTRAP (an int3 in the stub). Other stops (a stale
// interrupt signal, a stray signal from outside) are suppressed and the
// thread resumed. The caller must be tid's tracer.
func runToTrap(tid int32, status *unix.WaitStatus) error {
	for {
		if e := ptrace(unix.PTRACE_CONT, tid, 0, 0); e != 0 {
			return broken("resuming", tid, e)
		}
		if e := wait(tid, status); e != 0 {
			return broken("waiting for", tid, e)
		}
		if !status.Stopped() {
			return &stubExitError{pid: tid, status: *status}
		}
		if sig, event := stopInfo(*status); sig == unix.SIGTRAP && event == 0 {
			return nil
		}
	}
}

// injectSyscall makes the stopped stub thread tid execute one system call
// at the instruction site (a "syscall" followed by "int3") and returns rax.
// regs is scratch that must hold registers read from a stub thread (valid
// segment selectors); it is left with the thread's registers after the
// call. The thread's previous registers are not restored: every Switch
// loads the application's registers in full before it runs again.
//
// orig_rax is set to -1 so that the kernel's system-call restart logic
// never rewrites rip or rax on the way back to user mode.
func injectSyscall(tid int32, regs *unix.PtraceRegs, status *unix.WaitStatus, site, trapRIP uint64, nr uint64, args [6]uint64) (uint64, error) {
	regs.Rip = site
	regs.Rax = nr
	regs.Orig_rax = ^uint64(0)
	regs.Rdi, regs.Rsi, regs.Rdx, regs.R10, regs.R8, regs.R9 = args[0], args[1], args[2], args[3], args[4], args[5]
	regs.Eflags &^= 0x100 // never single-step
	if e := setRegs(tid, regs); e != 0 {
		return 0, broken("setting registers of", tid, e)
	}
	if err := runToTrap(tid, status); err != nil {
		return 0, err
	}
	if e := getRegs(tid, regs); e != 0 {
		return 0, broken("getting registers of", tid, e)
	}
	if regs.Rip != trapRIP {
		return 0, fmt.Errorf("stub %d trapped at %#x after system call %d, want %#x: %w", tid, regs.Rip, nr, trapRIP, platform.ErrContextBroken)
	}
	return regs.Rax, nil
}

// errnoOf returns the error of a raw system-call return value.
func errnoOf(rax uint64) unix.Errno {
	if int64(rax) < 0 && int64(rax) >= -4095 {
		return unix.Errno(-int64(rax))
	}
	return 0
}

// reap waits for the dead or dying process pid to be gone, retrying on
// EINTR; ECHILD means someone already reaped it.
func reap(pid int32) {
	var status unix.WaitStatus
	for {
		if e := wait(pid, &status); e != 0 {
			return // ECHILD: already reaped.
		}
		if status.Exited() || status.Signaled() {
			return
		}
		// A stop reported before the SIGKILL took effect: keep waiting.
	}
}

// runToExit resumes the stopped stub thread tid, whose registers are set
// to make exit(2), and reaps it. A signal queued on the thread meanwhile
// (an Interrupt's SIGSTOP that came after its Switch returned) stops it
// again before the system call: each such stop is resumed with the signal
// suppressed, until the thread has exited.
func runToExit(tid int32) {
	var status unix.WaitStatus
	for {
		if ptrace(unix.PTRACE_CONT, tid, 0, 0) != 0 {
			// ESRCH: not in a stop, so killed with its process
			// meanwhile; it is on its way out.
			reap(tid)
			return
		}
		if e := wait(tid, &status); e != 0 {
			return // ECHILD: already reaped.
		}
		if status.Exited() || status.Signaled() {
			return
		}
	}
}

// reapThread is reap for a stub thread killed with its process, called
// from a sentry thread that may not be its tracer. It must not block in
// wait4: if the tracer thread exits meanwhile, the kernel detaches the
// stub thread, which then reaps itself without waking anyone waiting for
// it, and a blocking wait4 would sleep forever. So it polls: at most a
// few milliseconds, as long as SIGKILL takes to end a thread.
func reapThread(tid int32) {
	var status unix.WaitStatus
	for pause := time.Microsecond; ; pause = min(2*pause, time.Millisecond) {
		r, e := waitOpts(tid, &status, unix.WALL|unix.WNOHANG)
		switch {
		case e != 0:
			return // ECHILD: reaped, by us or by itself once detached.
		case r == tid && (status.Exited() || status.Signaled()):
			return
		case r == 0:
			time.Sleep(pause)
		}
	}
}
