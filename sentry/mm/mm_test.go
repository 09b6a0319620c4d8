package mm

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/platform"
	"github.com/cocoon-sandbox/cocoon/sentry/mm/mmtest"
	"github.com/cocoon-sandbox/cocoon/sentry/pgalloc"
	"golang.org/x/sys/unix"
)

var sharedMF *pgalloc.MemoryFile

func memFile(t *testing.T) *pgalloc.MemoryFile {
	t.Helper()
	if sharedMF == nil {
		mf, err := pgalloc.New("mm-test")
		if err != nil {
			t.Fatalf("pgalloc.New: %v", err)
		}
		sharedMF = mf
	}
	return sharedMF
}

func newMM(t *testing.T) (*MemoryManager, *mmtest.AddressSpace) {
	t.Helper()
	p := mmtest.NewPlatform()
	m, err := New(p, memFile(t))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(m.Release)
	return m, p.Spaces[0]
}

// fakeFile is a Mappable over a byte slice that counts references.
type fakeFile struct {
	data []byte
	refs atomic.Int32
}

func (f *fakeFile) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(f.data)) {
		return 0, io.EOF
	}
	n := copy(p, f.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}
func (f *fakeFile) IncRef() { f.refs.Add(1) }
func (f *fakeFile) DecRef() { f.refs.Add(-1) }

func anon(addr, length uintptr, perms platform.AccessType) MMapOpts {
	return MMapOpts{Addr: addr, Length: length, Fixed: addr != 0, Perms: perms, Private: true}
}

func mustMap(t *testing.T, m *MemoryManager, o MMapOpts) uintptr {
	t.Helper()
	a, err := m.MMap(o)
	if err != nil {
		t.Fatalf("MMap(%+v): %v", o, err)
	}
	return a
}

