package filter

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/platform"
	_ "github.com/cocoon-sandbox/cocoon/platform/platforms"
	"github.com/cocoon-sandbox/cocoon/seccomp"
	"github.com/cocoon-sandbox/cocoon/seccomp/seccomptest"
)

var call = seccomptest.Call

// build returns the sentry's filter for the platform called name ("" for
// none).
func build(t *testing.T, name string) (prog []unix.SockFilter, platformRules []seccomp.SyscallRule) {
	t.Helper()
	if name != "" {
		c, err := platform.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		platformRules = c.SeccompRules()
	}
	prog, err := New(platformRules).Build()
	if err != nil {
		t.Fatal(err)
	}
	return prog, platformRules
}

func TestEveryRuleAllows(t *testing.T) {
	for _, name := range platform.Names() {
		t.Run(name, func(t *testing.T) {
			prog, platformRules := build(t, name)
			seccomptest.ExpectRulesAllowed(t, prog, Rules())
			seccomptest.ExpectRulesAllowed(t, prog, platformRules)
			seccomptest.ExpectRulesAllowed(t, prog, seccomp.GoRuntimeRules())
		})
	}
}

// TestPlatformRules checks that the platform's host calls are allowed
// through its rules only: without them the sentry cannot trace, wait for
// or signal another process, and the Go runtime can still signal itself.
func TestPlatformRules(t *testing.T) {
	self := uint64(os.Getpid())
	other := self + 1
	bare, _ := build(t, "")
	withPtrace, _ := build(t, "ptrace")
	ptraceCalls := []seccomptest.Case{
		{Name: "ptrace", Data: call(unix.SYS_PTRACE, unix.PTRACE_SYSEMU, other)},
		{Name: "wait4", Data: call(unix.SYS_WAIT4, other)},
		{Name: "kill other sigkill", Data: call(unix.SYS_KILL, other, uint64(unix.SIGKILL))},
		{Name: "tgkill other sigstop", Data: call(unix.SYS_TGKILL, other, other, uint64(unix.SIGSTOP))},
		{Name: "sched_setaffinity self", Data: call(unix.SYS_SCHED_SETAFFINITY, 0, 8)},
	}
	runtimeCalls := []seccomptest.Case{
		{Name: "tgkill self sigurg", Data: call(unix.SYS_TGKILL, self, self+3, uint64(unix.SIGURG))},
		{Name: "kill self sigabrt", Data: call(unix.SYS_KILL, self, uint64(unix.SIGABRT))},
		{Name: "sched_getaffinity self", Data: call(unix.SYS_SCHED_GETAFFINITY, 0)},
	}
	t.Run("without", func(t *testing.T) {
		seccomptest.ExpectAction(t, bare, seccomp.ActionKillProcess, ptraceCalls)
		seccomptest.ExpectAction(t, bare, seccomp.ActionAllow, runtimeCalls)
		seccomptest.ExpectAction(t, bare, seccomp.ActionKillProcess, []seccomptest.Case{
			{Name: "kill other sigterm", Data: call(unix.SYS_KILL, other, uint64(unix.SIGTERM))},
			{Name: "tgkill other sigurg", Data: call(unix.SYS_TGKILL, other, other, uint64(unix.SIGURG))},
		})
	})
	t.Run("ptrace", func(t *testing.T) {
		seccomptest.ExpectAction(t, withPtrace, seccomp.ActionAllow, ptraceCalls)
		seccomptest.ExpectAction(t, withPtrace, seccomp.ActionAllow, runtimeCalls)
		seccomptest.ExpectAction(t, withPtrace, seccomp.ActionKillProcess, []seccomptest.Case{
			{Name: "kill other sigterm", Data: call(unix.SYS_KILL, other, uint64(unix.SIGTERM))},
			{Name: "tgkill other sigurg", Data: call(unix.SYS_TGKILL, other, other, uint64(unix.SIGURG))},
		})
	})
}

// TestAdversarial checks what a subverted sentry must not be able to do,
// on every platform.
func TestAdversarial(t *testing.T) {
	for _, name := range platform.Names() {
		t.Run(name, func(t *testing.T) {
			prog, _ := build(t, name)
			adversarial(t, prog)
		})
	}
}

func adversarial(t *testing.T, prog []unix.SockFilter) {
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
