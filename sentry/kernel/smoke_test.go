package kernel_test

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel/kerneltest"
	sys "github.com/cocoon-sandbox/cocoon/sentry/syscalls/linux"
)

func TestSmoke(t *testing.T) {
	e := kerneltest.New(t, sys.Table())
	ws := e.Run(kernel.Credentials{}, func(a *kerneltest.App) {
		pid, _ := a.Call(unix.SYS_GETPID)
		if pid != 1 {
			t.Errorf("getpid = %d", pid)
		}
		child, errno := a.Fork(func(a *kerneltest.App) {
			a.Syscall(unix.SYS_EXIT_GROUP, 7)
		})
		if errno != 0 {
			t.Fatalf("fork: %v", errno)
		}
		r, errno := a.Call(unix.SYS_WAIT4, uintptr(child), kerneltest.DataAddr, 0, 0)
		if errno != 0 || int32(r) != child {
			t.Errorf("wait4 = %d, %v", r, errno)
		}
		if ws := a.Load32(kerneltest.DataAddr); linux.WaitStatus(ws) != linux.Exited(7) {
			t.Errorf("status %#x", ws)
		}
		a.Syscall(unix.SYS_EXIT_GROUP, 3)
	})
	if ws != linux.Exited(3) {
		t.Fatalf("status %#x", ws)
	}
}
