package filter

import (
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/platform"
	"github.com/cocoon-sandbox/cocoon/platform/platformtest"
	"github.com/cocoon-sandbox/cocoon/sentry/arch"
)

const platformHelperEnv = "COCOON_SENTRY_FILTER_PLATFORM_HELPER"

// TestPlatformUnderFilter runs each platform under the sentry's installed
// filter with the platform's rules, in a child process: stubs made, run,
// interrupted and released, the memory file and another file mapped. A
// host call the rules lack kills the child with SIGSYS.
func TestPlatformUnderFilter(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's own host calls are not the sentry's")
	}
	for _, name := range platform.Names() {
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestPlatformHelper$")
			cmd.Env = append(os.Environ(), platformHelperEnv+"="+name)
			out, err := cmd.CombinedOutput()
			if err != nil || !strings.Contains(string(out), "platform ok\n") {
				t.Fatalf("helper: %v, output:\n%s", err, out)
			}
		})
	}
}

// TestPlatformHelper is the child of TestPlatformUnderFilter. It exits
// itself, so that the test framework's teardown runs no host call the
// filter lacks.
func TestPlatformHelper(t *testing.T) {
	name := os.Getenv(platformHelperEnv)
	if name == "" {
		t.Skip("helper for TestPlatformUnderFilter")
	}
	c, err := platform.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	mf := platformtest.NewMemoryFile(t)
	other, err := unix.MemfdCreate("filter-test-other", unix.MFD_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := unix.Pwrite(other, binary.LittleEndian.AppendUint64(nil, 0x5eed), 0); err != nil {
		t.Fatal(err)
	}
	code := mf.Page(t, []byte{0x48, 0x8b, 0x03, 0x48, 0x89, 0xc7, 0x0f, 0x05, 0xeb, 0xfe})
	p, err := c.New(platform.Options{MemoryFileFD: mf.FD()})
	if err != nil {
		t.Fatal(err)
	}
	runtime.LockOSThread()
	if err := Install(c.SeccompRules()); err != nil {
		t.Fatal(err)
	}
	if err := drivePlatform(p, mf.FD(), code, other); err != nil {
		fmt.Fprintln(os.Stdout, "platform:", err)
		os.Exit(1)
	}
	p.Release()
	fmt.Fprintln(os.Stdout, "platform ok")
	os.Exit(0)
}

// drivePlatform runs code (at offset code of the memory file memFD: "mov
// rax, [rbx]; mov rdi, rax; syscall; jmp .") with rbx pointing into another
// file than the memory file, then interrupts the loop.
func drivePlatform(p platform.Platform, memFD int, code uint64, other int) error {
	as, err := p.NewAddressSpace()
	if err != nil {
		return err
	}
	defer as.Release()
	ctx, err := p.NewContext()
	if err != nil {
		return err
	}
	defer ctx.Release()
	if err := as.MapFile(0x400000, memFD, code, linux.PageSize, platform.AccessType{Read: true, Execute: true}); err != nil {
		return err
	}
	if err := as.MapFile(0x500000, other, 0, linux.PageSize, platform.Read); err != nil {
		return err
	}
	st := arch.NewInitialState(0x400000, 0)
	st.Regs.Rbx = 0x500000
	if ev, _, err := ctx.Switch(as, &st); err != nil || ev != platform.EventSyscall || st.Regs.Rdi != 0x5eed {
		return fmt.Errorf("switch: event %v, rdi %#x, err %v; want a system call with 0x5eed", ev, st.Regs.Rdi, err)
	}
	go ctx.Interrupt()
	for {
		ev, _, err := ctx.Switch(as, &st)
		if err != nil {
			return err
		}
		if ev == platform.EventInterrupted {
			return nil
		}
	}
}
