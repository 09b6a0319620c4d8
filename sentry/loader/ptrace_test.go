package loader

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/platform"
	"github.com/cocoon-sandbox/cocoon/platform/ptrace"
	"github.com/cocoon-sandbox/cocoon/sentry/arch"
	"github.com/cocoon-sandbox/cocoon/sentry/mm"
)

// runResult is what a program run on the real platform did.
type runResult struct {
	out    string
	exit   int
	fault  *platform.SignalInfo
	faults int
}

// runOnPtrace loads path into a memory manager on the ptrace platform and
// runs it with a tiny syscall loop (write, mmap, exit_group): the loader
// and the memory manager's fault handling end to end, without the kernel.
func runOnPtrace(t *testing.T, path string, argv []string) runResult {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	m0, _ := newMM(t) // makes sure testMF exists
	_ = m0
	p, err := ptrace.New(testMF.FD())
	if err != nil {
		t.Skipf("ptrace platform unavailable: %v", err)
	}
	defer p.Release()
	m, err := mm.New(p, testMF)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Release()
	img, err := Load(m, (&opener{}).open, path, argv, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, err := p.NewContext()
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Release()
	st := arch.NewInitialState(img.Entry, img.StackPointer)
	var r runResult
	for steps := 0; steps < 100000; steps++ {
		ev, info, err := ctx.Switch(m.AddressSpace(), &st)
		if err != nil {
			t.Fatalf("Switch: %v", err)
		}
		switch ev {
		case platform.EventSyscall:
			a := st.SyscallArgs()
			switch st.SyscallNo() {
			case 1: // write
				buf := make([]byte, min(a[2], 4096))
				n, _ := m.CopyIn(a[1], buf)
				r.out += string(buf[:n])
				st.SetReturn(uintptr(n))
			case 9: // mmap, anonymous private only
				addr, err := m.MMap(mm.MMapOpts{Addr: a[0], Length: a[1], Perms: platform.ProtToAccessType(uint64(a[2])), Private: true})
				if err != nil {
					t.Fatalf("mmap: %v", err)
				}
				st.SetReturn(addr)
			case 231: // exit_group
				r.exit = int(a[0])
				return r
			default:
				t.Fatalf("unexpected syscall %d", st.SyscallNo())
			}
		case platform.EventFault:
			r.faults++
			if si, err := m.HandleHostFault(info); err != nil {
				r.fault = &si
				return r
			}
		default:
			t.Fatalf("unexpected event %v %+v at rip %#x", ev, info, st.Regs.Rip)
		}
	}
	t.Fatalf("program did not finish")
	return r
}

func TestRunOnPtrace(t *testing.T) {
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("no gcc")
	}
	prog := filepath.Join(t.TempDir(), "prog")
	if b, err := exec.Command("gcc", "-static", "-nostdlib", "-no-pie", "-O1", "-fno-stack-protector",
		"-fno-builtin", "-o", prog, "testdata/runprog.c").CombinedOutput(); err != nil {
		t.Skipf("gcc: %v\n%s", err, b)
	}
	// bss writes (74 pages), ~1 MiB of stack growth, an anonymous mmap.
	r := runOnPtrace(t, prog, []string{"prog", "hello"})
	if r.fault != nil {
		t.Fatalf("program faulted: %+v", *r.fault)
	}
	if r.out != "prog\nhello\n" || r.exit != 74+7 {
		t.Errorf("output %q exit %d, want %q and 81", r.out, r.exit, "prog\nhello\n")
	}
	t.Logf("%d faults", r.faults)

	// A store to .rodata is SIGSEGV/SEGV_ACCERR at the right address.
	r = runOnPtrace(t, prog, []string{"prog", "segv"})
	if r.fault == nil || r.fault.Signo != 11 || r.fault.Code != linux.SEGV_ACCERR || r.fault.Addr < 0x400000 || r.fault.Addr >= 0x500000 {
		t.Errorf("store to read-only data: %+v", r.fault)
	}
}
