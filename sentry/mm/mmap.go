package mm

import (
	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/platform"
	"golang.org/x/sys/unix"
)

// Errors the application sees.
var (
	errNoMem = unix.ENOMEM
	errInval = unix.EINVAL
	errFault = unix.EFAULT
)

// MMapOpts describes a new mapping.
type MMapOpts struct {
	// Addr is the hint, or the exact address with Fixed or NoReplace.
	Addr, Length uintptr
	// Fixed is MAP_FIXED: replace whatever is mapped at Addr.
	Fixed bool
	// NoReplace is MAP_FIXED_NOREPLACE: Addr exactly, EEXIST if taken
	// (whether or not Fixed is also set).
	NoReplace bool
	// Perms are the initial permissions; MaxPerms bound later mprotects.
	// A zero MaxPerms means AnyAccess.
	Perms    platform.AccessType
	MaxPerms platform.AccessType
	// Private is MAP_PRIVATE (else MAP_SHARED).
	Private bool
	// File backs the mapping at Offset; nil means anonymous. The manager
	// takes its own reference.
	File   Mappable
	Offset uint64
	// GrowsDown is MAP_GROWSDOWN: faults just below extend the VMA.
	GrowsDown bool
	// Name is shown in /proc/pid/maps ("[stack]", a file path).
	Name string
	// special backs the mapping with special pages (MapSpecial).
	special *SpecialPages
}

