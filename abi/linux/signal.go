package linux

// Signal is a Linux signal number (1..64).
type Signal int

// Standard signal numbers on x86-64.
const (
	SIGHUP    Signal = 1
	SIGINT    Signal = 2
	SIGQUIT   Signal = 3
	SIGILL    Signal = 4
	SIGTRAP   Signal = 5
	SIGABRT   Signal = 6
	SIGBUS    Signal = 7
	SIGFPE    Signal = 8
	SIGKILL   Signal = 9
	SIGUSR1   Signal = 10
	SIGSEGV   Signal = 11
	SIGUSR2   Signal = 12
	SIGPIPE   Signal = 13
	SIGALRM   Signal = 14
	SIGTERM   Signal = 15
	SIGSTKFLT Signal = 16
	SIGCHLD   Signal = 17
	SIGCONT   Signal = 18
	SIGSTOP   Signal = 19
	SIGTSTP   Signal = 20
	SIGTTIN   Signal = 21
	SIGTTOU   Signal = 22
	SIGURG    Signal = 23
	SIGXCPU   Signal = 24
	SIGXFSZ   Signal = 25
	SIGVTALRM Signal = 26
	SIGPROF   Signal = 27
	SIGWINCH  Signal = 28
	SIGIO     Signal = 29
	SIGPWR    Signal = 30
	SIGSYS    Signal = 31

	SIGRTMIN Signal = 32
	SIGRTMAX Signal = 64
)

// Valid reports whether s is a signal number (0 is not).
func (s Signal) Valid() bool { return s >= 1 && s <= SIGRTMAX }

// Mask returns the signal's bit in a SignalSet.
func (s Signal) Mask() SignalSet { return 1 << uint(s-1) }

// SignalSet is a sigset_t as the kernel sees it: bit s-1 for signal s.
type SignalSet uint64

// UnblockableSignals can never be blocked or caught.
const UnblockableSignals = SignalSet(1<<(SIGKILL-1) | 1<<(SIGSTOP-1))

// DefaultAction is what SIG_DFL does with a signal.
type DefaultAction int

// Default actions (signal(7)).
const (
	ActionTerm DefaultAction = iota
	ActionCore
	ActionIgnore
	ActionStop
	ActionContinue
)

// DefaultActionOf returns the SIG_DFL action of s.
func DefaultActionOf(s Signal) DefaultAction {
	switch s {
	case SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV, SIGXCPU, SIGXFSZ, SIGSYS:
		return ActionCore
	case SIGCHLD, SIGURG, SIGWINCH:
		return ActionIgnore
	case SIGCONT:
		return ActionContinue
	case SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU:
		return ActionStop
	}
	return ActionTerm
}

// sigaction sa_handler special values and sa_flags.
const (
	SIG_DFL = 0
	SIG_IGN = 1

	SA_NOCLDSTOP = 0x1
	SA_NOCLDWAIT = 0x2
	SA_SIGINFO   = 0x4
	SA_RESTORER  = 0x04000000
	SA_ONSTACK   = 0x08000000
	SA_RESTART   = 0x10000000
	SA_NODEFER   = 0x40000000
	SA_RESETHAND = 0x80000000
)

// SigAction is the kernel's struct sigaction on x86-64.
type SigAction struct {
	Handler  uint64
	Flags    uint64
	Restorer uint64
	Mask     SignalSet
}

// rt_sigprocmask how values.
const (
	SIG_BLOCK   = 0
	SIG_UNBLOCK = 1
	SIG_SETMASK = 2
)

// siginfo si_code values.
const (
	SI_USER       = 0
	SI_KERNEL     = 0x80
	SI_TKILL      = -6
	CLD_EXITED    = 1
	CLD_KILLED    = 2
	CLD_DUMPED    = 3
	CLD_TRAPPED   = 4
	CLD_STOPPED   = 5
	CLD_CONTINUED = 6
	SI_QUEUE      = -1
	SI_TIMER      = -2

	SEGV_MAPERR = 1
	SEGV_ACCERR = 2
	BUS_ADRERR  = 2
)

