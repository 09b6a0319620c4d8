package filter

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/seccomp"
)

const testSock = 3

// call returns seccomp data for nr with the given leading arguments.
func call(nr uintptr, args ...uint64) seccomp.Data {
	d := seccomp.Data{Nr: int32(nr), Arch: unix.AUDIT_ARCH_X86_64}
	copy(d.Args[:], args)
	return d
}

// allowedForm returns arguments that satisfy every matcher of r.
func allowedForm(r seccomp.SyscallRule) seccomp.Data {
	d := call(r.Nr)
	for i, m := range r.Args {
		d.Args[i] = argThatMatches(m)
	}
	return d
}

// argThatMatches returns a value that m matches, from the few values the
// rules use; it panics on a matcher the test does not know yet.
func argThatMatches(m seccomp.Arg) uint64 {
	for _, v := range []uint64{0, testSock, unix.MSG_CMSG_CLOEXEC, unix.MSG_NOSIGNAL,
		unix.F_GETFL, unix.F_SETFL, seccomp.GoRuntimeCloneFlags, unix.MAP_ANONYMOUS | unix.MAP_PRIVATE} {
		if m == seccomp.Any || m == seccomp.EqualTo(v) || m == seccomp.MaskedEqual(0xffffffff, v) ||
			m == seccomp.MaskedEqual(unix.MAP_ANONYMOUS|unix.MAP_SHARED|unix.MAP_PRIVATE, v) {
			return v
		}
	}
	panic("no test value for matcher " + m.String())
}

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
	for _, r := range Rules(testSock) {
		d := allowedForm(r)
		got, err := seccomp.Eval(prog, d)
		if err != nil {
			t.Fatal(err)
		}
		if got != seccomp.ActionAllow {
			t.Errorf("nr %d args %#x: got %#x, want allow", r.Nr, d.Args, got)
		}
	}
}

// TestAdversarial checks what a subverted gofer must not be able to do.
func TestAdversarial(t *testing.T) {
	prog := build(t)
	const anonPriv = unix.MAP_ANONYMOUS | unix.MAP_PRIVATE
	for _, tc := range []struct {
		name string
		d    seccomp.Data
	}{
		{"execve", call(unix.SYS_EXECVE)},
		{"execveat", call(unix.SYS_EXECVEAT)},
		{"ptrace", call(unix.SYS_PTRACE, unix.PTRACE_ATTACH, 1)},
		{"mount", call(unix.SYS_MOUNT)},
		{"umount2", call(unix.SYS_UMOUNT2)},
		{"pivot_root", call(unix.SYS_PIVOT_ROOT)},
		{"chroot", call(unix.SYS_CHROOT)},
		{"socket inet", call(unix.SYS_SOCKET, unix.AF_INET, unix.SOCK_STREAM)},
		{"socket unix", call(unix.SYS_SOCKET, unix.AF_UNIX, unix.SOCK_STREAM)},
		{"connect", call(unix.SYS_CONNECT, testSock)},
		{"bind", call(unix.SYS_BIND, testSock)},
		{"open_by_handle_at", call(unix.SYS_OPEN_BY_HANDLE_AT)},
		{"name_to_handle_at", call(unix.SYS_NAME_TO_HANDLE_AT)},
		{"setns", call(unix.SYS_SETNS)},
		{"unshare", call(unix.SYS_UNSHARE)},
		{"clone3", call(unix.SYS_CLONE3)},
		{"fork-like clone", call(unix.SYS_CLONE, uint64(unix.SIGCHLD))},
		{"clone newns", call(unix.SYS_CLONE, seccomp.GoRuntimeCloneFlags|unix.CLONE_NEWNS)},
		{"fork", call(unix.SYS_FORK)},
		{"kill", call(unix.SYS_KILL, 1, 9)},
		{"capset", call(unix.SYS_CAPSET)},
		{"setuid", call(unix.SYS_SETUID, 0)},
		{"prctl", call(unix.SYS_PRCTL, unix.PR_SET_DUMPABLE, 1)},
		{"seccomp", call(unix.SYS_SECCOMP)},
		{"bpf", call(unix.SYS_BPF)},
		{"process_vm_writev", call(unix.SYS_PROCESS_VM_WRITEV)},
		{"ioctl", call(unix.SYS_IOCTL, 0, unix.TIOCSTI)},
		{"sendmsg other fd", call(unix.SYS_SENDMSG, testSock+1, 0, unix.MSG_NOSIGNAL)},
		{"sendmsg fd high bits", call(unix.SYS_SENDMSG, 1<<32|testSock+1, 0, unix.MSG_NOSIGNAL)},
		{"sendmsg other flags", call(unix.SYS_SENDMSG, testSock, 0, unix.MSG_NOSIGNAL|unix.MSG_OOB)},
		{"recvmsg other fd", call(unix.SYS_RECVMSG, 0, 0, unix.MSG_CMSG_CLOEXEC)},
		{"sendto", call(unix.SYS_SENDTO, testSock)},
		{"fcntl dupfd", call(unix.SYS_FCNTL, 5, unix.F_DUPFD)},
		{"fcntl setown", call(unix.SYS_FCNTL, 5, unix.F_SETOWN)},
		{"fcntl setlease", call(unix.SYS_FCNTL, 5, unix.F_SETLEASE)},
		{"mmap shared file", call(unix.SYS_MMAP, 0, 4096, unix.PROT_READ, unix.MAP_SHARED, 5, 0)},
		{"mmap private file", call(unix.SYS_MMAP, 0, 4096, unix.PROT_READ, unix.MAP_PRIVATE, 5, 0)},
		{"mprotect", call(unix.SYS_MPROTECT, 0, 4096, unix.PROT_EXEC)},
		{"sched_getaffinity other", call(unix.SYS_SCHED_GETAFFINITY, 1)},
		{"foreign arch", seccomp.Data{Nr: unix.SYS_READ, Arch: unix.AUDIT_ARCH_I386}},
		{"x32 write", call(0x40000000 | unix.SYS_WRITE)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := seccomp.Eval(prog, tc.d)
			if err != nil {
				t.Fatal(err)
			}
			if got != seccomp.ActionKillProcess {
				t.Errorf("got %#x, want kill process", got)
			}
		})
	}
	// The runtime's own anonymous mappings still work.
	if got, _ := seccomp.Eval(prog, call(unix.SYS_MMAP, 0, 4096, unix.PROT_READ|unix.PROT_WRITE, anonPriv|unix.MAP_FIXED, 0xffffffff, 0)); got != seccomp.ActionAllow {
		t.Errorf("anonymous mmap: got %#x, want allow", got)
	}
}
