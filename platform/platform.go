// Package platform is the seam between the sentry and the hardware view of
// an application thread. A Platform makes address spaces and execution
// contexts; a Context runs one application thread in an address space until
// it makes a system call, faults, receives a synchronous signal, or is
// interrupted from another goroutine, and says which.
//
// Nothing above this package knows how interception works (ptrace today;
// systrap and KVM later). Implementations must pass platformtest.
//
// Platforms are chosen by name through a registry (registry.go): each
// platform's package registers a Constructor from init, which says what
// the platform needs from the sandbox process (capabilities, a PID
// namespace, devices), which host system calls it makes once the sentry is
// confined, and makes the platform over the memory file's FD. Importing
// platform/platforms registers them all.
//
// Locking: an AddressSpace may be used from any goroutine, and serialises
// itself. A Context belongs to one task goroutine; only Interrupt may be
// called from others. The registry has its own lock, and is written only
// from init functions.
package platform

import (
	"errors"

	"github.com/cocoon-sandbox/cocoon/sentry/arch"
)

// AccessType is a set of memory permissions.
type AccessType struct {
	Read, Write, Execute bool
}

// Common access types.
var (
	NoAccess  = AccessType{}
	Read      = AccessType{Read: true}
	ReadWrite = AccessType{Read: true, Write: true}
	AnyAccess = AccessType{Read: true, Write: true, Execute: true}
)

// Prot returns the access type as mmap PROT_* bits.
func (a AccessType) Prot() int {
	p := 0
	if a.Read {
		p |= 0x1
	}
	if a.Write {
		p |= 0x2
	}
	if a.Execute {
		p |= 0x4
	}
	return p
}

// ProtToAccessType converts mmap PROT_* bits.
func ProtToAccessType(prot uint64) AccessType {
	return AccessType{Read: prot&0x1 != 0, Write: prot&0x2 != 0, Execute: prot&0x4 != 0}
}

// Platform makes address spaces and contexts.
type Platform interface {
	// MinUserAddress and MaxUserAddress bound the application addresses
	// that address spaces can map: [MinUserAddress, MaxUserAddress).
	MinUserAddress() uintptr
	MaxUserAddress() uintptr

	// NewAddressSpace returns a new, empty address space.
	NewAddressSpace() (AddressSpace, error)

	// NewContext returns a new execution context. The caller's goroutine
	// must stay the only one that calls Switch on it.
	NewContext() (Context, error)

	// NeedsLockedThread reports whether that goroutine must also stay
	// locked to its OS thread (runtime.LockOSThread) for as long as the
	// context lives, and may then let the thread end with it (ptrace:
	// the thread is the tracer of the stubs it switches into). The
	// kernel locks task goroutines only when it says so.
	NeedsLockedThread() bool

	// Release frees what the platform holds (stub factories, FDs).
	Release()
}

// AddressSpace is the host-side view of one application address space.
// Page-aligned addresses, offsets and lengths only.
type AddressSpace interface {
	// MapFile maps [addr, addr+length) to the host file fd at offset off
	// with the given permissions, shared (writes reach the file),
	// replacing what was mapped there. fd is the memory file (the FD the
	// platform was made with, the common case and the fast path) or any
	// other host file that can be mapped, such as a file FD from the
	// gofer. The caller keeps ownership of fd; it may close it as soon as
	// MapFile returns.
	MapFile(addr uintptr, fd int, off uint64, length uintptr, at AccessType) error

	// Unmap removes the mappings in [addr, addr+length).
	Unmap(addr uintptr, length uintptr)

	// Release destroys the address space. It must not be in use by any
	// running Context.
	Release()
}

// Event says why Switch returned.
type Event int

// Events.
const (
	// EventSyscall: the thread made a system call; the state's SyscallNo and
	// SyscallArgs describe it, and Rip points after the instruction.
	EventSyscall Event = iota
	// EventFault: a memory fault at SignalInfo.Addr (SIGSEGV with
	// SEGV_MAPERR or SEGV_ACCERR, or SIGBUS); the faulting instruction has
	// not completed and is retried when the thread runs again.
	EventFault
	// EventSignal: another synchronous signal raised by the thread's own
	// execution (SIGILL, SIGFPE, SIGTRAP, SIGSEGV from a general protection
	// fault), described by SignalInfo.
	EventSignal
	// EventInterrupted: Interrupt was called.
	EventInterrupted
)

// SignalInfo describes a fault or synchronous signal.
type SignalInfo struct {
	Signo int32
	Code  int32
	Addr  uintptr
}

// Context runs application threads.
type Context interface {
	// Switch loads st into a thread of as (st.FP too when st.FPDirty),
	// runs it until an event, stores the registers back into st.Regs and
	// returns the event. A non-nil error means the context is broken (the
	// host thread died); the task should be killed.
	Switch(as AddressSpace, st *arch.State) (Event, SignalInfo, error)

	// SaveFP copies the thread's current FP state into st.FP. Valid only
	// after a Switch into as returned. When st.FPDirty, st.FP is already
	// the current state and is kept.
	SaveFP(as AddressSpace, st *arch.State) error

	// Interrupt makes a running or the next Switch return
	// EventInterrupted soon. Safe from any goroutine.
	Interrupt()

	// Release frees the context's host resources.
	Release()
}

// CPUPinner is implemented by contexts whose application threads run on
// host threads that can be pinned to a CPU (ptrace). The sentry pins a
// task's context into the task's affinity, so that the host runs it where
// the application asked and the vDSO's getcpu, which reads the host CPU,
// answers a CPU of that affinity without a trap.
type CPUPinner interface {
	// CPU returns the CPU the context runs on when pinned, or -1.
	CPU() int
	// PinCPU pins the context (and the application threads it runs,
	// from their next Switch) to cpu, if the platform can; CPU reports
	// what it got. Only the goroutine that Switches may call it.
	PinCPU(cpu int)
}

// ErrContextBroken is wrapped by errors that mean the host side of a
// context died.
var ErrContextBroken = errors.New("platform context broken")
