package kernel_test

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel/kerneltest"
)

// sfdBuf is where the signalfd tests read struct signalfd_siginfo.
const sfdBuf = kerneltest.DataAddr + 0x900

// signalfd makes a signalfd for set with flags and returns it.
func signalfd(a *kerneltest.App, set linux.SignalSet, flags int) (uintptr, unix.Errno) {
	a.Store64(setAddr, uint64(set))
	return a.Call(unix.SYS_SIGNALFD4, ^uintptr(0), setAddr, 8, uintptr(flags))
}

// TestSignalfdOrder takes signals through a signalfd: the thread's own
// first, then the process's, each the lowest number first, none of them
// delivered.
func TestSignalfdOrder(t *testing.T) {
	e := newEnv(t)
	ws := e.Run(rootCreds(), func(a *kerneltest.App) {
		set := linux.SIGUSR1.Mask() | linux.SIGUSR2.Mask() | linux.SIGTERM.Mask()
		sigprocmask(a, linux.SIG_BLOCK, set)
		fd, errno := signalfd(a, set, unix.SFD_NONBLOCK)
		wantErrno(t, "signalfd4", errno, 0)
		_, errno = a.Call(unix.SYS_READ, fd, sfdBuf, 128)
		wantErrno(t, "empty read", errno, unix.EAGAIN)
		self := getpid(a)
		kill(a, self, linux.SIGTERM)
		kill(a, self, linux.SIGUSR2)
		a.Call(unix.SYS_TGKILL, uintptr(self), uintptr(self), uintptr(linux.SIGUSR2))
		a.Call(unix.SYS_TGKILL, uintptr(self), uintptr(self), uintptr(linux.SIGUSR1))
		n, errno := a.Call(unix.SYS_READ, fd, sfdBuf, 4*128)
		wantErrno(t, "read", errno, 0)
		wantEq(t, "bytes", n, 4*128)
		for i, want := range []linux.Signal{linux.SIGUSR1, linux.SIGUSR2, linux.SIGUSR2, linux.SIGTERM} {
			wantEq(t, "ssi_signo", linux.Signal(a.Load32(sfdBuf+uintptr(i)*128)), want)
		}
		wantEq(t, "ssi_code of tgkill", int32(a.Load32(sfdBuf+8)), linux.SI_TKILL)
		wantEq(t, "ssi_pid", int32(a.Load32(sfdBuf+12)), self)
		wantEq(t, "pending", sigpending(a), 0)
	})
	wantEq(t, "status", ws, linux.Exited(0))
}

// TestSignalfdWakes blocks a read until another process's signal comes.
func TestSignalfdWakes(t *testing.T) {
	e := newEnv(t)
	ws := e.Run(rootCreds(), func(a *kerneltest.App) {
		sigprocmask(a, linux.SIG_BLOCK, linux.SIGUSR1.Mask())
		fd, _ := signalfd(a, linux.SIGUSR1.Mask(), 0)
		self := getpid(a)
		child, _ := a.Fork(func(a *kerneltest.App) {
			for i := 0; i < 3; i++ {
				kill(a, self, linux.SIGUSR1)
				a.Call(unix.SYS_SCHED_YIELD)
			}
		})
		got := 0
		for got < 1 {
			n, errno := a.Call(unix.SYS_READ, fd, sfdBuf, 128)
			wantErrno(t, "read", errno, 0)
			wantEq(t, "ssi_pid", int32(a.Load32(sfdBuf+12)), child)
			got += int(n / 128)
		}
		wait4(a, child, 0)
	})
	wantEq(t, "status", ws, linux.Exited(0))
}
