package filter

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/seccomp"
	"github.com/cocoon-sandbox/cocoon/seccomp/seccomptest"
)

var call = seccomptest.Call

func TestEveryRuleAllows(t *testing.T) {
	prog, err := New().Build()
	if err != nil {
		t.Fatal(err)
	}
	seccomptest.ExpectRulesAllowed(t, prog, Rules())
	seccomptest.ExpectRulesAllowed(t, prog, seccomp.GoRuntimeRules())
}

// TestAdversarial checks what a subverted sentry must not be able to do.
func TestAdversarial(t *testing.T) {
	prog, err := New().Build()
	if err != nil {
		t.Fatal(err)
	}
	seccomptest.ExpectAction(t, prog, seccomp.ActionKillProcess, []seccomptest.Case{
		{Name: "execve", Data: call(unix.SYS_EXECVE)},
		{Name: "execveat", Data: call(unix.SYS_EXECVEAT)},
		{Name: "mount", Data: call(unix.SYS_MOUNT)},
		{Name: "pivot_root", Data: call(unix.SYS_PIVOT_ROOT)},
		{Name: "open", Data: call(unix.SYS_OPEN)},
		{Name: "openat", Data: call(unix.SYS_OPENAT)},
		{Name: "open_by_handle_at", Data: call(unix.SYS_OPEN_BY_HANDLE_AT)},
		{Name: "socket inet", Data: call(unix.SYS_SOCKET, unix.AF_INET, unix.SOCK_STREAM)},
		{Name: "socket unix", Data: call(unix.SYS_SOCKET, unix.AF_UNIX, unix.SOCK_STREAM)},
		{Name: "connect", Data: call(unix.SYS_CONNECT)},
		{Name: "bind", Data: call(unix.SYS_BIND)},
		{Name: "setns", Data: call(unix.SYS_SETNS)},
		{Name: "unshare", Data: call(unix.SYS_UNSHARE)},
		{Name: "clone3", Data: call(unix.SYS_CLONE3)},
		{Name: "fork-like clone", Data: call(unix.SYS_CLONE, uint64(unix.SIGCHLD))},
		{Name: "fork", Data: call(unix.SYS_FORK)},
		{Name: "capset", Data: call(unix.SYS_CAPSET)},
		{Name: "setuid", Data: call(unix.SYS_SETUID)},
		{Name: "prctl", Data: call(unix.SYS_PRCTL)},
		{Name: "seccomp", Data: call(unix.SYS_SECCOMP)},
		{Name: "bpf", Data: call(unix.SYS_BPF)},
		{Name: "memfd_create", Data: call(unix.SYS_MEMFD_CREATE)},
		{Name: "process_vm_writev", Data: call(unix.SYS_PROCESS_VM_WRITEV)},
		{Name: "ioctl tiocsti", Data: call(unix.SYS_IOCTL, 0, unix.TIOCSTI)},
		{Name: "fcntl setown", Data: call(unix.SYS_FCNTL, 0, unix.F_SETOWN)},
		{Name: "fallocate allocate", Data: call(unix.SYS_FALLOCATE, 3, 0)},
		{Name: "sched_setaffinity other", Data: call(unix.SYS_SCHED_SETAFFINITY, 1)},
		{Name: "foreign arch", Data: seccomp.Data{Nr: unix.SYS_READ, Arch: unix.AUDIT_ARCH_I386}},
		{Name: "x32 read", Data: call(0x40000000 | unix.SYS_READ)},
	})
}