// sigaltstack(2) ss_flags and the smallest stack it takes.
const (
	SS_ONSTACK  = 1
	SS_DISABLE  = 2
	MINSIGSTKSZ = 2048
)

// SignalInfo is the kernel's siginfo_t (128 bytes) reduced to the fields
// the sentry fills; Encode lays it out.
type SignalInfo struct {
	Signo int32
	Errno int32
	Code  int32
	// For kill/tkill: sender PID and UID. For SIGCHLD: child PID, UID,
	// status. For faults: Addr.
	PID    int32
	UID    uint32
	Status int32
	Addr   uint64
	// Value is the sigval of sigqueue (rt_sigqueueinfo) and timers.
	Value uint64
	// TimerID and Overrun describe a POSIX timer's expiry (SI_TIMER).
	TimerID int32
	Overrun int32
	// Syscall and Arch are SIGSYS's si_syscall and si_arch (a seccomp
	// SECCOMP_RET_TRAP); Addr is its si_call_addr.
	Syscall int32
	Arch    uint32
}

// SYS_SECCOMP is the si_code of a SIGSYS raised by a seccomp filter.
const SYS_SECCOMP = 1

// SignalInfoSize is sizeof(siginfo_t).
const SignalInfoSize = 128

// Encode writes the siginfo_t layout into b (at least 128 bytes).
func (si *SignalInfo) Encode(b []byte) {
	clear(b[:SignalInfoSize])
	putU32(b[0:], uint32(si.Signo))
	putU32(b[4:], uint32(si.Errno))
	putU32(b[8:], uint32(si.Code))
	// The union starts at offset 16.
	switch Signal(si.Signo) {
	case SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP:
		if si.Code > 0 && si.Code != SI_KERNEL {
			putU64(b[16:], si.Addr)
			return
		}
	case SIGSYS:
		if si.Code == SYS_SECCOMP {
			putU64(b[16:], si.Addr)
			putU32(b[24:], uint32(si.Syscall))
			putU32(b[28:], si.Arch)
			return
		}
	case SIGCHLD:
		if si.Code > 0 {
			putU32(b[16:], uint32(si.PID))
			putU32(b[20:], si.UID)
			putU32(b[24:], uint32(si.Status))
			return
		}
	}
	if si.Code == SI_TIMER {
		putU32(b[16:], uint32(si.TimerID))
		putU32(b[20:], uint32(si.Overrun))
		putU64(b[24:], si.Value)
		return
	}
	putU32(b[16:], uint32(si.PID))
	putU32(b[20:], si.UID)
	putU64(b[24:], si.Value)
}

// Stopped returns the wait status of a stop by signal s.
func Stopped(s Signal) WaitStatus { return WaitStatus(s)<<8 | 0x7f }

// Continued is the wait status of a process resumed by SIGCONT.
const Continued WaitStatus = 0xffff

// WaitStatus is a wait(2) status word.
type WaitStatus uint32

// Exited returns the status of a normal exit with code.
func Exited(code int) WaitStatus { return WaitStatus(code&0xff) << 8 }

// Killed returns the status of death by signal s.
func Killed(s Signal, core bool) WaitStatus {
	ws := WaitStatus(s & 0x7f)
	if core {
		ws |= 0x80
	}
	return ws
}

// Signaled reports whether the status is a death by signal, and which.
func (w WaitStatus) Signaled() (Signal, bool) {
	if w&0x7f != 0 && w&0x7f != 0x7f {
		return Signal(w & 0x7f), true
	}
	return 0, false
}

// ExitCode returns the exit code of a normal exit.
func (w WaitStatus) ExitCode() int { return int(w>>8) & 0xff }

// ShellStatus returns the status a shell reports: the exit code, or
// 128+signal.
func (w WaitStatus) ShellStatus() int {
	if s, ok := w.Signaled(); ok {
		return 128 + int(s)
	}
	return w.ExitCode()
}

func putU32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}

func putU64(b []byte, v uint64) {
	putU32(b, uint32(v))
	putU32(b[4:], uint32(v>>32))
}
