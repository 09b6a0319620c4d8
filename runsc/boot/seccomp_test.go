package boot

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/bpf"
	linuxsys "github.com/cocoon-sandbox/cocoon/sentry/syscalls/linux"
)

func uintp(v uint) *uint { return &v }

func TestCompileOCISeccomp(t *testing.T) {
	profile := &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32},
		Flags:         []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog},
		Syscalls: []specs.LinuxSyscall{
			{Names: []string{"getppid", "no_such_call"}, Action: specs.ActErrno},
			{Names: []string{"getuid"}, Action: specs.ActErrno, ErrnoRet: uintp(uint(unix.EACCES))},
			// Different arguments: all must hold.
			{Names: []string{"kill"}, Action: specs.ActErrno, ErrnoRet: uintp(1), Args: []specs.LinuxSeccompArg{
				{Index: 0, Value: 100, Op: specs.OpGreaterThan},
				{Index: 1, Value: 9, Op: specs.OpEqualTo},
			}},
			// One argument twice: either may hold.
			{Names: []string{"personality"}, Action: specs.ActErrno, ErrnoRet: uintp(2), Args: []specs.LinuxSeccompArg{
				{Index: 0, Value: 5, Op: specs.OpLessThan},
				{Index: 0, Value: 0xff, ValueTwo: 0x80, Op: specs.OpMaskedEqual},
			}},
			{Names: []string{"setpgid"}, Action: specs.ActTrap, Args: []specs.LinuxSeccompArg{
				{Index: 2, Value: 7, Op: specs.OpNotEqual},
				{Index: 3, Value: 7, Op: specs.OpLessEqual},
				{Index: 4, Value: 7, Op: specs.OpGreaterEqual},
			}},
			// Never matches: the value has bits outside the mask.
			{Names: []string{"getpid"}, Action: specs.ActKillProcess, Args: []specs.LinuxSeccompArg{
				{Index: 0, Value: 0xf, ValueTwo: 0x10, Op: specs.OpMaskedEqual},
			}},
			// Same as the default: dropped.
			{Names: []string{"read"}, Action: specs.ActAllow},
		},
	}
	p, err := CompileOCISeccomp(profile)
	if err != nil {
		t.Fatal(err)
	}
	errno := func(e uint32) uint32 { return unix.SECCOMP_RET_ERRNO | e }
	for _, tc := range []struct {
		name string
		nr   int32
		args [6]uint64
		want uint32
	}{
		{"listed, errno defaults to EPERM", unix.SYS_GETPPID, [6]uint64{}, errno(uint32(unix.EPERM))},
		{"errnoRet", unix.SYS_GETUID, [6]uint64{}, errno(uint32(unix.EACCES))},
		{"not listed", unix.SYS_GETGID, [6]uint64{}, unix.SECCOMP_RET_ALLOW},
		{"and: both hold", unix.SYS_KILL, [6]uint64{101, 9}, errno(1)},
		{"and: one fails", unix.SYS_KILL, [6]uint64{100, 9}, unix.SECCOMP_RET_ALLOW},
		{"and: other fails", unix.SYS_KILL, [6]uint64{1 << 40, 15}, unix.SECCOMP_RET_ALLOW},
		{"and: 64-bit gt", unix.SYS_KILL, [6]uint64{1 << 40, 9}, errno(1)},
		{"or: first", unix.SYS_PERSONALITY, [6]uint64{4}, errno(2)},
		{"or: second", unix.SYS_PERSONALITY, [6]uint64{0x180}, errno(2)},
		{"or: neither", unix.SYS_PERSONALITY, [6]uint64{0x17f}, unix.SECCOMP_RET_ALLOW},
		{"ne le ge", unix.SYS_SETPGID, [6]uint64{0, 0, 6, 7, 7}, unix.SECCOMP_RET_TRAP},
		{"ne fails", unix.SYS_SETPGID, [6]uint64{0, 0, 7, 7, 7}, unix.SECCOMP_RET_ALLOW},
		{"never", unix.SYS_GETPID, [6]uint64{0x10}, unix.SECCOMP_RET_ALLOW},
		{"default read", unix.SYS_READ, [6]uint64{}, unix.SECCOMP_RET_ALLOW},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := bpf.Data{Nr: tc.nr, Arch: bpf.AuditArchX86_64, Args: tc.args}
			if got := p.Run(&d); got != tc.want {
				t.Fatalf("Run = %#x, want %#x", got, tc.want)
			}
		})
	}
}

