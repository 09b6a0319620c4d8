package ptrace

import (
	"runtime"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/platform"
	"github.com/cocoon-sandbox/cocoon/sentry/arch"
)

// benchSetup maps "syscall; jmp back" at 0x400000 in a fresh address space.
func benchSetup(b testing.TB) (*Platform, *AddressSpace, platform.Context, *arch.State) {
	p, mf := newPlatform(b)
	pas, err := p.NewAddressSpace()
	if err != nil {
		b.Fatal(err)
	}
	code := mf.Page(b, []byte{0x0f, 0x05, 0xeb, 0xfc}) // syscall; jmp -4
	if err := pas.MapFile(0x400000, mf.FD(), code, linux.PageSize, platform.AccessType{Read: true, Execute: true}); err != nil {
		b.Fatal(err)
	}
	ctx, _ := p.NewContext()
	st := arch.NewInitialState(0x400000, 0)
	st.Regs.Rax = unix.SYS_GETPPID
	if ev, _, err := ctx.Switch(pas, &st); err != nil || ev != platform.EventSyscall {
		b.Fatalf("first Switch: %v %v", ev, err)
	}
	return p, pas.(*AddressSpace), ctx, &st
}

// BenchmarkSyscallRoundTrip measures one application system call through
// Switch: the stop, the registers out and in, and the resume.
func BenchmarkSyscallRoundTrip(b *testing.B) {
	_, as, ctx, st := benchSetup(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		st.SetReturn(unix.SYS_GETPPID)
		if ev, _, err := ctx.Switch(as, st); err != nil || ev != platform.EventSyscall {
			b.Fatalf("Switch: %v %v", ev, err)
		}
	}
}

// BenchmarkRawSysemuRoundTrip is the floor for the same loop: the four
// host calls Switch makes (SETREGS, SYSEMU, wait4, GETREGS) and nothing
// else, on the same stub.
func BenchmarkRawSysemuRoundTrip(b *testing.B) {
	_, as, _, st := benchSetup(b)
	runtime.LockOSThread() // already locked by NewContext; explicit here
	regs := st.Regs
	var status unix.WaitStatus
	tid := as.pid
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		regs.Orig_rax = ^uint64(0)
		regs.Rax = unix.SYS_GETPPID
		setRegs(tid, &regs)
		ptrace(unix.PTRACE_SYSEMU, tid, 0, 0)
		wait(tid, &status)
		getRegs(tid, &regs)
	}
}
