package seccomp

import (
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func testFilter() *Filter {
	return &Filter{
		Rules: []SyscallRule{
			Allow(unix.SYS_READ),
			Allow(unix.SYS_MMAP, Any, Any, Any, EqualTo(unix.MAP_SHARED|unix.MAP_FIXED), EqualTo(3)),
			Allow(unix.SYS_PRCTL, EqualTo(unix.PR_SET_PDEATHSIG), EqualTo(uint64(unix.SIGKILL))),
			// Two forms of fcntl: either F_GETFD, or F_SETFL with only
			// O_NONBLOCK in the low bits that matter.
			Allow(unix.SYS_FCNTL, Any, EqualTo(unix.F_GETFD)),
			Allow(unix.SYS_FCNTL, Any, EqualTo(unix.F_SETFL), MaskedEqual(0xfff, unix.O_NONBLOCK)),
			Rule(unix.SYS_GETPPID, ActionErrno(unix.EPERM)),
			// A matcher on the high half only.
			Allow(unix.SYS_LSEEK, Any, MaskedEqual(0xffffffff00000000, 0x100000000)),
		},
		Default: ActionKillProcess,
		BadArch: ActionKillThread,
	}
}

func TestBuildEval(t *testing.T) {
	prog, err := testFilter().Build()
	if err != nil {
		t.Fatal(err)
	}
	const x86 = unix.AUDIT_ARCH_X86_64
	for _, tc := range []struct {
		name string
		d    Data
		want Action
	}{
		{"read any args", Data{Nr: unix.SYS_READ, Arch: x86, Args: [6]uint64{1, 2, 3}}, ActionAllow},
		{"write not listed", Data{Nr: unix.SYS_WRITE, Arch: x86}, ActionKillProcess},
		{"foreign arch", Data{Nr: unix.SYS_READ, Arch: unix.AUDIT_ARCH_I386}, ActionKillThread},
		{"x32 read", Data{Nr: 0x40000000 | unix.SYS_READ, Arch: x86}, ActionKillProcess},
		{"mmap ok", Data{Nr: unix.SYS_MMAP, Arch: x86, Args: [6]uint64{0x1000, 0x2000, 7, unix.MAP_SHARED | unix.MAP_FIXED, 3, 0}}, ActionAllow},
		{"mmap private", Data{Nr: unix.SYS_MMAP, Arch: x86, Args: [6]uint64{0x1000, 0x2000, 7, unix.MAP_PRIVATE | unix.MAP_FIXED, 3, 0}}, ActionKillProcess},
		{"mmap other fd", Data{Nr: unix.SYS_MMAP, Arch: x86, Args: [6]uint64{0x1000, 0x2000, 7, unix.MAP_SHARED | unix.MAP_FIXED, 4, 0}}, ActionKillProcess},
		{"mmap fd high bits", Data{Nr: unix.SYS_MMAP, Arch: x86, Args: [6]uint64{0x1000, 0x2000, 7, unix.MAP_SHARED | unix.MAP_FIXED, 1<<32 | 3, 0}}, ActionKillProcess},
		{"mmap flags high bits", Data{Nr: unix.SYS_MMAP, Arch: x86, Args: [6]uint64{0x1000, 0x2000, 7, 1<<40 | unix.MAP_SHARED | unix.MAP_FIXED, 3, 0}}, ActionKillProcess},
		{"prctl pdeathsig kill", Data{Nr: unix.SYS_PRCTL, Arch: x86, Args: [6]uint64{unix.PR_SET_PDEATHSIG, 9}}, ActionAllow},
		{"prctl pdeathsig other", Data{Nr: unix.SYS_PRCTL, Arch: x86, Args: [6]uint64{unix.PR_SET_PDEATHSIG, 10}}, ActionKillProcess},
		{"prctl other", Data{Nr: unix.SYS_PRCTL, Arch: x86, Args: [6]uint64{unix.PR_SET_DUMPABLE, 9}}, ActionKillProcess},
		{"fcntl getfd", Data{Nr: unix.SYS_FCNTL, Arch: x86, Args: [6]uint64{5, unix.F_GETFD}}, ActionAllow},
		{"fcntl setfl nonblock", Data{Nr: unix.SYS_FCNTL, Arch: x86, Args: [6]uint64{5, unix.F_SETFL, 0x7000 | unix.O_NONBLOCK}}, ActionAllow},
		{"fcntl setfl append", Data{Nr: unix.SYS_FCNTL, Arch: x86, Args: [6]uint64{5, unix.F_SETFL, unix.O_APPEND}}, ActionKillProcess},
		{"fcntl dupfd", Data{Nr: unix.SYS_FCNTL, Arch: x86, Args: [6]uint64{5, unix.F_DUPFD}}, ActionKillProcess},
		{"getppid errno", Data{Nr: unix.SYS_GETPPID, Arch: x86}, ActionErrno(unix.EPERM)},
		{"lseek high half", Data{Nr: unix.SYS_LSEEK, Arch: x86, Args: [6]uint64{0, 0x1_2345_6789}}, ActionAllow},
		{"lseek high half wrong", Data{Nr: unix.SYS_LSEEK, Arch: x86, Args: [6]uint64{0, 0x2_2345_6789}}, ActionKillProcess},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Eval(prog, tc.d)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("Eval = %#x, want %#x", got, tc.want)
			}
		})
	}
}

