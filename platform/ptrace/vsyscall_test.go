package ptrace

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/seccomp"
)

// TestStubFilterTracesVsyscalls: the three vsyscall numbers are traced at
// their own entry only; anywhere else, or at another entry, they are
// killed like any call outside the list.
func TestStubFilterTracesVsyscalls(t *testing.T) {
	prog, err := stubFilter().Build()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		nr   int32
		ip   uint64
		want seccomp.Action
	}{
		{"gettimeofday", unix.SYS_GETTIMEOFDAY, vsyscallGettimeofday, seccomp.ActionTrace},
		{"time", unix.SYS_TIME, vsyscallTime, seccomp.ActionTrace},
		{"getcpu", unix.SYS_GETCPU, vsyscallGetcpu, seccomp.ActionTrace},
		{"time at the gettimeofday entry", unix.SYS_TIME, vsyscallGettimeofday, seccomp.ActionKillProcess},
		{"gettimeofday from the stub", unix.SYS_GETTIMEOFDAY, stubBase + 0x80, seccomp.ActionKillProcess},
		{"gettimeofday high half only", unix.SYS_GETTIMEOFDAY, vsyscallGettimeofday &^ 0xffffffff, seccomp.ActionKillProcess},
		{"getpid in the page", unix.SYS_GETPID, vsyscallGettimeofday, seccomp.ActionKillProcess},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := seccomp.Eval(prog, seccomp.Data{Nr: c.nr, Arch: unix.AUDIT_ARCH_X86_64, IP: c.ip})
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("action %#x, want %#x", got, c.want)
			}
		})
	}
}