func TestCompileOCISeccompDefault(t *testing.T) {
	p, err := CompileOCISeccomp(&specs.LinuxSeccomp{
		DefaultAction:   specs.ActErrno,
		DefaultErrnoRet: uintp(38),
		Syscalls:        []specs.LinuxSyscall{{Names: []string{"read", "write"}, Action: specs.ActAllow}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for nr, want := range map[int32]uint32{
		unix.SYS_READ:  unix.SECCOMP_RET_ALLOW,
		unix.SYS_WRITE: unix.SECCOMP_RET_ALLOW,
		unix.SYS_OPEN:  unix.SECCOMP_RET_ERRNO | 38,
	} {
		d := bpf.Data{Nr: nr, Arch: bpf.AuditArchX86_64}
		if got := p.Run(&d); got != want {
			t.Errorf("nr %d: Run = %#x, want %#x", nr, got, want)
		}
	}
}

func TestCompileOCISeccompErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		profile specs.LinuxSeccomp
		want    string
	}{
		{"no default", specs.LinuxSeccomp{}, "linux.seccomp.defaultAction: missing"},
		{"bad default", specs.LinuxSeccomp{DefaultAction: "SCMP_ACT_NOPE"}, "linux.seccomp.defaultAction: unknown action"},
		{"bad arch", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Architectures: []specs.Arch{"SCMP_ARCH_Z80"}},
			"linux.seccomp.architectures[0]"},
		{"bad flag", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{"X"}},
			"linux.seccomp.flags[0]"},
		{"notify", specs.LinuxSeccomp{DefaultAction: specs.ActAllow,
			Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActNotify}}},
			"linux.seccomp.syscalls[0].action: SCMP_ACT_NOTIFY is not supported"},
		{"bad op", specs.LinuxSeccomp{DefaultAction: specs.ActAllow,
			Syscalls: []specs.LinuxSyscall{{Names: []string{"write"}, Action: specs.ActLog}, {Names: []string{"read"}, Action: specs.ActErrno,
				Args: []specs.LinuxSeccompArg{{Index: 0, Op: "SCMP_CMP_ABOUT"}}}}},
			"linux.seccomp.syscalls[1].args[0].op"},
		{"bad index", specs.LinuxSeccomp{DefaultAction: specs.ActAllow,
			Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActErrno,
				Args: []specs.LinuxSeccompArg{{Index: 6, Op: specs.OpEqualTo}}}}},
			"linux.seccomp.syscalls[0].args[0].index"},
		{"empty name", specs.LinuxSeccomp{DefaultAction: specs.ActAllow,
			Syscalls: []specs.LinuxSyscall{{Names: []string{""}, Action: specs.ActErrno}}},
			"linux.seccomp.syscalls[0].names[0]"},
		{"errno too big", specs.LinuxSeccomp{DefaultAction: specs.ActAllow,
			Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActErrno, ErrnoRet: uintp(1 << 20)}}},
			"linux.seccomp.syscalls[0].action: errnoRet"},
		{"listener", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, ListenerPath: "/run/l.sock"},
			"linux.seccomp.listenerPath"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := CompileOCISeccomp(&tc.profile)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("CompileOCISeccomp: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// BenchmarkOCIProfile runs a profile the size of Docker's default (every
// name in the sentry's table allowed, the rest EPERM) for a call in the
// middle of the table.
func BenchmarkOCIProfile(b *testing.B) {
	var names []string
	for _, e := range linuxsys.Entries() {
		names = append(names, e.Name)
	}
	p, err := CompileOCISeccomp(&specs.LinuxSeccomp{
		DefaultAction: specs.ActErrno,
		Syscalls:      []specs.LinuxSyscall{{Names: names, Action: specs.ActAllow}},
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(p.Len()), "insns")
	d := bpf.Data{Nr: unix.SYS_GETPPID, Arch: bpf.AuditArchX86_64}
	for i := 0; i < b.N; i++ {
		if p.Run(&d) != unix.SECCOMP_RET_ALLOW {
			b.Fatal("getppid denied")
		}
	}
}
