package loader

import (
	"bytes"
	"encoding/binary"
	"testing"

	"golang.org/x/sys/unix"
)

// buildELF assembles an ELF64 x86-64 file of size bytes: the header, the
// program headers at offset 64, then extra bytes at given offsets.
func buildELF(typ uint16, entry uint64, phdrs []progHeader, size int, extra map[int][]byte) []byte {
	b := make([]byte, size)
	for i := 64 + len(phdrs)*phdrSize; i < size; i++ {
		b[i] = byte(i) | 1
	}
	copy(b, "\x7fELF\x02\x01\x01")
	le := binary.LittleEndian
	le.PutUint16(b[16:], typ)
	le.PutUint16(b[18:], emX86_64)
	le.PutUint32(b[20:], 1)
	le.PutUint64(b[24:], entry)
	le.PutUint64(b[32:], 64)
	le.PutUint16(b[52:], elfHeaderSize)
	le.PutUint16(b[54:], phdrSize)
	le.PutUint16(b[56:], uint16(len(phdrs)))
	for i, ph := range phdrs {
		p := b[64+i*phdrSize:]
		le.PutUint32(p[0:], ph.typ)
		le.PutUint32(p[4:], ph.flags)
		le.PutUint64(p[8:], ph.off)
		le.PutUint64(p[16:], ph.vaddr)
		le.PutUint64(p[24:], ph.vaddr)
		le.PutUint64(p[32:], ph.filesz)
		le.PutUint64(p[40:], ph.memsz)
		le.PutUint64(p[48:], ph.align)
	}
	for off, e := range extra {
		copy(b[off:], e)
	}
	return b
}

// minimalELF is a valid static ET_EXEC: one RWX PT_LOAD of the whole file at
// 0x400000 with a bss.
func minimalELF() []byte {
	return buildELF(etExec, 0x400080, []progHeader{
		{typ: ptLoad, flags: pfR | pfW | pfX, off: 0, vaddr: 0x400000, filesz: 0x200, memsz: 0x3000, align: 0x1000},
	}, 0x200, nil)
}

// elfWithInterp is a valid ET_DYN naming interp as its PT_INTERP.
func elfWithInterp(interp string) []byte {
	return buildELF(etDyn, 0x100, []progHeader{
		{typ: ptInterp, flags: pfR, off: 0x180, filesz: uint64(len(interp) + 1), memsz: uint64(len(interp) + 1)},
		{typ: ptLoad, flags: pfR | pfX, off: 0, vaddr: 0, filesz: 0x200, memsz: 0x200, align: 0x1000},
	}, 0x200, map[int][]byte{0x180: append([]byte(interp), 0)})
}

