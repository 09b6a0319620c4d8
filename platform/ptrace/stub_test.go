package ptrace

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/platform"
	"github.com/cocoon-sandbox/cocoon/platform/platformtest"
	"github.com/cocoon-sandbox/cocoon/seccomp"
	"github.com/cocoon-sandbox/cocoon/sentry/arch"
)

func TestStubCodeLayout(t *testing.T) {
	for _, c := range []struct {
		name string
		off  int
		want []byte
	}{
		{"ready int3", stubReady, []byte{0xcc}},
		{"syscall site", stubSyscallSite, []byte{0x0f, 0x05, 0xcc}},
		{"clone site", stubCloneSite, []byte{0x0f, 0x05}},
		{"clone parent trap", stubCloneTrap, []byte{0xcc}},
		// lea rdx, [rip+0x87]: 0x79 + 0x87 = 0x100, the sock_fprog.
		{"lea fprog", 0x72, []byte{0x48, 0x8d, 0x15, 0x87, 0x00, 0x00, 0x00}},
		// The exit status of the failure path.
		{"fail exit status", 0xbe, []byte{stubFailExit}},
	} {
		if got := stubCode[c.off : c.off+len(c.want)]; !bytes.Equal(got, c.want) {
			t.Errorf("%s at %#x: % x, want % x", c.name, c.off, got, c.want)
		}
	}
	// The two munmaps leave exactly the stub's page: [0, stubBase) and
	// [stubEnd, userTop).
	le := binary.LittleEndian
	if got := le.Uint64(stubCode[0x1a:]); got != stubBase {
		t.Errorf("first munmap length %#x, want stubBase %#x", got, stubBase)
	}
	if got := le.Uint64(stubCode[0x34:]); got != stubEnd {
		t.Errorf("second munmap start %#x, want stubEnd %#x", got, stubEnd)
	}
	if got := le.Uint32(stubCode[0x3d:]); uint64(got) != userTop-stubEnd {
		t.Errorf("second munmap length %#x, want userTop-stubEnd %#x", got, userTop-stubEnd)
	}
	if fprogOffset-codeOffset != 0x100 || len(stubCode) > 0x100 {
		t.Errorf("code (%d bytes) overlaps the sock_fprog at code+%#x", len(stubCode), fprogOffset-codeOffset)
	}
}

