package mm

import (
	"testing"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/platform"
)

// TestLimits checks the bounds SetLimits sets: RLIMIT_AS on mmap (a
// MAP_FIXED replacement counting only what it adds), brk and mremap;
// RLIMIT_DATA on private writable mappings and brk only; a fork keeping
// them.
func TestLimits(t *testing.T) {
	m, _ := newMM(t)
	const pg = linux.PageSize
	m.SetBrkStart(0x10000000)
	m.SetLimits(Limits{AddressSpace: 16 * pg, Data: 8 * pg, Stack: Unlimited})
	ro := MMapOpts{Length: 10 * pg, Perms: platform.Read, Private: true}
	a, err := m.MMap(ro)
	if err != nil {
		t.Fatalf("10 pages under a 16-page RLIMIT_AS: %v", err)
	}
	if _, err := m.MMap(MMapOpts{Length: 7 * pg, Perms: platform.Read, Private: true}); err != errNoMem {
		t.Errorf("17 pages under a 16-page RLIMIT_AS: %v, want ENOMEM", err)
	}
	fixed := MMapOpts{Addr: a, Length: 12 * pg, Fixed: true, Perms: platform.Read, Private: true}
	if _, err := m.MMap(fixed); err != nil {
		t.Errorf("MAP_FIXED over 10 of its 12 pages: %v", err)
	}
	if _, err := m.MRemap(a, 12*pg, 20*pg, MRemapMayMove, 0); err != errNoMem {
		t.Errorf("mremap to 20 pages: %v, want ENOMEM", err)
	}
	if err := m.MUnmap(a, 12*pg); err != nil {
		t.Fatal(err)
	}
	rw := MMapOpts{Length: 9 * pg, Perms: platform.ReadWrite, Private: true}
	if _, err := m.MMap(rw); err != errNoMem {
		t.Errorf("9 writable private pages under an 8-page RLIMIT_DATA: %v, want ENOMEM", err)
	}
	rw.Private = false
	if _, err := m.MMap(rw); err != nil {
		t.Errorf("9 shared pages are not data: %v", err)
	}
	if got := m.Brk(0x10000000 + 9*pg); got != 0x10000000 {
		t.Errorf("brk past RLIMIT_DATA moved the break to %#x", got)
	}
	if got := m.Brk(0x10000000 + 4*pg); got != 0x10000000+4*pg {
		t.Errorf("brk within RLIMIT_DATA: %#x", got)
	}
	c, err := m.Fork()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Release()
	if _, err := c.MMap(MMapOpts{Length: 8 * pg, Perms: platform.Read, Private: true}); err != errNoMem {
		t.Errorf("forked manager lost RLIMIT_AS: %v", err)
	}
	m.SetLimits(Limits{AddressSpace: Unlimited, Data: Unlimited, Stack: Unlimited})
	if _, err := m.MMap(MMapOpts{Length: 64 * pg, Perms: platform.ReadWrite, Private: true}); err != nil {
		t.Errorf("unlimited again: %v", err)
	}
}
