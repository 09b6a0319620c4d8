package kernel_test

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel/kerneltest"
	sys "github.com/cocoon-sandbox/cocoon/sentry/syscalls/linux"
)

// Helpers for the tests that run programs over kerneltest. A program
// reports failures with t.Errorf (never t.Fatal: it does not run on the
// test's goroutine).

func newEnv(t *testing.T) *kerneltest.Env { return kerneltest.New(t, sys.Table()) }

func rootCreds() *kernel.Credentials { return kernel.NewCredentials(0, 0, nil) }

// Scratch addresses in every program's data area (forked children have
// their own copy).
const (
	statusAddr = kerneltest.DataAddr         // a wait status
	actAddr    = kerneltest.DataAddr + 0x100 // a struct sigaction
	setAddr    = kerneltest.DataAddr + 0x200 // a sigset_t
	idsAddr    = kerneltest.DataAddr + 0x300 // three IDs
	capAddr    = kerneltest.DataAddr + 0x400 // capget's header, then data
	pipeAddr   = kerneltest.DataAddr + 0x500 // two FDs
	infoAddr   = kerneltest.DataAddr + 0x600 // a siginfo
	groupsAddr = kerneltest.DataAddr + 0x800 // a gid_t array
)

// wantErrno reports a failure if errno is not want.
func wantErrno(t *testing.T, what string, errno, want unix.Errno) {
	t.Helper()
	if errno != want {
		t.Errorf("%s: errno %v, want %v", what, errno, want)
	}
}

// wantEq reports a failure if got is not want.
func wantEq[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

// errnoOf makes system call nr and returns only its errno.
func errnoOf(a *kerneltest.App, nr uintptr, args ...uintptr) unix.Errno {
	_, errno := a.Call(nr, args...)
	return errno
}

func exit(a *kerneltest.App, code int) { a.Syscall(unix.SYS_EXIT_GROUP, uintptr(code)) }

func getpid(a *kerneltest.App) int32 { return int32(a.Syscall(unix.SYS_GETPID)) }

func kill(a *kerneltest.App, pid int32, sig linux.Signal) unix.Errno {
	_, errno := a.Call(unix.SYS_KILL, uintptr(pid), uintptr(sig))
	return errno
}

// wait4 waits for pid with options and returns the PID and status.
func wait4(a *kerneltest.App, pid int32, options int) (int32, linux.WaitStatus, unix.Errno) {
	a.Store32(statusAddr, 0)
	r, errno := a.Call(unix.SYS_WAIT4, uintptr(pid), statusAddr, uintptr(options), 0)
	return int32(r), linux.WaitStatus(a.Load32(statusAddr)), errno
}

// sigaction installs handler (an address, SIG_DFL or SIG_IGN) for sig.
func sigaction(a *kerneltest.App, sig linux.Signal, handler uintptr, flags uint64, mask linux.SignalSet) unix.Errno {
	a.Store64(actAddr, uint64(handler))
	a.Store64(actAddr+8, flags|linux.SA_RESTORER)
	a.Store64(actAddr+16, 0) // sa_restorer: the fake returns by itself
	a.Store64(actAddr+24, uint64(mask))
	_, errno := a.Call(unix.SYS_RT_SIGACTION, uintptr(sig), actAddr, 0, 8)
	return errno
}

// sigprocmask changes the signal mask (how is unix.SIG_BLOCK and so on)
// and returns the old one.
func sigprocmask(a *kerneltest.App, how int, set linux.SignalSet) linux.SignalSet {
	a.Store64(setAddr, uint64(set))
	a.Call(unix.SYS_RT_SIGPROCMASK, uintptr(how), setAddr, setAddr+8, 8)
	return linux.SignalSet(a.Load64(setAddr + 8))
}

// sigpending returns the pending signals that are blocked.
func sigpending(a *kerneltest.App) linux.SignalSet {
	a.Call(unix.SYS_RT_SIGPENDING, setAddr, 8)
	return linux.SignalSet(a.Load64(setAddr))
}

// pipe makes a pipe and returns its read and write ends.
func pipe(a *kerneltest.App) (r, w uintptr) {
	a.Call(unix.SYS_PIPE2, pipeAddr, 0)
	return uintptr(a.Load32(pipeAddr)), uintptr(a.Load32(pipeAddr + 4))
}

func getresuid(a *kerneltest.App) [3]uint32 { return getIDs(a, unix.SYS_GETRESUID) }
func getresgid(a *kerneltest.App) [3]uint32 { return getIDs(a, unix.SYS_GETRESGID) }

func getIDs(a *kerneltest.App, nr uintptr) [3]uint32 {
	a.Call(nr, idsAddr, idsAddr+4, idsAddr+8)
	return [3]uint32{a.Load32(idsAddr), a.Load32(idsAddr + 4), a.Load32(idsAddr + 8)}
}

// capget returns the caller's effective and permitted sets.
func capget(a *kerneltest.App) (effective, permitted kernel.CapabilitySet) {
	const v3 = 0x20080522
	a.Store32(capAddr, v3)
	a.Store32(capAddr+4, 0)
	a.Call(unix.SYS_CAPGET, capAddr, capAddr+8)
	d := uintptr(capAddr + 8)
	effective = kernel.CapabilitySet(a.Load32(d)) | kernel.CapabilitySet(a.Load32(d+12))<<32
	permitted = kernel.CapabilitySet(a.Load32(d+4)) | kernel.CapabilitySet(a.Load32(d+16))<<32
	return effective, permitted
}

func setresuid(a *kerneltest.App, r, e, s uint32) unix.Errno {
	_, errno := a.Call(unix.SYS_SETRESUID, uintptr(r), uintptr(e), uintptr(s))
	return errno
}
