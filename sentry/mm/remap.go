package mm

import (
	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
)

// mremap(2) flags.
const (
	MRemapMayMove   = 1
	MRemapFixed     = 2
	MRemapDontUnmap = 4
)

// MRemap implements mremap(2) for a range inside one VMA: shrinking in
// place, growing in place when the space after it is free, and moving (with
// MREMAP_MAYMOVE, optionally MREMAP_FIXED) by re-keying the pages, so no
// data is copied. MREMAP_DONTUNMAP (with MAYMOVE, sizes equal) always
// moves and leaves the old range mapped and empty: zeros, or the file's
// contents again. old_size 0 (duplicating a shared mapping) answers
// EINVAL.
func (m *MemoryManager) MRemap(oldAddr, oldSize, newSize uintptr, flags int, newAddr uintptr) (uintptr, error) {
	if flags&^(MRemapMayMove|MRemapFixed|MRemapDontUnmap) != 0 || oldAddr%linux.PageSize != 0 {
		return 0, errInval
	}
	if flags&(MRemapFixed|MRemapDontUnmap) != 0 && flags&MRemapMayMove == 0 {
		return 0, errInval
	}
	dontUnmap := flags&MRemapDontUnmap != 0
	if dontUnmap && oldSize != newSize {
		return 0, errInval
	}
	oldLen, ok1 := pageRoundUp(oldSize)
	newLen, ok2 := pageRoundUp(newSize)
	if !ok1 || !ok2 || newLen == 0 || oldLen == 0 {
		return 0, errInval
	}
	if !m.inBoundsLoose(oldAddr, oldLen) {
		return 0, errFault
	}
	fixed := flags&MRemapFixed != 0
	if fixed {
		if newAddr%linux.PageSize != 0 {
			return 0, errInval
		}
		if !m.inBounds(newAddr, newLen) {
			return 0, errInval
		}
		// The ranges must not overlap.
		if newAddr < oldAddr+oldLen && oldAddr < newAddr+newLen {
			return 0, errInval
		}
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	oldEnd := oldAddr + oldLen
	v := m.findLocked(oldAddr)
	if v == nil || v.end < oldEnd {
		return 0, errFault
	}

	if dontUnmap {
		// The old range stays: the address space grows by the new one.
		if err := m.mayGrowLocked(uint64(newLen), v.isData(), 0, 0); err != nil {
			return 0, err
		}
	}
	if !fixed && !dontUnmap {
		if newLen <= oldLen {
			if newLen < oldLen {
				m.unmapLocked(oldAddr+newLen, oldLen-newLen)
			}
			return oldAddr, nil
		}
		// Grow in place when the range ends the VMA and the space after it
		// is free.
		grow := newLen - oldLen
		if err := m.mayGrowLocked(uint64(grow), v.isData(), 0, 0); err != nil {
			return 0, err
		}
		if v.end == oldEnd && m.inBounds(oldEnd, grow) && !m.overlapsLocked(oldEnd, oldEnd+grow) {
			if !v.hasOffset() || v.fileOffset(oldEnd)+uint64(grow) >= v.off {
				v.end = oldEnd + grow
				m.mergeRangeLocked(v.start, v.end)
				return oldAddr, nil
			}
		}
		if flags&MRemapMayMove == 0 {
			return 0, errNoMem
		}
	}
	if !fixed {
		a, ok := m.placeLocked(0, newLen)
		if !ok {
			return 0, errNoMem
		}
		newAddr = a
	} else {
		if newLen > oldLen && !dontUnmap {
			if err := m.mayGrowLocked(uint64(newLen-oldLen), v.isData(), newAddr, newAddr+newLen); err != nil {
				return 0, err
			}
		}
		m.unmapLocked(newAddr, newLen)
		// Unmapping may have reshuffled the VMA slice.
		v = m.findLocked(oldAddr)
		if v == nil {
			return 0, errFault
		}
	}

	// Build the new VMA from the old one's attributes.
	nv := *v
	nv.start, nv.end = newAddr, newAddr+newLen
	if v.hasOffset() {
		nv.off = v.fileOffset(oldAddr)
	}
	if v.file != nil {
		nv.file.IncRef()
	}
	moveLen := min(oldLen, newLen)

	// Move the pages: re-key them, unmapped from the platform.
	m.unmapPlatformLocked(oldAddr, oldEnd)
	for _, a := range m.pageAddrsLocked(oldAddr, oldAddr+moveLen) {
		pe := m.pages[a]
		delete(m.pages, a)
		m.pages[newAddr+(a-oldAddr)] = pe
	}
	if !dontUnmap {
		m.unmapLocked(oldAddr, oldLen)
	}
	if m.overlapsLocked(nv.start, nv.end) {
		// Cannot happen (the range was free or just unmapped); be safe.
		nv.dropFile()
		m.releasePagesLocked(nv.start, nv.end)
		return 0, unix.ENOMEM
	}
	m.insertLocked(nv)
	return newAddr, nil
}
