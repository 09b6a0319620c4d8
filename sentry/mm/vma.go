package mm

import (
	"sort"

	"github.com/cocoon-sandbox/cocoon/platform"
)

// vma is one virtual memory area: [start, end), page aligned, non-empty.
type vma struct {
	start, end uintptr
	perms      platform.AccessType
	maxPerms   platform.AccessType
	private    bool
	// file backs the VMA (nil: anonymous); off is the file offset of start.
	file      Mappable
	off       uint64
	growsDown bool
	name      string
	// special, if set, backs the VMA with these pages (the vDSO); off
	// is then the offset into them. Shared, immutable.
	special *SpecialPages
	// dontFork (MADV_DONTFORK) leaves the VMA out of a forked child;
	// wipeOnFork (MADV_WIPEONFORK) gives the child the VMA empty.
	dontFork, wipeOnFork bool
	// locked is mlock(2)'s VM_LOCKED (mlock.go): accounting only.
	locked bool
}

// hasOffset says whether off means something for v (file or special).
func (v *vma) hasOffset() bool { return v.file != nil || v.special != nil }

// fileOffset returns the file offset backing address addr of v.
func (v *vma) fileOffset(addr uintptr) uint64 { return v.off + uint64(addr-v.start) }

// dropFile releases the VMA's file reference.
func (v *vma) dropFile() {
	if v.file != nil {
		v.file.DecRef()
		v.file = nil
	}
}

// canMerge says whether b, starting where a ends, can be folded into a.
func canMerge(a, b *vma) bool {
	if a.end != b.start || a.perms != b.perms || a.maxPerms != b.maxPerms ||
		a.private != b.private || a.growsDown != b.growsDown || a.name != b.name || a.file != b.file || a.special != b.special ||
		a.dontFork != b.dontFork || a.wipeOnFork != b.wipeOnFork || a.locked != b.locked {
		return false
	}
	return !a.hasOffset() || a.fileOffset(a.end) == b.off
}

// findIndexLocked returns the index of the first VMA whose end is above addr
// (len(vmas) if none).
func (m *MemoryManager) findIndexLocked(addr uintptr) int {
	return sort.Search(len(m.vmas), func(i int) bool { return m.vmas[i].end > addr })
}

// findLocked returns the VMA containing addr, or nil.
func (m *MemoryManager) findLocked(addr uintptr) *vma {
	i := m.findIndexLocked(addr)
	if i < len(m.vmas) && m.vmas[i].start <= addr {
		return &m.vmas[i]
	}
	return nil
}

// overlapsLocked says whether any VMA intersects [start, end).
func (m *MemoryManager) overlapsLocked(start, end uintptr) bool {
	i := m.findIndexLocked(start)
	return i < len(m.vmas) && m.vmas[i].start < end
}

// splitLocked makes addr a VMA boundary if it falls strictly inside one.
func (m *MemoryManager) splitLocked(addr uintptr) {
	i := m.findIndexLocked(addr)
	if i == len(m.vmas) || m.vmas[i].start >= addr {
		return
	}
	left := m.vmas[i]
	right := left
	left.end = addr
	right.start = addr
	if right.hasOffset() {
		right.off = left.fileOffset(addr)
	}
	if right.file != nil {
		right.file.IncRef()
	}
	m.vmas[i] = left
	m.vmas = append(m.vmas, vma{})
	copy(m.vmas[i+2:], m.vmas[i+1:])
	m.vmas[i+1] = right
}

// insertLocked adds v, which must not overlap any VMA, and merges it with its
// neighbours. It takes over v's file reference.
func (m *MemoryManager) insertLocked(v vma) {
	i := m.findIndexLocked(v.start)
	m.vmas = append(m.vmas, vma{})
	copy(m.vmas[i+1:], m.vmas[i:])
	m.vmas[i] = v
	m.mergeAroundLocked(i)
}

// mergeAroundLocked merges VMA i with its neighbours where possible.
func (m *MemoryManager) mergeAroundLocked(i int) {
	if i+1 < len(m.vmas) && canMerge(&m.vmas[i], &m.vmas[i+1]) {
		m.vmas[i].end = m.vmas[i+1].end
		m.vmas[i+1].dropFile()
		m.vmas = append(m.vmas[:i+1], m.vmas[i+2:]...)
	}
	if i > 0 && canMerge(&m.vmas[i-1], &m.vmas[i]) {
		m.vmas[i-1].end = m.vmas[i].end
		m.vmas[i].dropFile()
		m.vmas = append(m.vmas[:i], m.vmas[i+1:]...)
	}
}

// mergeRangeLocked merges VMAs that touch [start, end) where possible.
func (m *MemoryManager) mergeRangeLocked(start, end uintptr) {
	i := m.findIndexLocked(start)
	if i > 0 {
		i--
	}
	for i < len(m.vmas) && m.vmas[i].start <= end {
		if i+1 < len(m.vmas) && canMerge(&m.vmas[i], &m.vmas[i+1]) {
			m.vmas[i].end = m.vmas[i+1].end
			m.vmas[i+1].dropFile()
			m.vmas = append(m.vmas[:i+1], m.vmas[i+2:]...)
			continue
		}
		i++
	}
}

// removeVMAsLocked removes the VMAs in [start, end) (after splitting at
// both ends) and drops their file references. It does not touch pages.
func (m *MemoryManager) removeVMAsLocked(start, end uintptr) {
	m.splitLocked(start)
	m.splitLocked(end)
	i := m.findIndexLocked(start)
	j := i
	for j < len(m.vmas) && m.vmas[j].end <= end {
		m.vmas[j].dropFile()
		j++
	}
	m.vmas = append(m.vmas[:i], m.vmas[j:]...)
}

// coveredLocked says whether [start, end) is entirely covered by VMAs.
func (m *MemoryManager) coveredLocked(start, end uintptr) bool {
	i := m.findIndexLocked(start)
	at := start
	for ; i < len(m.vmas) && at < end; i++ {
		if m.vmas[i].start > at {
			return false
		}
		at = m.vmas[i].end
	}
	return at >= end
}

// findGapLocked returns the highest address a such that [a, a+length) lies
// in [lo, hi) and is free.
func (m *MemoryManager) findGapLocked(length, lo, hi uintptr) (uintptr, bool) {
	if hi < lo || hi-lo < length {
		return 0, false
	}
	cur := hi
	for j := len(m.vmas) - 1; j >= 0 && cur > lo; j-- {
		v := &m.vmas[j]
		if v.start >= cur {
			continue
		}
		if v.end <= cur {
			gapStart := v.end
			if gapStart < lo {
				gapStart = lo
			}
			if cur-gapStart >= length {
				return cur - length, true
			}
		}
		cur = v.start
	}
	if cur > lo && cur-lo >= length {
		return cur - length, true
	}
	return 0, false
}