// MMap creates a mapping and returns its address. Errors follow Linux
// mmap(2): EINVAL for a zero length, an unaligned fixed address or offset;
// ENOMEM when the length overflows, a fixed range leaves the address space
// or no room is left; EPERM for a fixed address below the minimum; EEXIST
// for NoReplace over an existing mapping; EACCES when Perms exceed MaxPerms;
// EOVERFLOW when offset+length overflows.
func (m *MemoryManager) MMap(o MMapOpts) (uintptr, error) {
	if o.Length == 0 {
		return 0, errInval
	}
	length, ok := pageRoundUp(o.Length)
	if !ok || length > m.maxAddr {
		return 0, errNoMem
	}
	if o.Offset%linux.PageSize != 0 {
		return 0, errInval
	}
	if o.Offset+uint64(length) < o.Offset || o.Offset+uint64(length) > 1<<62 {
		return 0, unix.EOVERFLOW
	}
	maxPerms := o.MaxPerms
	if maxPerms == platform.NoAccess {
		maxPerms = platform.AnyAccess
	}
	if !subset(o.Perms, maxPerms) {
		return 0, unix.EACCES
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	var addr uintptr
	if o.Fixed || o.NoReplace {
		if o.Addr%linux.PageSize != 0 {
			return 0, errInval
		}
		if o.Addr < m.minAddr {
			return 0, unix.EPERM
		}
		if !m.inBounds(o.Addr, length) {
			return 0, errNoMem
		}
		addr = o.Addr
		if m.overlapsLocked(addr, addr+length) {
			if o.NoReplace {
				return 0, unix.EEXIST
			}
			if err := m.mayGrowLocked(uint64(length), newIsData(o), addr, addr+length); err != nil {
				return 0, err
			}
			m.unmapLocked(addr, length)
		} else if err := m.mayGrowLocked(uint64(length), newIsData(o), 0, 0); err != nil {
			return 0, err
		}
	} else {
		if err := m.mayGrowLocked(uint64(length), newIsData(o), 0, 0); err != nil {
			return 0, err
		}
		a, ok := m.placeLocked(o.Addr, length)
		if !ok {
			return 0, errNoMem
		}
		addr = a
	}
	if m.lockFuture {
		if err := m.mayLockLocked(uint64(length), m.lockLimit); err != nil {
			return 0, unix.EAGAIN
		}
	}
	if o.File != nil {
		o.File.IncRef()
	}
	m.insertLocked(vma{
		locked:    m.lockFuture,
		start:     addr,
		end:       addr + length,
		perms:     o.Perms,
		maxPerms:  maxPerms,
		private:   o.Private,
		file:      o.File,
		off:       o.Offset,
		growsDown: o.GrowsDown,
		name:      o.Name,
		special:   o.special,
	})
	if o.special != nil {
		v := m.findLocked(addr)
		if err := m.populateSpecialLocked(v, addr, addr+length); err != nil {
			m.unmapLocked(addr, length)
			return 0, err
		}
	}
	return addr, nil
}

// newIsData says whether the mapping o describes counts as data.
func newIsData(o MMapOpts) bool { return o.Perms.Write && o.Private && !o.GrowsDown }

// placeLocked picks an address for a non-fixed mapping: the hint if free,
// else top-down below the mmap base, else anywhere.
func (m *MemoryManager) placeLocked(hint, length uintptr) (uintptr, bool) {
	if hint != 0 {
		h := pageDown(hint)
		if m.inBounds(h, length) && !m.overlapsLocked(h, h+length) {
			return h, true
		}
	}
	if a, ok := m.findGapLocked(length, m.minAddr, m.mmapBase); ok {
		return a, true
	}
	return m.findGapLocked(length, m.minAddr, m.maxAddr)
}

// unmapLocked removes [addr, addr+length) (page aligned, in bounds): the
// platform mappings, the pages and the VMAs.
func (m *MemoryManager) unmapLocked(addr, length uintptr) {
	end := addr + length
	if !m.overlapsLocked(addr, end) {
		return
	}
	if m.releasePagesLocked(addr, end) {
		m.as.Unmap(addr, length)
	}
	m.removeVMAsLocked(addr, end)
}

// checkRange validates an (addr, length) pair for munmap-like calls: addr
// page aligned, length rounded up without overflow, range in bounds.
func (m *MemoryManager) checkRange(addr, length uintptr) (uintptr, error) {
	if addr%linux.PageSize != 0 {
		return 0, errInval
	}
	l, ok := pageRoundUp(length)
	if !ok || !m.inBoundsLoose(addr, l) {
		return 0, errInval
	}
	return l, nil
}

// inBoundsLoose is inBounds without the lower bound (munmap of low
// addresses is a no-op rather than an error).
func (m *MemoryManager) inBoundsLoose(addr, length uintptr) bool {
	end := addr + length
	return end >= addr && end <= m.maxAddr
}

// MUnmap implements munmap(2): EINVAL for an unaligned address, a zero or
// overflowing length; unmapping holes is fine.
func (m *MemoryManager) MUnmap(addr, length uintptr) error {
	if length == 0 {
		return errInval
	}
	l, err := m.checkRange(addr, length)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.unmapLocked(addr, l)
	return nil
}

// MProtect implements mprotect(2): EINVAL for an unaligned address or an
// overflowing range, ENOMEM if part of the range is unmapped, EACCES if prot
// exceeds a VMA's maximum permissions.
func (m *MemoryManager) MProtect(addr, length uintptr, prot platform.AccessType) error {
	l, err := m.checkRange(addr, length)
	if err == errInval && addr%linux.PageSize == 0 {
		// Linux: past the top or wrapping around is "not mapped".
		return errNoMem
	}
	if err != nil {
		return err
	}
	if l == 0 {
		return nil
	}
	end := addr + l
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.coveredLocked(addr, end) {
		return errNoMem
	}
	for i := m.findIndexLocked(addr); i < len(m.vmas) && m.vmas[i].start < end; i++ {
		if !subset(prot, m.vmas[i].maxPerms) {
			return unix.EACCES
		}
	}
	m.splitLocked(addr)
	m.splitLocked(end)
	changed := false
	for i := m.findIndexLocked(addr); i < len(m.vmas) && m.vmas[i].start < end; i++ {
		if m.vmas[i].perms != prot {
			changed = true
		}
		m.vmas[i].perms = prot
	}
	// Unmap on any change, widening included: pages present in the
	// platform always carry exactly their VMA's permissions, which is what
	// makes the host's fault code exact (see HandleHostFault).
	if changed {
		m.unmapPlatformLocked(addr, end)
	}
	m.mergeRangeLocked(addr, end)
	return nil
}

// Madvise advice values that change memory contents, or what fork does.
const (
	madvDontNeed   = 4
	madvFree       = 8
	madvRemove     = 9
	madvDontFork   = 10
	madvDoFork     = 11
	madvWipeOnFork = 18
	madvKeepOnFork = 19
)

// validAdvice reports whether Linux knows the madvise advice: 0-4
// (NORMAL..DONTNEED), 8-26 (FREE..COLLAPSE), 100-101 (HWPOISON,
// SOFT_OFFLINE).
func validAdvice(a int) bool {
	return a >= 0 && a <= 4 || a >= 8 && a <= 26 || a == 100 || a == 101
}

// setForkAdviceLocked applies MADV_DONTFORK, _DOFORK, _WIPEONFORK or
// _KEEPONFORK to the VMAs of [start, end), splitting them at the ends:
// WIPEONFORK is EINVAL unless every one is private and anonymous, and
// then changes nothing. Preconditions: m.mu is held; the range is
// covered.
func (m *MemoryManager) setForkAdviceLocked(start, end uintptr, advice int) error {
	if advice == madvWipeOnFork {
		for i := m.findIndexLocked(start); i < len(m.vmas) && m.vmas[i].start < end; i++ {
			if v := &m.vmas[i]; !v.private || v.hasOffset() {
				return errInval
			}
		}
	}
	m.splitLocked(start)
	m.splitLocked(end)
	for i := m.findIndexLocked(start); i < len(m.vmas) && m.vmas[i].start < end; i++ {
		v := &m.vmas[i]
		switch advice {
		case madvDontFork, madvDoFork:
			v.dontFork = advice == madvDontFork
		default:
			v.wipeOnFork = advice == madvWipeOnFork
		}
	}
	m.mergeRangeLocked(start, end)
	return nil
}

// Madvise implements madvise(2). MADV_DONTNEED (and MADV_FREE) drop the
// private pages of the range, which then read as zero (anonymous) or as the
// file's contents again; shared pages are only unmapped from the platform.
// MADV_DONTFORK/DOFORK and MADV_WIPEONFORK/KEEPONFORK mark what fork
// leaves out or gives empty. Other advice is accepted and ignored. ENOMEM if part of the range is
// unmapped.
func (m *MemoryManager) Madvise(addr, length uintptr, advice int) error {
	if !validAdvice(advice) {
		return errInval
	}
	l, err := m.checkRange(addr, length)
	if err != nil {
		return err
	}
	if l == 0 {
		return nil
	}
	end := addr + l
	m.mu.Lock()
	defer m.mu.Unlock()
	covered := m.coveredLocked(addr, end)
	switch advice {
	case madvDontFork, madvDoFork, madvWipeOnFork, madvKeepOnFork:
		if !covered {
			return errNoMem
		}
		return m.setForkAdviceLocked(addr, end, advice)
	}
	if advice == madvDontNeed || advice == madvFree || advice == madvRemove {
		m.unmapPlatformLocked(addr, end)
		for i := m.findIndexLocked(addr); i < len(m.vmas) && m.vmas[i].start < end; i++ {
			v := &m.vmas[i]
			s, e := max(v.start, addr), min(v.end, end)
			if v.private || (advice == madvRemove && v.file == nil) {
				m.releasePagesLocked(s, e)
			}
		}
	}
	if !covered {
		return errNoMem
	}
	return nil
}

// Brk implements brk(2): it moves the program break to addr if it can and
// returns the break (the old one on failure, as Linux does).
func (m *MemoryManager) Brk(addr uintptr) uintptr {
	m.mu.Lock()
	defer m.mu.Unlock()
	if addr < m.brkStart || m.brkStart == 0 {
		return m.brk
	}
	oldEnd := pageRoundUpOr(m.brk, m.brk)
	newEnd, ok := pageRoundUp(addr)
	if !ok || newEnd > m.maxAddr {
		return m.brk
	}
	switch {
	case newEnd > oldEnd:
		// Like Linux, keep a guard page away from the next mapping.
		guardEnd := newEnd + linux.PageSize
		if guardEnd < newEnd || m.overlapsLocked(oldEnd, guardEnd) {
			return m.brk
		}
		if m.mayGrowLocked(uint64(newEnd-oldEnd), true, 0, 0) != nil {
			return m.brk
		}
		m.insertLocked(vma{
			start:    oldEnd,
			end:      newEnd,
			perms:    platform.ReadWrite,
			maxPerms: platform.AnyAccess,
			private:  true,
			name:     "[heap]",
		})
	case newEnd < oldEnd:
		m.unmapLocked(newEnd, oldEnd-newEnd)
	}
	m.brk = addr
	return m.brk
}

// SetBrkStart sets the start of the heap (just after the executable's
// highest segment) and resets the break to it.
func (m *MemoryManager) SetBrkStart(addr uintptr) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a := pageRoundUpOr(addr, pageDown(addr))
	m.brkStart, m.brk = a, a
}