func TestStubFilter(t *testing.T) {
	prog, err := stubFilter().Build()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stubELF(seccomp.Marshal(prog)); err != nil {
		t.Fatal(err)
	}
	const x86 = unix.AUDIT_ARCH_X86_64
	shared := uint64(unix.MAP_SHARED | unix.MAP_FIXED)
	anonFixed := uint64(unix.MAP_PRIVATE | unix.MAP_ANONYMOUS | unix.MAP_FIXED)
	rw := uint64(unix.PROT_READ | unix.PROT_WRITE)
	for _, c := range []struct {
		name  string
		nr    int32
		args  [6]uint64
		allow bool
	}{
		{"mmap memfd", unix.SYS_MMAP, [6]uint64{0x400000, 0x1000, 7, shared, stubMemFD, 0x3000}, true},
		{"mmap passed fd", unix.SYS_MMAP, [6]uint64{0x400000, 0x1000, 7, shared, 1, 0}, true},
		{"mmap anonymous", unix.SYS_MMAP, [6]uint64{0, 0x1000, 7, unix.MAP_PRIVATE | unix.MAP_ANONYMOUS, ^uint64(0), 0}, false},
		{"mmap private memfd", unix.SYS_MMAP, [6]uint64{0x400000, 0x1000, 7, unix.MAP_PRIVATE | unix.MAP_FIXED, stubMemFD, 0}, false},
		{"mmap scratch", unix.SYS_MMAP, [6]uint64{scratchAddr, 0x1000, rw, anonFixed, ^uint64(0), 0}, true},
		{"mmap scratch executable", unix.SYS_MMAP, [6]uint64{scratchAddr, 0x1000, 7, anonFixed, ^uint64(0), 0}, false},
		{"mmap scratch bigger", unix.SYS_MMAP, [6]uint64{scratchAddr, 0x2000, rw, anonFixed, ^uint64(0), 0}, false},
		{"mmap anonymous elsewhere", unix.SYS_MMAP, [6]uint64{0x400000, 0x1000, rw, anonFixed, ^uint64(0), 0}, false},
		{"socketpair", unix.SYS_SOCKETPAIR, [6]uint64{unix.AF_UNIX, unix.SOCK_SEQPACKET | unix.SOCK_CLOEXEC, 0, scratchPair}, true},
		{"socketpair stream", unix.SYS_SOCKETPAIR, [6]uint64{unix.AF_UNIX, unix.SOCK_STREAM, 0, scratchPair}, false},
		{"socket", unix.SYS_SOCKET, [6]uint64{unix.AF_INET, unix.SOCK_STREAM}, false},
		{"recvmsg", unix.SYS_RECVMSG, [6]uint64{stubSockFD, scratchMsghdr, unix.MSG_CMSG_CLOEXEC}, true},
		{"recvmsg other fd", unix.SYS_RECVMSG, [6]uint64{4, scratchMsghdr, unix.MSG_CMSG_CLOEXEC}, false},
		{"close_range inherited", unix.SYS_CLOSE_RANGE, [6]uint64{stubMemFD + 1, math.MaxUint32, 0}, true},
		{"close_range other", unix.SYS_CLOSE_RANGE, [6]uint64{0, math.MaxUint32, 0}, false},
		{"recvmsg peek", unix.SYS_RECVMSG, [6]uint64{0, scratchMsghdr, unix.MSG_PEEK}, false},
		{"sendmsg", unix.SYS_SENDMSG, [6]uint64{0, scratchMsghdr, 0}, false},
		{"close", unix.SYS_CLOSE, [6]uint64{1}, true},
		{"munmap", unix.SYS_MUNMAP, [6]uint64{0x400000, 0x1000}, true},
		{"clone fork", unix.SYS_CLONE, [6]uint64{stubCloneFlags}, true},
		{"clone thread", unix.SYS_CLONE, [6]uint64{unix.CLONE_VM | unix.CLONE_THREAD | unix.CLONE_SIGHAND}, false},
		{"clone with stack", unix.SYS_CLONE, [6]uint64{stubCloneFlags, 0x5000}, false},
		{"prctl pdeathsig", unix.SYS_PRCTL, [6]uint64{unix.PR_SET_PDEATHSIG, uint64(unix.SIGKILL)}, true},
		{"prctl other", unix.SYS_PRCTL, [6]uint64{unix.PR_SET_DUMPABLE, 1}, false},
		{"exit_group", unix.SYS_EXIT_GROUP, [6]uint64{1}, true},
		{"getpid", unix.SYS_GETPID, [6]uint64{}, false},
		{"open", unix.SYS_OPEN, [6]uint64{}, false},
		{"execve", unix.SYS_EXECVE, [6]uint64{}, false},
		{"ptrace", unix.SYS_PTRACE, [6]uint64{}, false},
		{"x32 munmap", 0x40000000 | unix.SYS_MUNMAP, [6]uint64{}, false},
		{"time", unix.SYS_TIME, [6]uint64{}, false},
		{"gettimeofday", unix.SYS_GETTIMEOFDAY, [6]uint64{}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := seccomp.Eval(prog, seccomp.Data{Nr: c.nr, Arch: x86, Args: c.args})
			if err != nil {
				t.Fatal(err)
			}
			want := seccomp.ActionKillProcess
			if c.allow {
				want = seccomp.ActionAllow
			}
			if got != want {
				t.Errorf("action %#x, want %#x", got, want)
			}
		})
	}
	if got, _ := seccomp.Eval(prog, seccomp.Data{Nr: unix.SYS_MUNMAP, Arch: unix.AUDIT_ARCH_I386}); got != seccomp.ActionKillProcess {
		t.Errorf("i386 munmap: action %#x, want kill", got)
	}
}

func newPlatform(t testing.TB) (*Platform, *platformtest.MemoryFile) {
	mf := platformtest.NewMemoryFile(t)
	p, err := New(mf.FD())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Release)
	return p, mf
}

// TestInjectedForbiddenSyscallKillsStub checks the wall for real: a
// system call outside the stub's filter, executed by the stub itself,
// kills it with SIGSYS.
func TestInjectedForbiddenSyscallKillsStub(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread() // the stub dies below; nothing left traced
	p, _ := newPlatform(t)
	pas, err := p.NewAddressSpace()
	if err != nil {
		t.Fatal(err)
	}
	defer pas.Release()
	as := pas.(*AddressSpace)
	stub, _, err := as.threadFor(gettid())
	if err != nil {
		t.Fatal(err)
	}
	as.mu.Lock()
	_, err = injectSyscall(stub, &as.regs, &as.status, syscallSiteRIP, syscallTrapRIP, unix.SYS_GETPID, [6]uint64{})
	as.mu.Unlock()
	var exit *stubExitError
	if !errors.As(err, &exit) || !exit.status.Signaled() || exit.status.Signal() != unix.SIGSYS {
		t.Fatalf("injected getpid: err %v, want the stub killed by SIGSYS", err)
	}
	if !errors.Is(err, platform.ErrContextBroken) {
		t.Errorf("error %v does not wrap ErrContextBroken", err)
	}
}

