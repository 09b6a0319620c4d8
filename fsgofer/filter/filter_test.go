package filter

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/seccomp"
	"github.com/cocoon-sandbox/cocoon/seccomp/seccomptest"
)

const testSock = 3

// call returns seccomp data for nr with the given leading arguments.
var call = seccomptest.Call

func build(t *testing.T) []unix.SockFilter {
	t.Helper()
	prog, err := New(testSock).Build()
	if err != nil {
		t.Fatal(err)
	}
	return prog
}

// TestEveryRuleAllows checks that each listed form is allowed.
func TestEveryRuleAllows(t *testing.T) {
	prog := build(t)
	seccomptest.ExpectRulesAllowed(t, prog, Rules(testSock))
	seccomptest.ExpectRulesAllowed(t, prog, seccomp.GoRuntimeRules())
}

// TestAdversarial checks what a subverted gofer must not be able to do.
func TestAdversarial(t *testing.T) {
	prog := build(t)
	const anonPriv = unix.MAP_ANONYMOUS | unix.MAP_PRIVATE
	seccomptest.ExpectAction(t, prog, seccomp.ActionKillProcess, []seccomptest.Case{
		{Name: "execve", Data: call(unix.SYS_EXECVE)},
		{Name: "execveat", Data: call(unix.SYS_EXECVEAT)},
		{Name: "ptrace", Data: call(unix.SYS_PTRACE, unix.PTRACE_ATTACH, 1)},
		{Name: "mount", Data: call(unix.SYS_MOUNT)},
		{Name: "umount2", Data: call(unix.SYS_UMOUNT2)},
		{Name: "pivot_root", Data: call(unix.SYS_PIVOT_ROOT)},
		{Name: "chroot", Data: call(unix.SYS_CHROOT)},
		{Name: "socket inet", Data: call(unix.SYS_SOCKET, unix.AF_INET, unix.SOCK_STREAM)},
		{Name: "socket unix", Data: call(unix.SYS_SOCKET, unix.AF_UNIX, unix.SOCK_STREAM)},
		{Name: "connect", Data: call(unix.SYS_CONNECT, testSock)},
		{Name: "bind", Data: call(unix.SYS_BIND, testSock)},
		{Name: "open_by_handle_at", Data: call(unix.SYS_OPEN_BY_HANDLE_AT)},
		{Name: "name_to_handle_at", Data: call(unix.SYS_NAME_TO_HANDLE_AT)},
		{Name: "setns", Data: call(unix.SYS_SETNS)},
		{Name: "unshare", Data: call(unix.SYS_UNSHARE)},
		{Name: "clone3", Data: call(unix.SYS_CLONE3)},
		{Name: "fork-like clone", Data: call(unix.SYS_CLONE, uint64(unix.SIGCHLD))},
		{Name: "clone newns", Data: call(unix.SYS_CLONE, seccomp.GoRuntimeCloneFlags|unix.CLONE_NEWNS)},
		{Name: "fork", Data: call(unix.SYS_FORK)},
		{Name: "kill", Data: call(unix.SYS_KILL, 1, 9)},
		{Name: "capset", Data: call(unix.SYS_CAPSET)},
		{Name: "setuid", Data: call(unix.SYS_SETUID, 0)},
		{Name: "prctl", Data: call(unix.SYS_PRCTL, unix.PR_SET_DUMPABLE, 1)},
		{Name: "seccomp", Data: call(unix.SYS_SECCOMP)},
		{Name: "bpf", Data: call(unix.SYS_BPF)},
		{Name: "process_vm_writev", Data: call(unix.SYS_PROCESS_VM_WRITEV)},
		{Name: "ioctl", Data: call(unix.SYS_IOCTL, 0, unix.TIOCSTI)},
		{Name: "sendmsg other fd", Data: call(unix.SYS_SENDMSG, testSock+1, 0, unix.MSG_NOSIGNAL)},
		{Name: "sendmsg fd high bits", Data: call(unix.SYS_SENDMSG, 1<<32|testSock+1, 0, unix.MSG_NOSIGNAL)},
		{Name: "sendmsg other flags", Data: call(unix.SYS_SENDMSG, testSock, 0, unix.MSG_NOSIGNAL|unix.MSG_OOB)},
		{Name: "recvmsg other fd", Data: call(unix.SYS_RECVMSG, 0, 0, unix.MSG_CMSG_CLOEXEC)},
		{Name: "sendto", Data: call(unix.SYS_SENDTO, testSock)},
		{Name: "shutdown other fd", Data: call(unix.SYS_SHUTDOWN, testSock+1, unix.SHUT_RDWR)},
		{Name: "shutdown read only", Data: call(unix.SYS_SHUTDOWN, testSock, unix.SHUT_RD)},
		{Name: "fcntl dupfd", Data: call(unix.SYS_FCNTL, 5, unix.F_DUPFD)},
		{Name: "fcntl setown", Data: call(unix.SYS_FCNTL, 5, unix.F_SETOWN)},
		{Name: "fcntl setlease", Data: call(unix.SYS_FCNTL, 5, unix.F_SETLEASE)},
		{Name: "mmap shared file", Data: call(unix.SYS_MMAP, 0, 4096, unix.PROT_READ, unix.MAP_SHARED, 5, 0)},
		{Name: "mmap private file", Data: call(unix.SYS_MMAP, 0, 4096, unix.PROT_READ, unix.MAP_PRIVATE, 5, 0)},
		{Name: "mprotect", Data: call(unix.SYS_MPROTECT, 0, 4096, unix.PROT_EXEC)},
		{Name: "sched_getaffinity other", Data: call(unix.SYS_SCHED_GETAFFINITY, 1)},
		{Name: "foreign arch", Data: seccomp.Data{Nr: unix.SYS_READ, Arch: unix.AUDIT_ARCH_I386}},
		{Name: "x32 write", Data: call(0x40000000 | unix.SYS_WRITE)},
	})
	// The runtime's own anonymous mappings still work.
	if got, _ := seccomp.Eval(prog, call(unix.SYS_MMAP, 0, 4096, unix.PROT_READ|unix.PROT_WRITE, anonPriv|unix.MAP_FIXED, 0xffffffff, 0)); got != seccomp.ActionAllow {
		t.Errorf("anonymous mmap: got %#x, want allow", got)
	}
}