func TestBuildLarge(t *testing.T) {
	// Enough rules that a conditional jump over a whole block would not
	// fit in 8 bits: every number must still be reachable.
	f := &Filter{Default: ActionKillProcess, BadArch: ActionKillProcess}
	for nr := uintptr(0); nr < 300; nr++ {
		f.Rules = append(f.Rules, Allow(nr, Any, EqualTo(uint64(nr)+1)))
	}
	prog, err := f.Build()
	if err != nil {
		t.Fatal(err)
	}
	for _, nr := range []int32{0, 150, 299} {
		d := Data{Nr: nr, Arch: unix.AUDIT_ARCH_X86_64, Args: [6]uint64{uint64(nr), uint64(nr) + 1}}
		if got, err := Eval(prog, d); err != nil || got != ActionAllow {
			t.Errorf("nr %d: got %#x, %v; want allow", nr, got, err)
		}
		d.Args[1] = 0
		if got, err := Eval(prog, d); err != nil || got != ActionKillProcess {
			t.Errorf("nr %d bad arg: got %#x, %v; want kill", nr, got, err)
		}
	}
	if len(prog) < 300*8 {
		t.Fatalf("program of %d instructions is too small to test far jumps", len(prog))
	}
	if got, _ := Eval(prog, Data{Nr: 300, Arch: unix.AUDIT_ARCH_X86_64}); got != ActionKillProcess {
		t.Errorf("nr 300: got %#x, want kill", got)
	}
}

func TestMarshal(t *testing.T) {
	b := Marshal([]unix.SockFilter{{Code: 0x15, Jt: 1, Jf: 2, K: 0xc000003e}})
	want := []byte{0x15, 0, 1, 2, 0x3e, 0, 0, 0xc0}
	if string(b) != string(want) {
		t.Errorf("Marshal = %x, want %x", b, want)
	}
}

const helperEnv = "COCOON_SECCOMP_TEST_HELPER"

// TestInstallSubprocess installs a filter in a child process and checks
// that the kernel enforces it: an errno rule, an argument-matched allow,
// and a kill.
func TestInstallSubprocess(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	out, err := cmd.CombinedOutput()
	ee, ok := err.(*exec.ExitError)
	if !ok {
		t.Fatalf("helper: want death by SIGSYS, got err %v, output:\n%s", err, out)
	}
	ws := ee.Sys().(syscall.WaitStatus)
	if !ws.Signaled() || ws.Signal() != unix.SIGSYS {
		t.Fatalf("helper: want death by SIGSYS, got %v, output:\n%s", ws, out)
	}
	for _, line := range []string{"getppid: operation not permitted", "getpgid(0) ok", "getpgid(1) blocked: operation not permitted", "calling acct"} {
		if !strings.Contains(string(out), line+"\n") {
			t.Errorf("helper output lacks %q:\n%s", line, out)
		}
	}
	if strings.Contains(string(out), "survived") {
		t.Errorf("helper survived the kill rule:\n%s", out)
	}
}

