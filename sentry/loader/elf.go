package loader

import (
	"bytes"
	"encoding/binary"
	"io"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
)

// ELF constants (x86-64 only).
const (
	elfHeaderSize = 64
	phdrSize      = 56
	// maxPhdrBytes bounds the program header table, as Linux's
	// ELF_MIN_ALIGN-sized limit (65536 bytes) does.
	maxPhdrBytes = 65536

	etExec   = 2
	etDyn    = 3
	emX86_64 = 62
	ptLoad   = 1
	ptInterp = 3
	ptPhdr   = 6
	pfX      = 1
	pfW      = 2
	pfR      = 4
)

// progHeader is one program header.
type progHeader struct {
	typ, flags                       uint32
	off, vaddr, filesz, memsz, align uint64
}

// elfInfo is what the loader needs of a validated ELF image. Every address
// in it is relative to the image's own (unbiased) addresses.
type elfInfo struct {
	typ       uint16
	entry     uint64
	phoff     uint64
	phnum     int
	loads     []progHeader // PT_LOAD with p_memsz > 0, ascending
	interp    string       // PT_INTERP path, "" if none
	phdrVaddr uint64       // address of the program headers once loaded; 0 if unknown
}

// parseELF reads and validates the headers of an ELF image. The image is
// hostile: every count, offset and size is bounded before use, and any
// inconsistency is ENOEXEC. size is the file size.
func parseELF(r io.ReaderAt, size int64) (*elfInfo, error) {
	var hdr [elfHeaderSize]byte
	if !readExact(r, hdr[:], 0) {
		return nil, unix.ENOEXEC
	}
	if !bytes.Equal(hdr[:4], []byte("\x7fELF")) || hdr[4] != 2 /* ELFCLASS64 */ || hdr[5] != 1 /* LSB */ || hdr[6] != 1 /* EV_CURRENT */ {
		return nil, unix.ENOEXEC
	}
	le := binary.LittleEndian
	info := &elfInfo{
		typ:   le.Uint16(hdr[16:]),
		entry: le.Uint64(hdr[24:]),
		phoff: le.Uint64(hdr[32:]),
	}
	machine := le.Uint16(hdr[18:])
	phentsize := le.Uint16(hdr[54:])
	phnum := int(le.Uint16(hdr[56:]))
	if (info.typ != etExec && info.typ != etDyn) || machine != emX86_64 {
		return nil, unix.ENOEXEC
	}
	if phentsize != phdrSize || phnum < 1 || phnum*phdrSize > maxPhdrBytes {
		return nil, unix.ENOEXEC
	}
	info.phnum = phnum
	tableLen := uint64(phnum * phdrSize)
	if info.phoff > uint64(size) || uint64(size)-info.phoff < tableLen {
		return nil, unix.ENOEXEC
	}
	table := make([]byte, tableLen)
	if !readExact(r, table, int64(info.phoff)) {
		return nil, unix.ENOEXEC
	}

	var phdrSeg *progHeader
	sawInterp := false
	for i := 0; i < phnum; i++ {
		b := table[i*phdrSize:]
		ph := progHeader{
			typ:    le.Uint32(b[0:]),
			flags:  le.Uint32(b[4:]),
			off:    le.Uint64(b[8:]),
			vaddr:  le.Uint64(b[16:]),
			filesz: le.Uint64(b[32:]),
			memsz:  le.Uint64(b[40:]),
			align:  le.Uint64(b[48:]),
		}
		switch ph.typ {
		case ptLoad:
			if ph.memsz == 0 {
				continue
			}
			if err := checkLoad(&ph); err != nil {
				return nil, err
			}
			if n := len(info.loads); n > 0 {
				prev := &info.loads[n-1]
				if ph.vaddr < prev.vaddr+prev.memsz {
					return nil, unix.ENOEXEC // unsorted or overlapping
				}
			}
			info.loads = append(info.loads, ph)
		case ptInterp:
			if sawInterp {
				return nil, unix.ENOEXEC
			}
			sawInterp = true
			s, err := readInterp(r, size, &ph)
			if err != nil {
				return nil, err
			}
			info.interp = s
		case ptPhdr:
			p := ph
			phdrSeg = &p
		}
	}
	if len(info.loads) == 0 {
		return nil, unix.ENOEXEC
	}
	first, last := &info.loads[0], &info.loads[len(info.loads)-1]
	if last.vaddr+last.memsz-(first.vaddr&^(linux.PageSize-1)) > linux.TaskSize {
		return nil, unix.ENOEXEC
	}
	if info.typ == etExec && (first.vaddr < linux.PageSize || last.vaddr+last.memsz > linux.TaskSize) {
		return nil, unix.ENOEXEC
	}

	// Where the program headers land in memory (AT_PHDR): PT_PHDR if
	// present, else the PT_LOAD whose file range holds the table.
	if phdrSeg != nil {
		info.phdrVaddr = phdrSeg.vaddr
	} else {
		for _, l := range info.loads {
			if l.off <= info.phoff && info.phoff+tableLen <= l.off+l.filesz {
				info.phdrVaddr = l.vaddr + (info.phoff - l.off)
				break
			}
		}
	}
	return info, nil
}

// checkLoad validates one PT_LOAD header.
func checkLoad(ph *progHeader) error {
	switch {
	case ph.filesz > ph.memsz,
		ph.vaddr+ph.memsz < ph.vaddr,
		ph.vaddr+ph.memsz > linux.TaskSize,
		ph.off+ph.filesz < ph.off,
		ph.off > 1<<62,
		ph.off%linux.PageSize != ph.vaddr%linux.PageSize:
		return unix.ENOEXEC
	}
	return nil
}

// readInterp reads the PT_INTERP path: NUL-terminated, inside the file,
// at most PATH_MAX long.
func readInterp(r io.ReaderAt, size int64, ph *progHeader) (string, error) {
	if ph.filesz < 2 || ph.filesz > linux.PATH_MAX || ph.off > uint64(size) || uint64(size)-ph.off < ph.filesz {
		return "", unix.ENOEXEC
	}
	b := make([]byte, ph.filesz)
	if !readExact(r, b, int64(ph.off)) {
		return "", unix.ENOEXEC
	}
	if b[len(b)-1] != 0 {
		return "", unix.ENOEXEC
	}
	s := b[:bytes.IndexByte(b, 0)]
	if len(s) == 0 {
		return "", unix.ENOEXEC
	}
	return string(s), nil
}

// readExact fills b from r at off, reporting whether it could.
func readExact(r io.ReaderAt, b []byte, off int64) bool {
	done := 0
	for done < len(b) {
		n, err := r.ReadAt(b[done:], off+int64(done))
		if n < 0 || n > len(b)-done {
			return false
		}
		done += n
		if done == len(b) {
			return true
		}
		if err != nil || n == 0 {
			return false
		}
	}
	return true
}
