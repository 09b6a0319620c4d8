package mm

import (
	"testing"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/platform"
	"github.com/cocoon-sandbox/cocoon/sentry/mm/mmtest"
)

// checkInvariants verifies the manager's internal consistency and, most
// importantly, that the platform never maps a page the manager would not:
// every platform mapping is of the page's current frame with permissions
// the VMA still grants.
func checkInvariants(t *testing.T, m *MemoryManager, as *mmtest.AddressSpace) {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.vmas {
		v := &m.vmas[i]
		if v.start >= v.end || v.start%linux.PageSize != 0 || v.end%linux.PageSize != 0 || v.start < m.minAddr || v.end > m.maxAddr {
			t.Fatalf("bad VMA [%#x, %#x)", v.start, v.end)
		}
		if i > 0 && m.vmas[i-1].end > v.start {
			t.Fatalf("VMAs overlap or are unsorted at %#x", v.start)
		}
	}
	for a, pe := range m.pages {
		if m.findLocked(a) == nil {
			t.Fatalf("page %#x outside every VMA", a)
		}
		if pe.fr.Refs.Load() < 1 {
			t.Fatalf("page %#x has a dead frame", a)
		}
		if v := m.findLocked(a); v.private && pe.fr.Refs.Load() > 1 && pe.mapped && pe.mappedPerms.Write {
			t.Fatalf("copy-on-write page %#x mapped writable", a)
		}
	}
	for a, mp := range as.Pages {
		pe, ok := m.pages[a]
		if !ok || !pe.mapped {
			t.Fatalf("platform maps %#x, which the manager has no mapped page for", a)
		}
		v := m.findLocked(a)
		if pe.fr.Off != mp.Off || mp.Perms != v.perms || pe.mappedPerms != v.perms {
			t.Fatalf("stale platform mapping at %#x: off %#x perms %+v, page off %#x VMA perms %+v", a, mp.Off, mp.Perms, pe.fr.Off, v.perms)
		}
	}
}

// FuzzOps runs random sequences of memory operations, with hostile
// arguments mixed in, checking invariants after each.
func FuzzOps(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20})
	f.Add([]byte("\x00\x10\x04\x03\x05\x10\x02\x01\x02\x11\x03\x00\x06\x12\x01\x07\x07\x10\x10\x08\x01"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := mmtest.NewPlatform()
		m, err := New(p, memFile(t))
		if err != nil {
			t.Fatal(err)
		}
		defer m.Release()
		as := p.Spaces[0]
		const base = 0x400000
		// addr decodes a byte into an interesting address.
		addr := func(b byte) uintptr {
			switch b >> 6 {
			case 0:
				return base + uintptr(b&0x3f)*linux.PageSize
			case 1:
				return base + uintptr(b&0x3f)*linux.PageSize + uintptr(b)
			case 2:
				return m.MaxAddress() - uintptr(b&0x3f)*linux.PageSize
			default:
				return ^uintptr(0) - uintptr(b&0x3f)*linux.PageSize
			}
		}
		length := func(b byte) uintptr {
			if b == 0xff {
				return ^uintptr(0)
			}
			if b >= 0xf0 {
				return ^uintptr(0) - uintptr(b&0xf)*linux.PageSize
			}
			return uintptr(b&0x1f)*linux.PageSize + uintptr(b>>5)
		}
		perms := func(b byte) platform.AccessType { return platform.ProtToAccessType(uint64(b & 7)) }
		var children []*MemoryManager
		defer func() {
			for _, c := range children {
				c.Release()
			}
		}()
		file := &fakeFile{data: make([]byte, 5*linux.PageSize+17)}
		for i := range file.data {
			file.data[i] = byte(i)
		}
		for len(data) >= 4 {
			op, a, l, x := data[0]%13, addr(data[1]), length(data[2]), data[3]
			data = data[4:]
			switch op {
			case 0:
				o := MMapOpts{Addr: a, Length: l, Fixed: x&8 != 0, NoReplace: x&16 != 0, Perms: perms(x), Private: x&32 == 0, GrowsDown: x&64 != 0}
				if x&128 != 0 {
					o.File, o.Offset = file, uint64(x&3)*linux.PageSize
				}
				m.MMap(o)
			case 1:
				m.MUnmap(a, l)
			case 2:
				m.MProtect(a, l, perms(x))
			case 3:
				m.HandleFault(a)
			case 4:
				buf := make([]byte, min(l, 1<<16))
				m.CopyOut(a, buf)
			case 5:
				buf := make([]byte, min(l, 1<<16))
				m.CopyIn(a, buf)
			case 6:
				m.Madvise(a, l, int(x&15))
			case 7:
				m.MRemap(a, l, length(x), int(x>>4)&3, addr(x))
			case 8:
				if m.brkStart == 0 {
					m.SetBrkStart(a)
				}
				m.Brk(a + uintptr(x)*linux.PageSize)
			case 9:
				m.CopyInString(a, int(l&0xffff))
			case 10:
				if len(children) < 3 {
					if c, err := m.Fork(); err == nil {
						children = append(children, c)
					}
				}
			case 11:
				m.ZeroOut(a, l)
			case 12:
				m.HandleHostFault(platform.SignalInfo{Signo: 11, Code: int32(x % 3), Addr: a})
			}
			checkInvariants(t, m, as)
		}
		m.Maps()
		if m.ResidentSize() > m.VirtualSize() {
			t.Fatalf("resident %d > virtual %d", m.ResidentSize(), m.VirtualSize())
		}
	})
}