func TestMinimalELFLoads(t *testing.T) {
	o := &opener{mem: map[string][]byte{"/x": minimalELF()}}
	m, _ := newMM(t)
	img, err := Load(m, o.open, "/x", []string{"x"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if img.Entry != 0x400080 {
		t.Errorf("entry %#x", img.Entry)
	}
	v := checkCommon(t, m, img, "/x", []string{"x"}, nil)
	if v.auxv[atPhdr] != 0x400040 || v.auxv[atPhnum] != 1 {
		t.Errorf("AT_PHDR %#x AT_PHNUM %d", v.auxv[atPhdr], v.auxv[atPhnum])
	}
	// padzero and bss: file bytes up to 0x200, zeroes after.
	got := make([]byte, 0x3000)
	if _, err := m.CopyIn(0x400000, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got[:0x200], o.mem["/x"]) || !bytes.Equal(got[0x200:], make([]byte, 0x2e00)) {
		t.Errorf("segment content wrong")
	}
	if m.Brk(0) != 0x403000 {
		t.Errorf("brk %#x", m.Brk(0))
	}
}

func TestHostileELF(t *testing.T) {
	good := minimalELF()
	patch := func(off int, v any) []byte {
		b := append([]byte(nil), good...)
		switch v := v.(type) {
		case uint16:
			binary.LittleEndian.PutUint16(b[off:], v)
		case uint32:
			binary.LittleEndian.PutUint32(b[off:], v)
		case uint64:
			binary.LittleEndian.PutUint64(b[off:], v)
		case byte:
			b[off] = v
		}
		return b
	}
	const ph = 64 // first program header
	load := func(mut func(*progHeader)) []byte {
		p := progHeader{typ: ptLoad, flags: pfR | pfX, off: 0, vaddr: 0x400000, filesz: 0x200, memsz: 0x3000}
		mut(&p)
		return buildELF(etExec, 0x400080, []progHeader{p}, 0x200, nil)
	}
	cases := map[string][]byte{
		"empty":               {},
		"truncated ident":     good[:10],
		"truncated header":    good[:63],
		"truncated phdrs":     good[:100],
		"bad magic":           patch(1, byte('X')),
		"32-bit":              patch(4, byte(1)),
		"big endian":          patch(5, byte(2)),
		"ET_REL":              patch(16, uint16(1)),
		"ET_CORE":             patch(16, uint16(4)),
		"aarch64":             patch(18, uint16(183)),
		"phentsize 32":        patch(54, uint16(32)),
		"phnum 0":             patch(56, uint16(0)),
		"phnum 65535":         patch(56, uint16(65535)),
		"phoff past EOF":      patch(32, uint64(0x10000)),
		"phoff overflow":      patch(32, ^uint64(0)-10),
		"filesz > memsz":      load(func(p *progHeader) { p.memsz = 0x100 }),
		"vaddr overflow":      load(func(p *progHeader) { p.vaddr = ^uint64(0) - 0xfff }),
		"memsz huge":          load(func(p *progHeader) { p.memsz = 1 << 62 }),
		"offset overflow":     load(func(p *progHeader) { p.off = ^uint64(0) &^ 0xfff; p.vaddr = 0x400000 }),
		"incongruent":         load(func(p *progHeader) { p.off = 0x10 }),
		"at address 0":        load(func(p *progHeader) { p.vaddr = 0 }),
		"above user space":    load(func(p *progHeader) { p.vaddr = 0x7ffffffff000 }),
		"no PT_LOAD":          patch(ph, uint32(ptPhdr)),
		"overlapping loads":   buildELF(etExec, 0x400080, []progHeader{{typ: ptLoad, flags: pfR, vaddr: 0x400000, filesz: 0x200, memsz: 0x2000}, {typ: ptLoad, flags: pfR, vaddr: 0x401000, off: 0x1000, memsz: 0x1000}}, 0x200, nil),
		"unsorted loads":      buildELF(etExec, 0x400080, []progHeader{{typ: ptLoad, flags: pfR, vaddr: 0x500000, memsz: 0x1000}, {typ: ptLoad, flags: pfR, vaddr: 0x400000, filesz: 0x200, memsz: 0x1000}}, 0x200, nil),
		"interp unterminated": buildELF(etDyn, 0, []progHeader{{typ: ptInterp, off: 0x100, filesz: 8}, {typ: ptLoad, flags: pfR, filesz: 0x200, memsz: 0x200}}, 0x200, nil),
		"interp past EOF":     buildELF(etDyn, 0, []progHeader{{typ: ptInterp, off: 0x1f0, filesz: 0x20}, {typ: ptLoad, flags: pfR, filesz: 0x200, memsz: 0x200}}, 0x200, nil),
		"interp huge":         buildELF(etDyn, 0, []progHeader{{typ: ptInterp, off: 0x100, filesz: 1 << 40}, {typ: ptLoad, flags: pfR, filesz: 0x200, memsz: 0x200}}, 0x200, nil),
		"two interps":         buildELF(etDyn, 0, []progHeader{{typ: ptInterp, off: 0x100, filesz: 2}, {typ: ptInterp, off: 0x100, filesz: 2}, {typ: ptLoad, flags: pfR, filesz: 0x200, memsz: 0x200}}, 0x200, map[int][]byte{0x100: {'/', 0}}),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			o := &opener{mem: map[string][]byte{"/x": data}}
			m, _ := newMM(t)
			if _, err := Load(m, o.open, "/x", []string{"x"}, nil); err != unix.ENOEXEC {
				t.Errorf("Load = %v, want ENOEXEC", err)
			}
		})
	}
}

// FuzzLoad feeds arbitrary files to the whole loader: it must never panic,
// and anything it accepts must have a sane stack.
func FuzzLoad(f *testing.F) {
	f.Add(minimalELF())
	f.Add(elfWithInterp("/x"))
	f.Add([]byte("#!/x\n"))
	f.Add(buildELF(etDyn, 0x10, []progHeader{
		{typ: ptLoad, flags: pfR | pfX, filesz: 0x100, memsz: 0x100},
		{typ: ptLoad, flags: pfR | pfW, off: 0x100, vaddr: 0x1100, filesz: 0x80, memsz: 0x5000},
		{typ: ptPhdr, off: 64, vaddr: 64, filesz: 3 * phdrSize, memsz: 3 * phdrSize},
	}, 0x200, nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		o := &opener{mem: map[string][]byte{"/x": data}}
		m, _ := newMM(t)
		img, err := Load(m, o.open, "/x", []string{"x"}, []string{"E=1"})
		if err != nil {
			return
		}
		if img.StackPointer%16 != 0 {
			t.Fatalf("misaligned stack %#x", img.StackPointer)
		}
		var b [8]byte
		if _, err := m.CopyIn(img.StackPointer, b[:]); err != nil || binary.LittleEndian.Uint64(b[:]) != 1 {
			t.Fatalf("argc unreadable or wrong: %v %x", err, b)
		}
	})
}