func TestHelperProcess(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		t.Skip("helper for TestInstallSubprocess")
	}
	runtime.LockOSThread()
	f := &Filter{
		Rules: []SyscallRule{
			Rule(unix.SYS_GETPPID, ActionErrno(unix.EPERM)),
			Allow(unix.SYS_GETPGID, EqualTo(0)),
			Rule(unix.SYS_GETPGID, ActionErrno(unix.EPERM)),
			Rule(unix.SYS_ACCT, ActionKillProcess),
		},
		Default: ActionAllow,
		BadArch: ActionKillProcess,
	}
	prog, err := f.Build()
	if err != nil {
		t.Fatal(err)
	}
	if err := Install(prog); err != nil {
		t.Fatal(err)
	}
	w := os.Stdout
	if _, _, e := unix.RawSyscall(unix.SYS_GETPPID, 0, 0, 0); e != 0 {
		w.WriteString("getppid: " + e.Error() + "\n")
	}
	if _, _, e := unix.RawSyscall(unix.SYS_GETPGID, 0, 0, 0); e == 0 {
		w.WriteString("getpgid(0) ok\n")
	}
	if _, _, e := unix.RawSyscall(unix.SYS_GETPGID, 1, 0, 0); e != 0 {
		w.WriteString("getpgid(1) blocked: " + e.Error() + "\n")
	}
	w.WriteString("calling acct\n")
	unix.RawSyscall(unix.SYS_ACCT, 0, 0, 0)
	w.WriteString("survived\n")
	os.Exit(0)
}

// TestCompareArgs checks the 64-bit comparisons Build emits against
// Arg.Matches, on values around the halves' boundaries.
func TestCompareArgs(t *testing.T) {
	edges := []uint64{0, 1, 0xffffffff, 0x100000000, 0x100000001, 0x1ffffffff, 0x7fffffffffffffff,
		0x8000000000000000, 0xfffffffffffffffe, 0xffffffffffffffff, 0x12345678, 0x1234567800000000}
	ops := []struct {
		name string
		arg  func(uint64) Arg
	}{
		{"ne", NotEqual}, {"lt", LessThan}, {"le", LessOrEqual},
		{"ge", GreaterOrEqual}, {"gt", GreaterThan}, {"eq", EqualTo},
	}
	for _, op := range ops {
		for _, v := range edges {
			f := &Filter{
				Rules:   []SyscallRule{Rule(unix.SYS_READ, ActionErrno(unix.EPERM), Any, op.arg(v))},
				Default: ActionAllow,
				BadArch: ActionKillProcess,
			}
			prog, err := f.Build()
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range edges {
				for _, y := range []uint64{x, x - 1, x + 1} {
					got, err := Eval(prog, Data{Nr: unix.SYS_READ, Arch: unix.AUDIT_ARCH_X86_64, Args: [6]uint64{0, y}})
					if err != nil {
						t.Fatal(err)
					}
					want := ActionAllow
					if op.arg(v).Matches(y) {
						want = ActionErrno(unix.EPERM)
					}
					if got != want {
						t.Errorf("%s %#x: arg %#x gives %#x, want %#x", op.name, v, y, got, want)
					}
				}
			}
		}
	}
}

// TestBuildSearch checks the binary search over many numbers: every
// listed number finds its own rules (and its argument matcher), every
// other one the default.
func TestBuildSearch(t *testing.T) {
	f := &Filter{Default: ActionAllow, BadArch: ActionKillProcess}
	listed := map[int32]bool{}
	for nr := uintptr(1); nr < 330; nr += 3 {
		f.Rules = append(f.Rules, Rule(nr, ActionErrno(unix.Errno(nr)), EqualTo(uint64(nr))))
		listed[int32(nr)] = true
	}
	prog, err := f.Build()
	if err != nil {
		t.Fatal(err)
	}
	for nr := int32(0); nr < 340; nr++ {
		for _, arg := range []uint64{uint64(nr), uint64(nr) + 1} {
			got, err := Eval(prog, Data{Nr: nr, Arch: unix.AUDIT_ARCH_X86_64, Args: [6]uint64{arg}})
			if err != nil {
				t.Fatal(err)
			}
			want := ActionAllow
			if listed[nr] && arg == uint64(nr) {
				want = ActionErrno(unix.Errno(nr))
			}
			if got != want {
				t.Fatalf("nr %d arg %d: %#x, want %#x", nr, arg, got, want)
			}
		}
	}
}
