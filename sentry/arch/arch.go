// Package arch holds the x86-64 view of an application thread that the
// sentry and the platforms share: its registers, its floating-point state and
// the system-call argument convention.
//
// It owns no locks: a State belongs to the task goroutine that runs it.
package arch

import "golang.org/x/sys/unix"

// Registers are the general-purpose registers, laid out as Linux's
// user_regs_struct (what PTRACE_GETREGS returns).
type Registers = unix.PtraceRegs

// State is the full user-visible CPU state of one application thread.
type State struct {
	// Regs are the general-purpose registers, fs_base and gs_base included.
	Regs Registers

	// FP is the thread's extended state in the XSAVE layout that Linux
	// returns for the NT_X86_XSTATE register set (the first 512 bytes are
	// the legacy FXSAVE area). It is only meaningful after a platform
	// Context's SaveFP, or when FPDirty is set.
	FP []byte

	// FPDirty asks the platform to load FP into the thread before it next
	// runs (after exec, fork, or rt_sigreturn); the platform clears it.
	FPDirty bool
}

// SyscallArgs are the six argument registers of a system call.
type SyscallArgs [6]uintptr

// SyscallNo returns the number of the system call the thread just made.
func (s *State) SyscallNo() uintptr { return uintptr(s.Regs.Orig_rax) }

// SyscallArgs returns the arguments of the system call the thread just made,
// in the x86-64 order rdi, rsi, rdx, r10, r8, r9.
func (s *State) SyscallArgs() SyscallArgs {
	r := &s.Regs
	return SyscallArgs{uintptr(r.Rdi), uintptr(r.Rsi), uintptr(r.Rdx), uintptr(r.R10), uintptr(r.R8), uintptr(r.R9)}
}

// SetReturn sets the system call's return value.
func (s *State) SetReturn(v uintptr) { s.Regs.Rax = uint64(v) }

// IP returns the instruction pointer.
func (s *State) IP() uintptr { return uintptr(s.Regs.Rip) }

// SP returns the stack pointer.
func (s *State) SP() uintptr { return uintptr(s.Regs.Rsp) }

// Fork returns a copy of s for a child thread (FP is copied, not shared).
func (s *State) Fork() State {
	c := *s
	c.FP = append([]byte(nil), s.FP...)
	c.FPDirty = true
	return c
}

// Initial user-mode segment selectors on x86-64 Linux.
const (
	UserCS = 0x33
	UserSS = 0x2b
	// RflagsIF is the interrupt-enable flag, always set in user mode.
	RflagsIF       = 0x200
	rflagsReserved = 0x2
)

// NewInitialState returns the state a thread has right after execve: all
// registers zero but the instruction and stack pointers, default FP state.
func NewInitialState(entry, sp uintptr) State {
	var s State
	s.Regs.Rip = uint64(entry)
	s.Regs.Rsp = uint64(sp)
	s.Regs.Cs = UserCS
	s.Regs.Ss = UserSS
	s.Regs.Eflags = RflagsIF | rflagsReserved
	s.FP = InitialFP()
	s.FPDirty = true
	return s
}

// FXSAVE-area offsets and reset values (Intel SDM vol. 1, 10.5.1).
const (
	fxsaveFCW        = 0
	fxsaveMXCSR      = 24
	defaultFCW       = 0x37f
	defaultMXCSR     = 0x1f80
	fxsaveLegacySize = 512
	xsaveHeaderSize  = 64
)

// InitialFP returns the FP state of a freshly exec'd thread: a legacy FXSAVE
// area with the reset control words, followed by an XSAVE header whose
// XSTATE_BV names only x87 and SSE (so the host loads FCW and MXCSR from
// the legacy area; every other component is in its init state).
func InitialFP() []byte {
	fp := make([]byte, fxsaveLegacySize+xsaveHeaderSize)
	fp[fxsaveFCW] = defaultFCW & 0xff
	fp[fxsaveFCW+1] = defaultFCW >> 8
	fp[fxsaveMXCSR] = defaultMXCSR & 0xff
	fp[fxsaveMXCSR+1] = defaultMXCSR >> 8
	fp[fxsaveLegacySize] = xstateX87 | xstateSSE
	return fp
}

// XSTATE_BV bits of the legacy components.
const (
	xstateX87 = 1 << 0
	xstateSSE = 1 << 1
)
