package ptrace

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Thin ptrace and wait wrappers for the hot path: no allocation, and
// RawSyscall for the calls that never block (a ptrace request on a stopped
// tracee returns at once), so they skip the scheduler's syscall bookkeeping.
//
// unsafe: every pointer passed here points into a live Go object (a field of
// a Context or AddressSpace, or a caller's arch.State) that the caller keeps
// reachable for the duration of the call; the kernel only touches it during
// the call. Go does not move heap objects, and a goroutine's stack does not
// move while it is inside a system call.

func ptrace(req int, tid int32, addr, data uintptr) unix.Errno {
	_, _, e := syscall.RawSyscall6(unix.SYS_PTRACE, uintptr(req), uintptr(tid), addr, data, 0, 0)
	return e
}

func getRegs(tid int32, regs *unix.PtraceRegs) unix.Errno {
	return ptrace(unix.PTRACE_GETREGS, tid, 0, uintptr(unsafe.Pointer(regs)))
}

func setRegs(tid int32, regs *unix.PtraceRegs) unix.Errno {
	return ptrace(unix.PTRACE_SETREGS, tid, 0, uintptr(unsafe.Pointer(regs)))
}

// xstate gets (set=false) or sets the NT_X86_XSTATE register set through
// iov, which must describe buf. It returns the length the kernel used.
func xstate(tid int32, set bool, iov *unix.Iovec, buf []byte) (int, unix.Errno) {
	iov.Base = &buf[0]
	iov.SetLen(len(buf))
	req := unix.PTRACE_GETREGSET
	if set {
		req = unix.PTRACE_SETREGSET
	}
	e := ptrace(req, tid, unix.NT_X86_XSTATE, uintptr(unsafe.Pointer(iov)))
	return int(iov.Len), e
}

// peekData reads the word at addr of the stopped tracee tid into *word (at
// the system-call level PTRACE_PEEKDATA stores it through data).
func peekData(tid int32, addr uint64, word *uint64) unix.Errno {
	return ptrace(unix.PTRACE_PEEKDATA, tid, uintptr(addr), uintptr(unsafe.Pointer(word)))
}

// pokeData writes word at addr of the stopped tracee tid.
func pokeData(tid int32, addr, word uint64) unix.Errno {
	return ptrace(unix.PTRACE_POKEDATA, tid, uintptr(addr), uintptr(word))
}

// siginfo is the prefix of siginfo_t that the platform reads.
type siginfo struct {
	Signo int32
	Errno int32
	Code  int32
	_     int32
	Addr  uint64 // si_addr for SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP
	_     [14]uint64
}

func getSiginfo(tid int32, si *siginfo) unix.Errno {
	return ptrace(unix.PTRACE_GETSIGINFO, tid, 0, uintptr(unsafe.Pointer(si)))
}

// wait blocks until tid changes state, retrying on EINTR (the Go runtime
// preempts with SIGURG). It uses Syscall so the scheduler can run other
// goroutines while this thread sleeps.
func wait(tid int32, status *unix.WaitStatus) unix.Errno {
	_, e := waitOpts(tid, status, unix.WALL)
	return e
}

// waitOpts is wait4(tid, status, opts), retrying on EINTR; it returns the
// PID whose state it collected (0 under WNOHANG if none changed).
func waitOpts(tid int32, status *unix.WaitStatus, opts int) (int32, unix.Errno) {
	for {
		r, _, e := syscall.Syscall6(unix.SYS_WAIT4, uintptr(tid), uintptr(unsafe.Pointer(status)), uintptr(opts), 0, 0, 0)
		if e != unix.EINTR {
			return int32(r), e
		}
	}
}

func tgkill(pid, tid int32, sig unix.Signal) unix.Errno {
	_, _, e := syscall.RawSyscall(unix.SYS_TGKILL, uintptr(pid), uintptr(tid), uintptr(sig))
	return e
}

func gettid() int32 {
	tid, _, _ := syscall.RawSyscall(unix.SYS_GETTID, 0, 0, 0)
	return int32(tid)
}
