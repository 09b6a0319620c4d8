package loader

import (
	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/platform"
	"github.com/cocoon-sandbox/cocoon/sentry/mm"
	"golang.org/x/sys/unix"
)

// imageEnd returns the end of the highest segment (unbiased).
func imageEnd(info *elfInfo) uint64 {
	last := &info.loads[len(info.loads)-1]
	return last.vaddr + last.memsz
}

// mapImage maps the PT_LOAD segments of info from f and returns the load
// bias (0 for ET_EXEC). An ET_DYN image is placed at hint if that range is
// free, else where mmap puts it (top-down below the mmap base; hint 0 asks
// for that directly).
func mapImage(m *mm.MemoryManager, f File, info *elfInfo, name string, hint uintptr) (uint64, error) {
	first := info.loads[0].vaddr &^ (linux.PageSize - 1)
	span := pageUp(imageEnd(info)) - first
	var bias uint64
	if info.typ == etDyn {
		// Reserve the whole span to find room, then map into it.
		base, err := m.MMap(mm.MMapOpts{Addr: hint, Length: uintptr(span), Private: true})
		if err != nil {
			return 0, err
		}
		if err := m.MUnmap(base, uintptr(span)); err != nil {
			return 0, err
		}
		bias = uint64(base) - first
	} else if uintptr(first) < m.MinAddress() || uintptr(first+span) > m.MaxAddress() {
		return 0, unix.ENOEXEC
	}

	mp := f.Mappable()
	for i := range info.loads {
		if err := mapSegment(m, mp, &info.loads[i], bias, name); err != nil {
			return 0, err
		}
	}
	return bias, nil
}

// mapSegment maps one PT_LOAD segment as elf_load() does: a private file
// mapping for the file part, the rest of its last page zeroed (padzero),
// anonymous memory for the bss beyond.
func mapSegment(m *mm.MemoryManager, mp mm.Mappable, ph *progHeader, bias uint64, name string) error {
	perms := platform.AccessType{
		Read:    ph.flags&pfR != 0,
		Write:   ph.flags&pfW != 0,
		Execute: ph.flags&pfX != 0,
	}
	vaddr := ph.vaddr + bias
	start := vaddr &^ (linux.PageSize - 1)
	fileEnd := vaddr + ph.filesz
	memEnd := vaddr + ph.memsz
	zeroStart := start
	if ph.filesz > 0 {
		_, err := m.MMap(mm.MMapOpts{
			Addr:     uintptr(start),
			Length:   uintptr(pageUp(fileEnd) - start),
			Fixed:    true,
			Perms:    perms,
			MaxPerms: platform.AnyAccess,
			Private:  true,
			File:     mp,
			Offset:   ph.off &^ (linux.PageSize - 1),
			Name:     name,
		})
		if err != nil {
			return err
		}
		zeroStart = fileEnd
		if ph.memsz > ph.filesz && fileEnd%linux.PageSize != 0 {
			// padzero: the file's bytes after p_filesz must read as
			// bss zeroes. The segment may be read-only, hence Force.
			if _, err := m.ForceZeroOut(uintptr(fileEnd), uintptr(pageUp(fileEnd)-fileEnd)); err != nil {
				return unix.ENOEXEC
			}
		}
	}
	if bssStart, bssEnd := pageUp(zeroStart), pageUp(memEnd); bssEnd > bssStart {
		_, err := m.MMap(mm.MMapOpts{
			Addr:     uintptr(bssStart),
			Length:   uintptr(bssEnd - bssStart),
			Fixed:    true,
			Perms:    perms,
			MaxPerms: platform.AnyAccess,
			Private:  true,
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func pageUp(x uint64) uint64 { return (x + linux.PageSize - 1) &^ (linux.PageSize - 1) }
