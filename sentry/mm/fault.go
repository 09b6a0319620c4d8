package mm

import (
	"fmt"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/platform"
)

// HandleFault resolves an application fault at addr. A nil error means the
// page is now mapped and the thread can retry the instruction. Otherwise the
// returned SignalInfo is what to deliver: SIGSEGV with SEGV_MAPERR when no
// VMA covers addr (after trying to grow a grows-down VMA), SEGV_ACCERR when
// the VMA's permissions forbid the access, SIGBUS when the backing file
// could not be read.
//
// The platform does not say whether the access was a read, a write or an
// execution, so a fault on a page already mapped with its VMA's permissions
// is taken as a real violation; otherwise the page (and a window of up to
// 16 pages around it) is populated and mapped, and a forbidden access
// faults again, as ACCERR. With several threads, another thread may have
// mapped the page between the fault and this call; HandleHostFault tells
// the two cases apart and should be preferred.
func (m *MemoryManager) HandleFault(addr uintptr) (platform.SignalInfo, error) {
	return m.handleFault(addr, 0)
}

// HandleHostFault is HandleFault given the platform's fault report. Pages
// present in the platform address space always carry exactly their VMA's
// permissions (every mprotect unmaps), so the host's si_code is exact: a
// SEGV_ACCERR on a page still mapped with the VMA's permissions is a real
// violation, while a SEGV_MAPERR on a page now mapped means another thread
// mapped it meanwhile, and the thread just retries.
func (m *MemoryManager) HandleHostFault(info platform.SignalInfo) (platform.SignalInfo, error) {
	code := info.Code
	if info.Signo != int32(linux.SIGSEGV) {
		code = 0
	}
	return m.handleFault(info.Addr, code)
}

// handleFault implements HandleFault; hostCode is the host's SEGV code, or
// 0 if unknown.
func (m *MemoryManager) handleFault(addr uintptr, hostCode int32) (platform.SignalInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	segv := func(code int32) (platform.SignalInfo, error) {
		return platform.SignalInfo{Signo: int32(linux.SIGSEGV), Code: code, Addr: addr}, errFault
	}
	v := m.findLocked(addr)
	if v == nil {
		if v = m.growStackLocked(addr); v == nil {
			return segv(linux.SEGV_MAPERR)
		}
	}
	if v.perms == platform.NoAccess {
		return segv(linux.SEGV_ACCERR)
	}
	pg := pageDown(addr)
	if pe, ok := m.pages[pg]; ok && pe.mapped && pe.mappedPerms == v.perms {
		if hostCode == linux.SEGV_MAPERR {
			return platform.SignalInfo{}, nil // mapped by another thread meanwhile
		}
		return segv(linux.SEGV_ACCERR)
	}
	// Populate the window and, in a writable private VMA, give it its own
	// copies of pages still shared after Fork (copy-on-write is broken a
	// window at a time: a copy costs far less than another fault).
	start, end := windowLocked(v, pg)
	prepare := func(start, end uintptr) error {
		if err := m.populateLocked(v, start, end); err != nil {
			return err
		}
		if v.perms.Write {
			return m.breakCOWLocked(v, start, end)
		}
		return nil
	}
	if err := prepare(start, end); err != nil {
		// Retry with the faulting page alone before giving up.
		start, end = pg, pg+linux.PageSize
		if err := prepare(start, end); err != nil {
			return platform.SignalInfo{Signo: int32(linux.SIGBUS), Code: linux.BUS_ADRERR, Addr: addr}, fmt.Errorf("fault at %#x: %w", addr, err)
		}
	}
	if err := m.mapRangeLocked(v, start, end); err != nil {
		return platform.SignalInfo{Signo: int32(linux.SIGBUS), Code: linux.BUS_ADRERR, Addr: addr}, fmt.Errorf("fault at %#x: %w", addr, err)
	}
	return platform.SignalInfo{}, nil
}

// growStackLocked extends the grows-down VMA just above addr so that it
// covers addr, as Linux's expand_stack does, and returns it; nil if there
// is none or the growth would pass the stack limit or come within the guard
// gap of the mapping below.
func (m *MemoryManager) growStackLocked(addr uintptr) *vma {
	i := m.findIndexLocked(addr)
	if i == len(m.vmas) || !m.vmas[i].growsDown {
		return nil
	}
	v := &m.vmas[i]
	// Grow to the fault window's boundary when allowed, so that a stack
	// growing page by page takes one fault per window, not per page.
	newStart := addr &^ (faultWindow*linux.PageSize - 1)
	if !m.stackGrowthOKLocked(i, newStart) {
		newStart = pageDown(addr)
		if !m.stackGrowthOKLocked(i, newStart) {
			return nil
		}
	}
	if v.file != nil {
		delta := uint64(v.start - newStart)
		if delta > v.off {
			return nil
		}
		v.off -= delta
	}
	v.start = newStart
	return v
}

// stackGrowthOKLocked says whether grows-down VMA i may start at newStart.
func (m *MemoryManager) stackGrowthOKLocked(i int, newStart uintptr) bool {
	v := &m.vmas[i]
	if newStart < m.minAddr || v.end-newStart > m.stackLimit || !m.mayGrowStackLocked(v.start-newStart) {
		return false
	}
	if i > 0 {
		prev := &m.vmas[i-1]
		if prev.end > newStart || (newStart-prev.end < guardGap && !prev.growsDown && prev.perms != platform.NoAccess) {
			return false
		}
	}
	return true
}
