package ptrace

import (
	"fmt"
	"os"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/platform"
	"github.com/cocoon-sandbox/cocoon/sentry/arch"
)

// fdCount returns how many FDs process pid has open.
func fdCount(t *testing.T, pid int) int {
	t.Helper()
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// TestMapFileRoundTrips counts the system calls injected into a stub per
// MapFile (each a round trip through the stub), and checks that passing
// files leaves nothing behind: the stub holds its socket and the memory
// file only, and Release closes the sentry's end of the socket.
func TestMapFileRoundTrips(t *testing.T) {
	p, mf := newPlatform(t)
	pas, err := p.NewAddressSpace()
	if err != nil {
		t.Fatal(err)
	}
	as := pas.(*AddressSpace)
	ctx, err := p.NewContext() // locks this goroutine: it is the tracer
	if err != nil {
		t.Fatal(err)
	}
	code := mf.Page(t, []byte{0x0f, 0x05, 0xeb, 0xfc}) // syscall; jmp -4
	if err := as.MapFile(0x400000, mf.FD(), code, linux.PageSize, platform.AnyAccess); err != nil {
		t.Fatal(err)
	}
	st := arch.NewInitialState(0x400000, 0)
	if ev, _, err := ctx.Switch(as, &st); err != nil || ev != platform.EventSyscall {
		t.Fatalf("Switch: %v, %v", ev, err)
	}
	other, err := unix.MemfdCreate("ptrace-test-other", unix.MFD_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(other)
	if err := unix.Ftruncate(other, 2*linux.PageSize); err != nil {
		t.Fatal(err)
	}
	sentryFDs := fdCount(t, os.Getpid())

	for _, tc := range []struct {
		name string
		fn   func() error
		want int
	}{
		{"memory file", func() error {
			return as.MapFile(0x500000, mf.FD(), mf.Page(t, nil), linux.PageSize, platform.ReadWrite)
		}, 1},
		{"first other file", func() error {
			return as.MapFile(0x600000, other, 0, linux.PageSize, platform.Read)
		}, 6},
		{"other file again", func() error {
			return as.MapFile(0x601000, other, linux.PageSize, linux.PageSize, platform.Read)
		}, 3},
		{"unmap", func() error { as.Unmap(0x600000, 2*linux.PageSize); return nil }, 1},
	} {
		before := as.injected
		if err := tc.fn(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := as.injected - before; got != tc.want {
			t.Errorf("%s: %d injected system calls, want %d", tc.name, got, tc.want)
		}
	}
	if got := fdCount(t, int(as.pid)); got != 2 {
		t.Errorf("stub holds %d FDs, want 2 (its socket and the memory file)", got)
	}
	if got := fdCount(t, os.Getpid()); got != sentryFDs+1 {
		t.Errorf("sentry holds %d FDs, want %d (one more: the stub's socket)", got, sentryFDs+1)
	}
	as.Release()
	if got := fdCount(t, os.Getpid()); got != sentryFDs {
		t.Errorf("sentry holds %d FDs after Release, want %d", got, sentryFDs)
	}
}
