package ptrace

import (
	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/platform"
	"github.com/cocoon-sandbox/cocoon/seccomp"
)

// The legacy vsyscall page. A call to one of its entries is not a system
// call instruction: the host kernel (vsyscall=xonly, the default, or
// =emulate) takes the fault and emulates the call itself
// (arch/x86/entry/vsyscall/vsyscall_64.c: emulate_vsyscall), so
// PTRACE_SYSEMU never stops it. It does run seccomp, with
// instruction_pointer at the entry, so the stub's filter traces exactly
// those three calls (vsyscallRules) and the platform reports them as
// system calls the sentry serves. With vsyscall=none there is no page: the
// call faults and the sentry delivers SIGSEGV, as Linux does.
//
// At the PTRACE_EVENT_SECCOMP stop the kernel insists that rip stays at the
// entry, and after it emulates a `ret` (rip = the return address, rsp +=
// 8) with whatever rax holds. The sentry computes rax only later, so the
// tracer skips the call (orig_rax = -1), queues a SIGSTOP and resumes:
// the stub stops again on its way back to user mode, before running any
// instruction, at the return address. The sentry sees a system call made
// there; it writes rax and the next Switch resumes as after any other.
// Two extra round trips (CONT + wait) per vsyscall, which only old static
// binaries make.
const (
	vsyscallGettimeofday = 0xffffffffff600000
	vsyscallTime         = 0xffffffffff600400
	vsyscallGetcpu       = 0xffffffffff600800
)

// vsyscallRules trace the three emulated calls, each at its entry only.
func vsyscallRules() []seccomp.SyscallRule {
	at := func(nr uintptr, ip uint64) seccomp.SyscallRule {
		return seccomp.SyscallRule{Nr: nr, IP: seccomp.EqualTo(ip), Action: seccomp.ActionTrace}
	}
	return []seccomp.SyscallRule{
		at(unix.SYS_GETTIMEOFDAY, vsyscallGettimeofday),
		at(unix.SYS_TIME, vsyscallTime),
		at(unix.SYS_GETCPU, vsyscallGetcpu),
	}
}

// vsyscallStop handles a PTRACE_EVENT_SECCOMP stop of tid (the stub's
// filter traces nothing but vsyscalls) as above. done=false if the stub
// did not get back to user mode (it died: the next resume reports it).
func (c *Context) vsyscallStop(tid int32) (platform.Event, platform.SignalInfo, bool) {
	var none platform.SignalInfo
	if getRegs(tid, &c.regs) != 0 {
		return 0, none, false
	}
	nr := c.regs.Orig_rax
	c.regs.Orig_rax = ^uint64(0)          // skip: the sentry serves it
	c.regs.Rax = ^uint64(unix.ENOSYS) + 1 // -ENOSYS
	if setRegs(tid, &c.regs) != 0 || tgkill(c.targetPID.Load(), tid, unix.SIGSTOP) != 0 {
		return 0, none, false
	}
	// Nothing but our SIGSTOP (or an interrupt's, merged with it) can
	// stop the stub before it reaches user mode; a stray signal from
	// outside is suppressed like in Switch.
	for i := 0; i < 8; i++ {
		if ptrace(unix.PTRACE_CONT, tid, 0, 0) != 0 || wait(tid, &c.status) != 0 || !c.status.Stopped() {
			return 0, none, false
		}
		if sig, event := stopInfo(c.status); event == 0 && sig == unix.SIGSTOP {
			c.vsyscallNr = nr
			return platform.EventSyscall, none, true
		}
	}
	return 0, none, false
}

// fixVsyscall makes the registers of a vsyscall reported by vsyscallStop
// look like a system call nr made at the return address.
func (c *Context) fixVsyscall(regs *unix.PtraceRegs) {
	if c.vsyscallNr == 0 {
		return
	}
	regs.Rax, regs.Orig_rax = c.vsyscallNr, c.vsyscallNr
	c.vsyscallNr = 0
}