func mapsLines(m *MemoryManager) []string {
	s := strings.TrimSuffix(string(m.Maps()), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func TestPlacementTopDownAndMerge(t *testing.T) {
	m, _ := newMM(t)
	a := mustMap(t, m, anon(0, 3*linux.PageSize, platform.ReadWrite))
	if a+3*linux.PageSize != m.MMapBase() {
		t.Errorf("first mapping at %#x, want it to end at the mmap base %#x", a, m.MMapBase())
	}
	b := mustMap(t, m, anon(0, linux.PageSize, platform.ReadWrite))
	if b != a-linux.PageSize {
		t.Errorf("second mapping at %#x, want %#x (just below)", b, a-linux.PageSize)
	}
	if n := len(mapsLines(m)); n != 1 {
		t.Errorf("adjacent identical anonymous mappings: %d VMAs, want 1 (merged):\n%s", n, m.Maps())
	}
	// A free hint is honoured, a taken one is not.
	h := mustMap(t, m, MMapOpts{Addr: 0x10000000, Length: linux.PageSize, Perms: platform.Read, Private: true})
	if h != 0x10000000 {
		t.Errorf("free hint gave %#x", h)
	}
	h2 := mustMap(t, m, MMapOpts{Addr: 0x10000000, Length: linux.PageSize, Perms: platform.Read, Private: true})
	if h2 == 0x10000000 {
		t.Errorf("taken hint was reused")
	}
	if got := m.VirtualSize(); got != 6*linux.PageSize {
		t.Errorf("VirtualSize = %d, want %d", got, 6*linux.PageSize)
	}
}

func TestFixedReplaceAndNoReplace(t *testing.T) {
	m, as := newMM(t)
	const base = 0x400000
	mustMap(t, m, anon(base, 4*linux.PageSize, platform.ReadWrite))
	data := bytes.Repeat([]byte{0xaa}, 4*linux.PageSize)
	if _, err := m.CopyOut(base, data); err != nil {
		t.Fatal(err)
	}
	if _, err := m.HandleFault(base); err != nil {
		t.Fatal(err)
	}
	mustMap(t, m, anon(base+linux.PageSize, 2*linux.PageSize, platform.Read))
	if _, ok := as.Lookup(base + linux.PageSize); ok {
		t.Errorf("replaced page still mapped in the platform")
	}
	got := make([]byte, 4*linux.PageSize)
	if _, err := m.CopyIn(base, got); err != nil {
		t.Fatal(err)
	}
	if got[0] != 0xaa || got[linux.PageSize] != 0 || got[3*linux.PageSize-1] != 0 || got[3*linux.PageSize] != 0xaa {
		t.Errorf("after MAP_FIXED over the middle: bytes %x %x %x %x", got[0], got[linux.PageSize], got[3*linux.PageSize-1], got[3*linux.PageSize])
	}
	if n := len(mapsLines(m)); n != 3 {
		t.Errorf("%d VMAs, want 3:\n%s", n, m.Maps())
	}
	o := anon(base, linux.PageSize, platform.ReadWrite)
	o.Fixed, o.NoReplace = false, true
	if _, err := m.MMap(o); err != unix.EEXIST {
		t.Errorf("NoReplace over a mapping: %v, want EEXIST", err)
	}
	o.Addr = base + 16*linux.PageSize
	if a, err := m.MMap(o); err != nil || a != base+16*linux.PageSize {
		t.Errorf("NoReplace on free range: %#x, %v", a, err)
	}
}

func TestHostileArguments(t *testing.T) {
	m, _ := newMM(t)
	mustMap(t, m, anon(0x400000, linux.PageSize, platform.ReadWrite))
	max := m.MaxAddress()
	for _, tc := range []struct {
		name string
		o    MMapOpts
		want error
	}{
		{"zero length", anon(0, 0, platform.Read), unix.EINVAL},
		{"length overflows on rounding", anon(0, ^uintptr(0), platform.Read), unix.ENOMEM},
		{"length beyond address space", anon(0, max+linux.PageSize, platform.Read), unix.ENOMEM},
		{"fixed unaligned", anon(0x400001, linux.PageSize, platform.Read), unix.EINVAL},
		{"fixed overflow", anon(^uintptr(0)&^(linux.PageSize-1), 2*linux.PageSize, platform.Read), unix.ENOMEM},
		{"fixed beyond max", anon(max-linux.PageSize, 2*linux.PageSize, platform.Read), unix.ENOMEM},
		{"fixed below min", anon(linux.PageSize, linux.PageSize, platform.Read), unix.EPERM},
		{"unaligned offset", MMapOpts{Length: linux.PageSize, Offset: 3, Private: true, File: &fakeFile{}}, unix.EINVAL},
		{"offset overflow", MMapOpts{Length: 2 * linux.PageSize, Offset: ^uint64(0) &^ (linux.PageSize - 1), Private: true, File: &fakeFile{}}, unix.EOVERFLOW},
		{"perms beyond max", MMapOpts{Length: linux.PageSize, Perms: platform.ReadWrite, MaxPerms: platform.Read}, unix.EACCES},
	} {
		if _, err := m.MMap(tc.o); err != tc.want {
			t.Errorf("MMap %s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if err := m.MUnmap(0x400001, linux.PageSize); err != unix.EINVAL {
		t.Errorf("MUnmap unaligned: %v", err)
	}
	if err := m.MUnmap(0x400000, ^uintptr(0)); err != unix.EINVAL {
		t.Errorf("MUnmap overflowing length: %v", err)
	}
	if err := m.MUnmap(0x400000, 0); err != unix.EINVAL {
		t.Errorf("MUnmap zero length: %v", err)
	}
	if err := m.MUnmap(0x10000000, linux.PageSize); err != nil {
		t.Errorf("MUnmap of a hole: %v, want nil", err)
	}
	if err := m.MProtect(0x400000, 2*linux.PageSize, platform.Read); err != unix.ENOMEM {
		t.Errorf("MProtect over a hole: %v, want ENOMEM", err)
	}
	// Linux: end <= start after rounding is "not mapped" (ENOMEM), which
	// test/syscalls/c/hostile.c checks natively.
	if err := m.MProtect(0x400000, ^uintptr(0)-0x3fff, platform.Read); err != unix.ENOMEM {
		t.Errorf("MProtect overflowing: %v, want ENOMEM", err)
	}
	if _, err := m.MRemap(0x400000, linux.PageSize, ^uintptr(0), MRemapMayMove, 0); err != unix.EINVAL {
		t.Errorf("MRemap huge: %v, want EINVAL", err)
	}
	if _, err := m.MRemap(0x400000, linux.PageSize, max, MRemapMayMove, 0); err != unix.ENOMEM {
		t.Errorf("MRemap larger than the address space: %v, want ENOMEM", err)
	}
	if _, err := m.MRemap(0x500000, linux.PageSize, 2*linux.PageSize, MRemapMayMove, 0); err != unix.EFAULT {
		t.Errorf("MRemap of a hole: %v, want EFAULT", err)
	}
	if _, err := m.CopyIn(^uintptr(0)-3, make([]byte, 16)); err != unix.EFAULT {
		t.Errorf("CopyIn at the top of memory: %v", err)
	}
	if _, err := m.ZeroOut(0x400000, ^uintptr(0)); err != unix.EFAULT {
		t.Errorf("ZeroOut huge: %v", err)
	}
	if _, err := m.HandleFault(^uintptr(0)); err == nil {
		t.Errorf("HandleFault(^0) resolved")
	}
	if got := m.Brk(^uintptr(0)); got != 0 {
		t.Errorf("Brk before SetBrkStart = %#x", got)
	}
}

func TestMunmapAndMprotectSplitMerge(t *testing.T) {
	m, as := newMM(t)
	const base = 0x400000
	mustMap(t, m, anon(base, 3*linux.PageSize, platform.ReadWrite))
	if _, err := m.HandleFault(base + linux.PageSize); err != nil {
		t.Fatal(err)
	}
	if err := m.MProtect(base+linux.PageSize, linux.PageSize, platform.Read); err != nil {
		t.Fatal(err)
	}
	if n := len(mapsLines(m)); n != 3 {
		t.Fatalf("after mprotect of the middle: %d VMAs:\n%s", n, m.Maps())
	}
	if _, ok := as.Lookup(base + linux.PageSize); ok {
		t.Errorf("narrowed page still mapped in the platform")
	}
	if _, err := m.CopyOut(base+linux.PageSize, []byte{1}); err != unix.EFAULT {
		t.Errorf("CopyOut to read-only page: %v", err)
	}
	if err := m.MProtect(base, 3*linux.PageSize, platform.ReadWrite); err != nil {
		t.Fatal(err)
	}
	if n := len(mapsLines(m)); n != 1 {
		t.Errorf("after mprotect back: %d VMAs, want 1 (merged):\n%s", n, m.Maps())
	}
	if err := m.MUnmap(base+linux.PageSize, linux.PageSize); err != nil {
		t.Fatal(err)
	}
	if n := len(mapsLines(m)); n != 2 {
		t.Errorf("after munmap of the middle: %d VMAs, want 2", n)
	}
	info, err := m.HandleFault(base + linux.PageSize + 8)
	if err == nil || info.Signo != 11 || info.Code != linux.SEGV_MAPERR || info.Addr != base+linux.PageSize+8 {
		t.Errorf("fault in the hole: %+v, %v", info, err)
	}
	if _, err := m.CopyIn(base+linux.PageSize-4, make([]byte, 8)); err != unix.EFAULT {
		t.Errorf("CopyIn across the hole: %v", err)
	}
	if m.ResidentSize() != linux.PageSize*2 {
		t.Errorf("ResidentSize = %d after unmapping the middle of 3 populated pages", m.ResidentSize())
	}
}

func TestFaultWindowAndAccErr(t *testing.T) {
	m, as := newMM(t)
	const base = 0x400000
	mustMap(t, m, anon(base, 40*linux.PageSize, platform.ReadWrite))
	as.TakeCalls()
	if _, err := m.HandleFault(base + 3*linux.PageSize + 17); err != nil {
		t.Fatal(err)
	}
	calls := as.TakeCalls()
	if len(calls) != 1 || calls[0].Addr != base || calls[0].FD != m.mf.FD() || calls[0].Length != faultWindow*linux.PageSize || calls[0].Perms != platform.ReadWrite {
		t.Fatalf("fault mapped %+v, want one MapFile of the memory file (FD %d) for the 16-page window at %#x", calls, m.mf.FD(), base)
	}
	// The window's last (partial) part is clipped to the VMA.
	if _, err := m.HandleFault(base + 39*linux.PageSize); err != nil {
		t.Fatal(err)
	}
	calls = as.TakeCalls()
	if len(calls) != 1 || calls[0].Addr != base+32*linux.PageSize || calls[0].Length != 8*linux.PageSize {
		t.Errorf("tail fault mapped %+v", calls)
	}
	// Faulting again on a page mapped with the VMA's permissions is a
	// real violation.
	info, err := m.HandleFault(base + 5*linux.PageSize)
	if err == nil || info.Code != linux.SEGV_ACCERR {
		t.Errorf("second fault on a mapped RW page: %+v %v, want ACCERR", info, err)
	}
	// With the host's code: MAPERR on a page another thread has mapped
	// meanwhile is retried; ACCERR on it is a violation.
	if _, err := m.HandleHostFault(platform.SignalInfo{Signo: 11, Code: linux.SEGV_MAPERR, Addr: base + 5*linux.PageSize}); err != nil {
		t.Errorf("MAPERR race: %v, want a retry", err)
	}
	if info, err := m.HandleHostFault(platform.SignalInfo{Signo: 11, Code: linux.SEGV_ACCERR, Addr: base + 5*linux.PageSize}); err == nil || info.Code != linux.SEGV_ACCERR {
		t.Errorf("host ACCERR on a mapped page: %+v %v", info, err)
	}
	if info, err := m.HandleHostFault(platform.SignalInfo{Signo: 11, Code: linux.SEGV_MAPERR, Addr: 0x300000}); err == nil || info.Code != linux.SEGV_MAPERR || info.Addr != 0x300000 {
		t.Errorf("host fault outside VMAs: %+v %v", info, err)
	}
	// A sentry write is visible through the platform mapping's offset.
	if _, err := m.CopyOut(base+5*linux.PageSize+1, []byte("hi")); err != nil {
		t.Fatal(err)
	}
	mp, ok := as.Lookup(base + 5*linux.PageSize)
	if !ok || string(m.mf.Slice(mp.Off+1, 2)) != "hi" {
		t.Errorf("platform mapping does not show the sentry's write")
	}

	// Read-only and PROT_NONE VMAs.
	mustMap(t, m, anon(0x800000, linux.PageSize, platform.Read))
	if _, err := m.HandleFault(0x800000); err != nil {
		t.Fatalf("first fault on read-only page: %v", err)
	}
	if mp, _ := as.Lookup(0x800000); mp.Perms != platform.Read {
		t.Errorf("read-only page mapped %+v", mp.Perms)
	}
	if info, err := m.HandleFault(0x800000); err == nil || info.Code != linux.SEGV_ACCERR {
		t.Errorf("write fault on read-only page: %+v %v", info, err)
	}
	mustMap(t, m, anon(0x900000, linux.PageSize, platform.NoAccess))
	if info, err := m.HandleFault(0x900000); err == nil || info.Code != linux.SEGV_ACCERR {
		t.Errorf("fault on PROT_NONE: %+v %v", info, err)
	}
	if _, err := m.CopyIn(0x900000, make([]byte, 1)); err != unix.EFAULT {
		t.Errorf("CopyIn from PROT_NONE: %v", err)
	}
	// Widening with mprotect unmaps too, and the next fault remaps.
	if err := m.MProtect(0x800000, linux.PageSize, platform.ReadWrite); err != nil {
		t.Fatal(err)
	}
	if _, ok := as.Lookup(0x800000); ok {
		t.Errorf("page still mapped after mprotect widened it")
	}
	if _, err := m.HandleFault(0x800000); err != nil {
		t.Errorf("fault after widening: %v", err)
	}
	if mp, _ := as.Lookup(0x800000); mp.Perms != platform.ReadWrite {
		t.Errorf("after widening mapped %+v", mp.Perms)
	}
}

func TestCopyBoundaries(t *testing.T) {
	m, _ := newMM(t)
	const base = 0x400000
	mustMap(t, m, anon(base, linux.PageSize, platform.ReadWrite))
	n, err := m.CopyOut(base+linux.PageSize-5, []byte("0123456789"))
	if n != 5 || err != unix.EFAULT {
		t.Errorf("CopyOut across the end: %d, %v; want 5, EFAULT", n, err)
	}
	buf := make([]byte, 10)
	n, err = m.CopyIn(base+linux.PageSize-5, buf)
	if n != 5 || err != unix.EFAULT || string(buf[:5]) != "01234" {
		t.Errorf("CopyIn across the end: %d %v %q", n, err, buf[:5])
	}
	if _, err := m.CopyInString(base+linux.PageSize-5, 100); err != unix.EFAULT {
		t.Errorf("unterminated string before a hole: %v", err)
	}
	if _, err := m.CopyOut(base+linux.PageSize-3, []byte("ab\x00")); err != nil {
		t.Fatal(err)
	}
	if s, err := m.CopyInString(base+linux.PageSize-3, 100); err != nil || s != "ab" {
		t.Errorf("string ending at a hole: %q, %v", s, err)
	}
	if _, err := m.CopyInString(base+linux.PageSize-5, 3); err != unix.ENAMETOOLONG {
		t.Errorf("long string: %v", err)
	}
	if s, err := m.CopyInString(base+linux.PageSize-3, 3); err != nil || s != "ab" {
		t.Errorf("string exactly maxLen with NUL: %q %v", s, err)
	}
	if n, err := m.ZeroOut(base+linux.PageSize-5, 5); n != 5 || err != nil {
		t.Errorf("ZeroOut: %d %v", n, err)
	}
	if _, err := m.CopyIn(base+linux.PageSize-5, buf[:5]); err != nil || !bytes.Equal(buf[:5], make([]byte, 5)) {
		t.Errorf("after ZeroOut: %x %v", buf[:5], err)
	}
	mustMap(t, m, anon(0x500000, linux.PageSize, platform.Read))
	if _, err := m.ZeroOut(0x500000, 1); err != unix.EFAULT {
		t.Errorf("ZeroOut of read-only: %v", err)
	}
	if _, err := m.ForceCopyOut(0x500000, []byte("x")); err != nil {
		t.Errorf("ForceCopyOut of read-only: %v", err)
	}
	if _, err := m.ForceCopyOut(0x600000, []byte("x")); err != unix.EFAULT {
		t.Errorf("ForceCopyOut to a hole: %v", err)
	}
}

func TestBrk(t *testing.T) {
	m, _ := newMM(t)
	mustMap(t, m, anon(0x400000, linux.PageSize, platform.ReadWrite))
	m.SetBrkStart(0x401000)
	if got := m.Brk(0); got != 0x401000 {
		t.Fatalf("Brk(0) = %#x", got)
	}
	if got := m.Brk(0x401000 + 10000); got != 0x401000+10000 {
		t.Fatalf("grow: %#x", got)
	}
	if _, err := m.CopyOut(0x401000+10000-1, []byte{1}); err != nil {
		t.Errorf("write in the heap: %v", err)
	}
	if _, err := m.CopyOut(0x401000+3*linux.PageSize, []byte{1}); err != unix.EFAULT {
		t.Errorf("write past the page-rounded break: %v", err)
	}
	if !strings.Contains(string(m.Maps()), "[heap]") {
		t.Errorf("no [heap] in maps:\n%s", m.Maps())
	}
	if got := m.Brk(0x401000 + 100); got != 0x401000+100 {
		t.Fatalf("shrink: %#x", got)
	}
	if _, err := m.CopyOut(0x402000, []byte{1}); err != unix.EFAULT {
		t.Errorf("write above the shrunk break: %v", err)
	}
	if got := m.Brk(0x400000); got != 0x401000+100 {
		t.Errorf("Brk below start = %#x", got)
	}
	mustMap(t, m, anon(0x410000, linux.PageSize, platform.ReadWrite))
	if got := m.Brk(0x412000); got != 0x401000+100 {
		t.Errorf("Brk over a mapping = %#x", got)
	}
	if got := m.Brk(^uintptr(0) - 5); got != 0x401000+100 {
		t.Errorf("Brk(huge) = %#x", got)
	}
	// Grow and shrink zeroes: memory above a shrunk break comes back zero.
	m.Brk(0x402000 + 8)
	var b [1]byte
	if _, err := m.CopyIn(0x402000, b[:]); err != nil || b[0] != 0 {
		t.Errorf("re-grown heap: %v %d", err, b[0])
	}
}

func TestForkIsolation(t *testing.T) {
	m, _ := newMM(t)
	priv := mustMap(t, m, anon(0x400000, 2*linux.PageSize, platform.ReadWrite))
	shared := mustMap(t, m, MMapOpts{Addr: 0x500000, Length: linux.PageSize, Fixed: true, Perms: platform.ReadWrite})
	f := &fakeFile{data: []byte("file contents")}
	fileAddr := mustMap(t, m, MMapOpts{Length: linux.PageSize, Perms: platform.ReadWrite, Private: true, File: f})
	m.CopyOut(priv, []byte("parent"))
	m.CopyOut(shared, []byte("shared"))
	m.SetBrkStart(0x600000)

	c, err := m.Fork()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Release()
	if f.refs.Load() != 2 {
		t.Errorf("file refs after fork = %d, want 2", f.refs.Load())
	}
	if c.Brk(0) != 0x600000 {
		t.Errorf("child brk %#x", c.Brk(0))
	}
	buf := make([]byte, 6)
	c.CopyIn(priv, buf)
	if string(buf) != "parent" {
		t.Errorf("child sees %q", buf)
	}
	c.CopyOut(priv, []byte("child!"))
	m.CopyIn(priv, buf)
	if string(buf) != "parent" {
		t.Errorf("parent's private page changed by the child: %q", buf)
	}
	c.CopyOut(shared, []byte("SHARED"))
	m.CopyIn(shared, buf)
	if string(buf) != "SHARED" {
		t.Errorf("shared page not shared: %q", buf)
	}
	c.CopyIn(fileAddr, buf)
	if string(buf) != "file c" {
		t.Errorf("child file mapping %q", buf)
	}
	// The shared frame survives the parent's release.
	used := m.mf.Used()
	m.MUnmap(shared, linux.PageSize)
	if m.mf.Used() != used {
		t.Errorf("unmapping one side of a shared page freed it")
	}
	c.CopyIn(shared, buf)
	if string(buf) != "SHARED" {
		t.Errorf("child lost the shared page: %q", buf)
	}
}

func TestFileMappingPadAndOffset(t *testing.T) {
	m, as := newMM(t)
	data := make([]byte, 3*linux.PageSize+100)
	for i := range data {
		data[i] = byte(i%251) + 1
	}
	f := &fakeFile{data: data}
	a := mustMap(t, m, MMapOpts{Length: 5 * linux.PageSize, Perms: platform.Read, Private: true, File: f, Offset: linux.PageSize, Name: "/bin/x"})
	if f.refs.Load() != 1 {
		t.Errorf("refs = %d after mmap", f.refs.Load())
	}
	got := make([]byte, 5*linux.PageSize)
	if _, err := m.CopyIn(a, got); err != nil {
		t.Fatal(err)
	}
	want := make([]byte, 5*linux.PageSize)
	copy(want, data[linux.PageSize:])
	if !bytes.Equal(got, want) {
		t.Errorf("file mapping content differs (past-EOF bytes must be zero)")
	}
	if _, err := m.HandleFault(a); err != nil {
		t.Fatal(err)
	}
	mp, _ := as.Lookup(a)
	if !bytes.Equal(m.mf.Slice(mp.Off, 8), data[linux.PageSize:linux.PageSize+8]) {
		t.Errorf("platform mapping of a file page has the wrong content")
	}
	// A private write (forced, the mapping is read-only) never reaches
	// the file.
	m.ForceCopyOut(a, []byte("XXXX"))
	if data[linux.PageSize] == 'X' {
		t.Errorf("private write reached the file")
	}
	if line := string(m.Maps()); !strings.Contains(line, " r--p 00001000 00:00 0 ") || strings.Index(line, "/bin/x") != 73 || !strings.HasSuffix(line, " /bin/x\n") {
		t.Errorf("maps line:\n%q", m.Maps())
	}
	// MADV_DONTNEED on a private file page re-reads the file.
	if err := m.Madvise(a, linux.PageSize, madvDontNeed); err != nil {
		t.Fatal(err)
	}
	m.CopyIn(a, got[:4])
	if !bytes.Equal(got[:4], data[linux.PageSize:linux.PageSize+4]) {
		t.Errorf("after DONTNEED: %q", got[:4])
	}
	// Splitting takes a reference; unmapping everything drops them all.
	m.MUnmap(a+linux.PageSize, linux.PageSize)
	if f.refs.Load() != 2 {
		t.Errorf("refs after split = %d, want 2", f.refs.Load())
	}
	c, _ := m.CopyIn(a+2*linux.PageSize, got[:4])
	if c != 4 || !bytes.Equal(got[:4], data[3*linux.PageSize:3*linux.PageSize+4]) {
		t.Errorf("upper half after split reads %q", got[:4])
	}
	m.MUnmap(a, 5*linux.PageSize)
	if f.refs.Load() != 0 {
		t.Errorf("refs after unmap = %d", f.refs.Load())
	}
}

type errFile struct{ fakeFile }

func (*errFile) ReadAt([]byte, int64) (int, error) { return 0, errors.New("gofer gone") }

func TestFileReadErrorIsSigbus(t *testing.T) {
	m, _ := newMM(t)
	a := mustMap(t, m, MMapOpts{Length: linux.PageSize, Perms: platform.Read, Private: true, File: &errFile{}})
	info, err := m.HandleFault(a)
	if err == nil || info.Signo != 7 {
		t.Errorf("fault on unreadable file: %+v %v", info, err)
	}
	if _, err := m.CopyIn(a, make([]byte, 1)); err != unix.EFAULT {
		t.Errorf("CopyIn from unreadable file: %v", err)
	}
}

func TestMadviseDontNeed(t *testing.T) {
	m, as := newMM(t)
	priv := mustMap(t, m, anon(0x400000, 2*linux.PageSize, platform.ReadWrite))
	shared := mustMap(t, m, MMapOpts{Addr: 0x500000, Length: linux.PageSize, Fixed: true, Perms: platform.ReadWrite})
	m.CopyOut(priv, []byte{7})
	m.CopyOut(shared, []byte{9})
	m.HandleFault(priv)
	if err := m.Madvise(priv, 2*linux.PageSize, madvDontNeed); err != nil {
		t.Fatal(err)
	}
	if _, ok := as.Lookup(priv); ok {
		t.Errorf("DONTNEED page still mapped")
	}
	var b [1]byte
	m.CopyIn(priv, b[:])
	if b[0] != 0 {
		t.Errorf("private anon after DONTNEED = %d", b[0])
	}
	m.Madvise(shared, linux.PageSize, madvDontNeed)
	m.CopyIn(shared, b[:])
	if b[0] != 9 {
		t.Errorf("shared anon after DONTNEED = %d, want kept", b[0])
	}
	if err := m.Madvise(0x700000, linux.PageSize, madvDontNeed); err != unix.ENOMEM {
		t.Errorf("madvise of a hole: %v", err)
	}
	if err := m.Madvise(0x400001, linux.PageSize, 0); err != unix.EINVAL {
		t.Errorf("madvise unaligned: %v", err)
	}
}

func TestStackGrowth(t *testing.T) {
	m, _ := newMM(t)
	top := m.StackTop()
	mustMap(t, m, MMapOpts{Addr: top - 32*linux.PageSize, Length: 32 * linux.PageSize, Fixed: true, Perms: platform.ReadWrite, Private: true, GrowsDown: true, Name: "[stack]"})
	if _, err := m.HandleFault(top - 40*linux.PageSize); err != nil {
		t.Fatalf("fault below the stack: %v", err)
	}
	// Growth goes to the fault window's boundary (one fault per window).
	want := top - (top-40*linux.PageSize)&^(faultWindow*linux.PageSize-1)
	if got := m.VirtualSize(); got != uint64(want) {
		t.Errorf("stack size after growth %d pages, want %d", got/linux.PageSize, want/linux.PageSize)
	}
	if info, err := m.HandleFault(top - DefaultStackLimit - linux.PageSize); err == nil || info.Code != linux.SEGV_MAPERR {
		t.Errorf("fault past the stack limit: %+v %v", info, err)
	}
	// A mapping within the guard gap stops growth.
	mustMap(t, m, anon(top-60*linux.PageSize, linux.PageSize, platform.ReadWrite))
	if _, err := m.HandleFault(top - 50*linux.PageSize); err == nil {
		t.Errorf("stack grew into the guard gap")
	}
}

func TestMRemap(t *testing.T) {
	m, as := newMM(t)
	a := mustMap(t, m, anon(0x400000, 2*linux.PageSize, platform.ReadWrite))
	m.CopyOut(a+linux.PageSize, []byte("data"))
	// Grow in place.
	if got, err := m.MRemap(a, 2*linux.PageSize, 4*linux.PageSize, 0, 0); err != nil || got != a {
		t.Fatalf("grow in place: %#x %v", got, err)
	}
	if _, err := m.CopyOut(a+3*linux.PageSize, []byte{1}); err != nil {
		t.Errorf("grown part not writable: %v", err)
	}
	// Blocked growth without MAYMOVE is ENOMEM; with it, the data moves.
	mustMap(t, m, anon(a+4*linux.PageSize, linux.PageSize, platform.Read))
	if _, err := m.MRemap(a, 4*linux.PageSize, 8*linux.PageSize, 0, 0); err != unix.ENOMEM {
		t.Errorf("blocked growth: %v", err)
	}
	m.HandleFault(a + linux.PageSize)
	b, err := m.MRemap(a, 4*linux.PageSize, 8*linux.PageSize, MRemapMayMove, 0)
	if err != nil || b == a {
		t.Fatalf("move: %#x %v", b, err)
	}
	if _, ok := as.Lookup(a + linux.PageSize); ok {
		t.Errorf("old range still mapped in the platform")
	}
	buf := make([]byte, 4)
	if _, err := m.CopyIn(b+linux.PageSize, buf); err != nil || string(buf) != "data" {
		t.Errorf("moved data %q %v", buf, err)
	}
	if _, err := m.CopyIn(a, buf); err != unix.EFAULT {
		t.Errorf("old range still readable: %v", err)
	}
	// Shrink.
	if got, err := m.MRemap(b, 8*linux.PageSize, linux.PageSize, 0, 0); err != nil || got != b {
		t.Errorf("shrink: %#x %v", got, err)
	}
	if _, err := m.CopyIn(b+linux.PageSize, buf); err != unix.EFAULT {
		t.Errorf("shrunk-away part still readable")
	}
	// Fixed move.
	c, err := m.MRemap(b, linux.PageSize, linux.PageSize, MRemapMayMove|MRemapFixed, 0x900000)
	if err != nil || c != 0x900000 {
		t.Errorf("fixed move: %#x %v", c, err)
	}
}

func TestReleaseFreesEverything(t *testing.T) {
	mf := memFile(t)
	before := mf.Used()
	p := mmtest.NewPlatform()
	m, err := New(p, mf)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeFile{data: []byte("x")}
	a := mustMap(t, m, MMapOpts{Length: 64 * linux.PageSize, Perms: platform.ReadWrite, Private: true, File: f})
	m.ZeroOut(a, 64*linux.PageSize)
	c, err := m.Fork()
	if err != nil {
		t.Fatal(err)
	}
	m.Release()
	c.Release()
	if mf.Used() != before {
		t.Errorf("memory file use %d after release, want %d", mf.Used(), before)
	}
	if f.refs.Load() != 0 {
		t.Errorf("file refs %d after release", f.refs.Load())
	}
	if !p.Spaces[0].Released || !p.Spaces[1].Released {
		t.Errorf("address spaces not released")
	}
}

func TestForkCopyOnWrite(t *testing.T) {
	p := mmtest.NewPlatform()
	m, err := New(p, memFile(t))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Release()
	pas := p.Spaces[0]
	const rw, ro = 0x400000, 0x800000
	mustMap(t, m, anon(rw, 32*linux.PageSize, platform.ReadWrite))
	mustMap(t, m, anon(ro, linux.PageSize, platform.Read))
	for i := uintptr(0); i < 32; i++ {
		m.CopyOut(rw+i*linux.PageSize, []byte{byte(i + 1)})
	}
	m.HandleFault(rw)
	m.HandleFault(ro)
	used := m.mf.Used()

	c, err := m.Fork()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Release()
	cas := p.Spaces[1]
	if m.mf.Used() != used {
		t.Errorf("fork copied %d bytes, want none (copy-on-write)", m.mf.Used()-used)
	}
	if _, ok := pas.Lookup(rw); ok {
		t.Errorf("parent's writable page still mapped after fork: its writes would reach the child")
	}
	if _, ok := pas.Lookup(ro); !ok {
		t.Errorf("parent's read-only page was unmapped needlessly")
	}

	// A child fault copies its window only; the parent keeps its data.
	if _, err := c.HandleFault(rw + 2*linux.PageSize); err != nil {
		t.Fatal(err)
	}
	if got := m.mf.Used() - used; got != faultWindow*linux.PageSize {
		t.Errorf("child fault copied %d bytes, want one window (%d)", got, faultWindow*linux.PageSize)
	}
	cm, _ := cas.Lookup(rw + 2*linux.PageSize)
	pm := m.pages[rw+2*linux.PageSize]
	if cm.Off == pm.fr.Off {
		t.Errorf("child maps the parent's frame writable")
	}
	c.mf.Slice(cm.Off, 1)[0] = 0xcc // the child's store through its mapping
	var b [1]byte
	m.CopyIn(rw+2*linux.PageSize, b[:])
	if b[0] != 3 {
		t.Errorf("parent sees %#x after the child's write, want 3", b[0])
	}
	c.CopyIn(rw+2*linux.PageSize, b[:])
	if b[0] != 0xcc {
		t.Errorf("child sees %#x", b[0])
	}

	// The parent's write to a page still shared (outside the child's
	// window) copies it; the child keeps the old content.
	m.CopyOut(rw+20*linux.PageSize, []byte{0xaa})
	c.CopyIn(rw+20*linux.PageSize, b[:])
	if b[0] != 21 {
		t.Errorf("child sees the parent's write: %#x", b[0])
	}
	// Read-only pages are mapped shared in the child, with no copy.
	before := m.mf.Used()
	if _, err := c.HandleFault(ro); err != nil {
		t.Fatal(err)
	}
	if cm, _ := cas.Lookup(ro); cm.Off != m.pages[ro].fr.Off || m.mf.Used() != before {
		t.Errorf("read-only page was copied for the child")
	}

	// Once the child is gone, the parent writes in place.
	c.Release()
	before = m.mf.Used()
	if _, err := m.HandleFault(rw + 28*linux.PageSize); err != nil {
		t.Fatal(err)
	}
	if m.mf.Used() > before {
		t.Errorf("parent copied pages nobody shares anymore")
	}
}
