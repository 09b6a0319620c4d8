package mm

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/platform"
	"golang.org/x/sys/unix"
)

// specialPages returns two pages of the memory file holding "AB...", "CD...".
func specialPages(t *testing.T) (*SpecialPages, uint64) {
	t.Helper()
	mf := memFile(t)
	off, err := mf.Allocate(2 * linux.PageSize)
	if err != nil {
		t.Fatal(err)
	}
	copy(mf.Slice(off, 2*linux.PageSize), bytes.Repeat([]byte("AB"), linux.PageSize/2))
	copy(mf.Slice(off+linux.PageSize, linux.PageSize), bytes.Repeat([]byte("CD"), linux.PageSize/2))
	return NewSpecialPages(mf, off, 2), off
}

// TestSpecialPagesShared: every address space that maps the pages, and
// its forks, reads the very frames (a write by their owner shows at once);
// a write in one of them (after mprotect) copies the page for it alone;
// madvise(DONTNEED) brings the original back.
func TestSpecialPagesShared(t *testing.T) {
	sp, off := specialPages(t)
	rx := platform.AccessType{Read: true, Execute: true}
	m, _ := newMM(t)
	addr, err := m.MapSpecial(MMapOpts{Length: sp.Len(), Perms: rx, Private: true, Name: "[vdso]"}, sp)
	if err != nil {
		t.Fatal(err)
	}
	child, err := m.Fork()
	if err != nil {
		t.Fatal(err)
	}
	defer child.Release()
	read := func(m *MemoryManager, a uintptr) string {
		var b [2]byte
		if _, err := m.CopyIn(a, b[:]); err != nil {
			t.Fatalf("CopyIn(%#x): %v", a, err)
		}
		return string(b[:])
	}
	if got := read(m, addr) + read(m, addr+linux.PageSize); got != "ABCD" {
		t.Fatalf("read %q, want ABCD", got)
	}
	memFile(t).Slice(off, 2)[0] = 'X' // the owner updates the page
	if got := read(child, addr); got != "XB" {
		t.Errorf("the fork reads %q, want the owner's update XB", got)
	}
	if _, err := m.CopyOut(addr, []byte("no")); !errors.Is(err, unix.EFAULT) {
		t.Errorf("CopyOut to read+execute special pages: %v, want EFAULT", err)
	}
	if err := m.MProtect(addr, linux.PageSize, platform.ReadWrite); err != nil {
		t.Fatal(err)
	}
	if _, err := m.CopyOut(addr, []byte("mm")); err != nil {
		t.Fatal(err)
	}
	if got := read(m, addr); got != "mm" {
		t.Errorf("after the write: %q", got)
	}
	if got := read(child, addr); got != "XB" {
		t.Errorf("the fork sees the write: %q", got)
	}
	if got := string(memFile(t).Slice(off, 2)); got != "XB" {
		t.Errorf("the write reached the shared page: %q", got)
	}
	if err := m.Madvise(addr, linux.PageSize, unix.MADV_DONTNEED); err != nil {
		t.Fatal(err)
	}
	if _, err := m.HandleFault(addr); err != nil {
		t.Fatal(err)
	}
	if got := read(m, addr); got != "XB" {
		t.Errorf("after MADV_DONTNEED: %q, want the shared page again", got)
	}
	// Zeroing a dropped page copies it too (it must not be skipped as an
	// anonymous page that already reads as zero).
	if err := m.Madvise(addr, linux.PageSize, unix.MADV_DONTNEED); err != nil {
		t.Fatal(err)
	}
	if _, err := m.ZeroOut(addr, 2); err != nil {
		t.Fatal(err)
	}
	if got := read(m, addr); got != "\x00\x00" {
		t.Errorf("after ZeroOut: %q, want zeroes", got)
	}
	if got := string(memFile(t).Slice(off, 2)); got != "XB" {
		t.Errorf("ZeroOut reached the shared page: %q", got)
	}
	if !strings.Contains(string(m.Maps()), "[vdso]") {
		t.Errorf("maps:\n%s", m.Maps())
	}
}

// TestSpecialPagesReadOnly: a mapping whose MaxPerms exclude writing (the
// vDSO data page) can never be made writable, and munmap of it keeps the
// pages for everyone else.
func TestSpecialPagesReadOnly(t *testing.T) {
	sp, off := specialPages(t)
	ro := platform.AccessType{Read: true}
	m, _ := newMM(t)
	addr, err := m.MapSpecial(MMapOpts{Length: sp.Len(), Perms: ro, MaxPerms: ro, Private: true, Name: "[vvar]"}, sp)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.MProtect(addr, linux.PageSize, platform.ReadWrite); !errors.Is(err, unix.EACCES) {
		t.Errorf("mprotect(PROT_WRITE) of [vvar]: %v, want EACCES", err)
	}
	if err := m.MUnmap(addr, sp.Len()); err != nil {
		t.Fatal(err)
	}
	if got := string(memFile(t).Slice(off, 2)); got != "AB" {
		t.Errorf("munmap freed the shared page: %q", got)
	}
	if _, err := m.MapSpecial(MMapOpts{Length: 3 * linux.PageSize, Perms: ro, Private: true}, sp); !errors.Is(err, unix.EINVAL) {
		t.Errorf("mapping more than the special pages: %v, want EINVAL", err)
	}
}
