package mm

import (
	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
)

// Memory locks. The sentry never swaps, so a lock changes no page; what
// it changes is accounting, which programs and tests check: mlock(2) and
// mlockall(2) answer ENOMEM past RLIMIT_MEMLOCK (EPERM when it is 0) for
// the unprivileged, /proc/pid/status shows VmLck, and a forked child
// inherits no lock.

// MLock implements mlock(2) (lock) and munlock(2) for the mapped range
// [addr, addr+length): ENOMEM if part of it is unmapped. limit is the
// caller's RLIMIT_MEMLOCK in bytes, Unlimited with CAP_IPC_LOCK; locking
// past it is ENOMEM, or EPERM when it is 0.
func (m *MemoryManager) MLock(addr, length uintptr, lock bool, limit uint64) error {
	// As Linux's do_mlock: EPERM at a zero limit before anything else,
	// then ENOMEM for any range that is not wholly mapped (kernel and
	// non-canonical addresses included); never EINVAL.
	if lock && limit == 0 {
		return unix.EPERM
	}
	l, ok := pageRoundUp(length)
	if !ok || addr%linux.PageSize != 0 || addr+l < addr {
		return errNoMem
	}
	if l == 0 {
		return nil
	}
	end := addr + l
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.inBoundsLoose(addr, l) || !m.coveredLocked(addr, end) {
		return errNoMem
	}
	if lock {
		if err := m.mayLockLocked(m.unlockedInLocked(addr, end), limit); err != nil {
			return err
		}
	}
	m.setLockedLocked(addr, end, lock)
	return nil
}

// MLockAll implements mlockall(2) (current: lock every mapping now;
// future: lock the mappings made from now on) with the caller's limit.
func (m *MemoryManager) MLockAll(current, future bool, limit uint64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if current {
		var all uint64
		for i := range m.vmas {
			all += uint64(m.vmas[i].end - m.vmas[i].start)
		}
		if err := m.mayLockLocked(all-m.lockedLocked(), limit); err != nil {
			return err
		}
		if len(m.vmas) > 0 {
			m.setLockedLocked(m.vmas[0].start, m.vmas[len(m.vmas)-1].end, true)
		}
	}
	if future {
		m.lockFuture, m.lockLimit = true, limit
	}
	return nil
}

// MUnlockAll implements munlockall(2).
func (m *MemoryManager) MUnlockAll() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.vmas) > 0 {
		m.setLockedLocked(m.vmas[0].start, m.vmas[len(m.vmas)-1].end, false)
	}
	m.lockFuture = false
}

// LockedSize returns the size of the locked mappings (VmLck).
func (m *MemoryManager) LockedSize() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lockedLocked()
}

// mayLockLocked says whether n more bytes may be locked under limit.
func (m *MemoryManager) mayLockLocked(n, limit uint64) error {
	if limit == Unlimited || n == 0 {
		return nil
	}
	if limit == 0 {
		return unix.EPERM
	}
	if total := m.lockedLocked() + n; total > limit || total < n {
		return errNoMem
	}
	return nil
}

func (m *MemoryManager) lockedLocked() uint64 {
	var n uint64
	for i := range m.vmas {
		if v := &m.vmas[i]; v.locked {
			n += uint64(v.end - v.start)
		}
	}
	return n
}

// unlockedInLocked returns how much of [start, end) is mapped unlocked.
func (m *MemoryManager) unlockedInLocked(start, end uintptr) uint64 {
	var n uint64
	for i := m.findIndexLocked(start); i < len(m.vmas) && m.vmas[i].start < end; i++ {
		if v := &m.vmas[i]; !v.locked {
			n += uint64(min(v.end, end) - max(v.start, start))
		}
	}
	return n
}

// setLockedLocked marks the VMAs of [start, end) locked or not, splitting
// them at the ends.
func (m *MemoryManager) setLockedLocked(start, end uintptr, lock bool) {
	m.splitLocked(start)
	m.splitLocked(end)
	for i := m.findIndexLocked(start); i < len(m.vmas) && m.vmas[i].start < end; i++ {
		m.vmas[i].locked = lock
	}
	m.mergeRangeLocked(start, end)
}