// TestVsyscallIsASyscall runs application code that calls the legacy
// vsyscall page: the kernel emulates that call without a ptrace system-call
// stop, and the stub's filter traces it so that the platform reports it
// as a system call made at the return address (vsyscall.go), with nothing
// run in between; resumed, the application continues there with the
// sentry's rax.
func TestVsyscallIsASyscall(t *testing.T) {
	maps, _ := os.ReadFile("/proc/self/maps")
	if !bytes.Contains(maps, []byte("[vsyscall]")) {
		t.Skip("host has no vsyscall page")
	}
	p, mf := newPlatform(t)
	as, err := p.NewAddressSpace()
	if err != nil {
		t.Fatal(err)
	}
	defer as.Release()
	ctx, _ := p.NewContext()
	// mov rax, 0xffffffffff600000 (gettimeofday); call rax; syscall
	code := []byte{0x48, 0xc7, 0xc0, 0x00, 0x00, 0x60, 0xff, 0xff, 0xd0, 0x0f, 0x05}
	const retAddr = 0x400009
	if err := as.MapFile(0x400000, mf.FD(), mf.Page(t, code), linux.PageSize, platform.AnyAccess); err != nil {
		t.Fatal(err)
	}
	if err := as.MapFile(0x500000, mf.FD(), mf.Page(t, nil), linux.PageSize, platform.ReadWrite); err != nil {
		t.Fatal(err)
	}
	st := arch.NewInitialState(0x400000, 0x501000)
	ev, info, err := ctx.Switch(as, &st)
	if err != nil || ev != platform.EventSyscall || st.SyscallNo() != unix.SYS_GETTIMEOFDAY {
		t.Fatalf("vsyscall: event %v %+v err %v at rip %#x, want gettimeofday", ev, info, err, st.Regs.Rip)
	}
	if st.Regs.Rip != retAddr || st.Regs.Rsp != 0x501000 {
		t.Fatalf("vsyscall reported at rip %#x rsp %#x, want %#x and %#x (after the emulated ret)", st.Regs.Rip, st.Regs.Rsp, retAddr, 0x501000)
	}
	// Return 42 from it: the next stop is the syscall after the call,
	// whose number is the vsyscall's result.
	st.Regs.Rax = 42
	st.Regs.Rdi = 7
	ev, info, err = ctx.Switch(as, &st)
	if err != nil || ev != platform.EventSyscall || st.Regs.Rip != retAddr+2 || st.Regs.Rdi != 7 {
		t.Fatalf("after the vsyscall: event %v %+v err %v at rip %#x rdi %d", ev, info, err, st.Regs.Rip, st.Regs.Rdi)
	}
	if st.SyscallNo() != 42 {
		t.Errorf("syscall after the vsyscall has number %d, want 42 (the vsyscall's rax)", st.SyscallNo())
	}
}

// children returns the PIDs of this process's children (any thread's).
func children(t *testing.T) []int {
	var pids []int
	tasks, _ := os.ReadDir("/proc/self/task")
	for _, task := range tasks {
		b, err := os.ReadFile(fmt.Sprintf("/proc/self/task/%s/children", task.Name()))
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			pid, _ := strconv.Atoi(f)
			pids = append(pids, pid)
		}
	}
	return pids
}

// TestReleaseLeavesNothing checks that Platform.Release kills and reaps the
// template and every stub, seized or not, released or not.
func TestReleaseLeavesNothing(t *testing.T) {
	before := len(children(t))
	mf := platformtest.NewMemoryFile(t)
	p, err := New(mf.FD())
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() { // a task goroutine that seizes a stub and stays alive
		ctx, _ := p.NewContext()
		as, err := p.NewAddressSpace()
		if err == nil {
			_, _, err = ctx.Switch(as, &arch.State{Regs: unix.PtraceRegs{Cs: arch.UserCS, Ss: arch.UserSS, Rip: 0x400000}})
		}
		done <- err
		<-done
	}()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := p.NewAddressSpace(); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(children(t)); got != before+5 {
		t.Errorf("%d children with 4 stubs and a template, want %d", got, before+5)
	}
	p.Release()
	if got := children(t); len(got) != before {
		t.Errorf("children left after Release: %v", got)
	}
	done <- nil
}
