package filter

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/seccomp"
)

func call(nr uintptr, args ...uint64) seccomp.Data {
	d := seccomp.Data{Nr: int32(nr), Arch: unix.AUDIT_ARCH_X86_64}
	copy(d.Args[:], args)
	return d
}

// matching returns a value m matches, from the values the rules use.
func matching(t *testing.T, m seccomp.Arg) uint64 {
	for _, v := range []uint64{0, unix.TCGETS, unix.TCSETS, unix.TCSETSW, unix.TCSETSF,
		unix.TIOCGWINSZ, unix.TIOCSWINSZ, unix.TIOCGPGRP, unix.TIOCINQ,
		unix.F_GETFL, unix.F_SETFL, unix.F_GETFD, unix.F_SETFD, unix.F_DUPFD_CLOEXEC,
		unix.FALLOC_FL_PUNCH_HOLE | unix.FALLOC_FL_KEEP_SIZE, unix.EFD_CLOEXEC | unix.EFD_NONBLOCK,
		seccomp.GoRuntimeCloneFlags} {
		if m == seccomp.Any || m == seccomp.EqualTo(v) {
			return v
		}
	}
	t.Fatalf("no test value for matcher %v", m)
	return 0
}

func TestEveryRuleAllows(t *testing.T) {
	prog, err := New().Build()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range Rules() {
		d := call(r.Nr)
		for i, m := range r.Args {
			d.Args[i] = matching(t, m)
		}
		if got, err := seccomp.Eval(prog, d); err != nil || got != seccomp.ActionAllow {
			t.Errorf("nr %d args %#x: got %#x, %v; want allow", r.Nr, d.Args, got, err)
		}
	}
}

// TestAdversarial checks what a subverted sentry must not be able to do.
func TestAdversarial(t *testing.T) {
	prog, err := New().Build()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		d    seccomp.Data
	}{
		{"execve", call(unix.SYS_EXECVE)},
		{"execveat", call(unix.SYS_EXECVEAT)},
		{"mount", call(unix.SYS_MOUNT)},
		{"pivot_root", call(unix.SYS_PIVOT_ROOT)},
		{"open", call(unix.SYS_OPEN)},
		{"openat", call(unix.SYS_OPENAT)},
		{"open_by_handle_at", call(unix.SYS_OPEN_BY_HANDLE_AT)},
		{"socket inet", call(unix.SYS_SOCKET, unix.AF_INET, unix.SOCK_STREAM)},
		{"socket unix", call(unix.SYS_SOCKET, unix.AF_UNIX, unix.SOCK_STREAM)},
		{"connect", call(unix.SYS_CONNECT)},
		{"bind", call(unix.SYS_BIND)},
		{"setns", call(unix.SYS_SETNS)},
		{"unshare", call(unix.SYS_UNSHARE)},
		{"clone3", call(unix.SYS_CLONE3)},
		{"fork-like clone", call(unix.SYS_CLONE, uint64(unix.SIGCHLD))},
		{"fork", call(unix.SYS_FORK)},
		{"capset", call(unix.SYS_CAPSET)},
		{"setuid", call(unix.SYS_SETUID)},
		{"prctl", call(unix.SYS_PRCTL)},
		{"seccomp", call(unix.SYS_SECCOMP)},
		{"bpf", call(unix.SYS_BPF)},
		{"memfd_create", call(unix.SYS_MEMFD_CREATE)},
		{"process_vm_writev", call(unix.SYS_PROCESS_VM_WRITEV)},
		{"ioctl tiocsti", call(unix.SYS_IOCTL, 0, unix.TIOCSTI)},
		{"fcntl setown", call(unix.SYS_FCNTL, 0, unix.F_SETOWN)},
		{"fallocate allocate", call(unix.SYS_FALLOCATE, 3, 0)},
		{"sched_setaffinity other", call(unix.SYS_SCHED_SETAFFINITY, 1)},
		{"foreign arch", seccomp.Data{Nr: unix.SYS_READ, Arch: unix.AUDIT_ARCH_I386}},
		{"x32 read", call(0x40000000 | unix.SYS_READ)},
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
}
