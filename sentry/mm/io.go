package mm

import (
	"bytes"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/platform"
	"golang.org/x/sys/unix"
)

// access is what a copy needs from a VMA.
type access int

const (
	accessRead  access = iota // any permission (x86: every mapping is readable)
	accessWrite               // Write
	accessForce               // any VMA at all, permissions ignored (loader only)
)

func (a access) allowed(p platform.AccessType) bool {
	switch a {
	case accessRead:
		return p != platform.NoAccess
	case accessWrite:
		return p.Write
	default:
		return true
	}
}

// copyLocked walks [addr, addr+n) a page at a time, populating pages (never
// touching the platform) and calling fn with the sentry's view of each
// piece and how much was done before it. It stops with EFAULT at the first
// address that is unmapped, forbidden by acc, or past the end of the address
// space, returning the count done.
func (m *MemoryManager) copyLocked(addr uintptr, n int, acc access, fn func(b []byte, done int)) (int, error) {
	done := 0
	for done < n {
		a := addr + uintptr(done)
		if a < addr || a >= m.maxAddr {
			return done, errFault
		}
		v := m.findLocked(a)
		if v == nil || !acc.allowed(v.perms) {
			return done, errFault
		}
		pg := pageDown(a)
		pe, ok := m.pages[pg]
		if !ok {
			start, end := windowLocked(v, pg)
			if err := m.populateLocked(v, start, end); err != nil {
				if err := m.populateLocked(v, pg, pg+linux.PageSize); err != nil {
					return done, errFault
				}
			}
			pe = m.pages[pg]
		}
		if acc != accessRead && v.private && pe.fr.Refs.Load() > 1 {
			if err := m.breakCOWLocked(v, pg, pg+linux.PageSize); err != nil {
				return done, errFault
			}
		}
		in := a - pg
		chunk := min(uintptr(n-done), linux.PageSize-in)
		fn(m.mf.Slice(pe.fr.Off+uint64(in), uint64(chunk)), done)
		done += int(chunk)
	}
	return done, nil
}

// CopyIn copies len(dst) bytes from application address addr. It returns
// the count copied and EFAULT if it hit an unmapped or PROT_NONE address.
func (m *MemoryManager) CopyIn(addr uintptr, dst []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.copyLocked(addr, len(dst), accessRead, func(b []byte, done int) { copy(dst[done:], b) })
}

// CopyOut copies src to application address addr, which must be writable
// (EFAULT otherwise, with the count copied before the bad address).
func (m *MemoryManager) CopyOut(addr uintptr, src []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.copyLocked(addr, len(src), accessWrite, func(b []byte, done int) { copy(b, src[done:]) })
}

// ZeroOut zeroes length bytes at addr, which must be writable.
func (m *MemoryManager) ZeroOut(addr, length uintptr) (int, error) {
	return m.zeroOut(addr, length, accessWrite)
}

// ForceCopyOut is CopyOut ignoring VMA permissions (but not holes), as
// Linux's FOLL_FORCE: for the loader, to write into segments it just mapped
// read-only, and for debuggers' writes (PTRACE_POKETEXT, /proc/pid/mem),
// which copy private pages on write as any store does.
func (m *MemoryManager) ForceCopyOut(addr uintptr, src []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.copyLocked(addr, len(src), accessForce, func(b []byte, done int) { copy(b, src[done:]) })
}

// ForceZeroOut is ZeroOut ignoring VMA permissions; loader only (padzero of
// a read-only segment's last page).
func (m *MemoryManager) ForceZeroOut(addr, length uintptr) (int, error) {
	return m.zeroOut(addr, length, accessForce)
}

// zeroOut zeroes [addr, addr+length) VMA by VMA. Unpopulated pages of
// anonymous VMAs already read as zero and are left alone, so zeroing a
// large sparse range costs only its populated pages.
func (m *MemoryManager) zeroOut(addr, length uintptr, acc access) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	done := uintptr(0)
	for done < length {
		a := addr + done
		if a < addr || a >= m.maxAddr {
			return int(done), errFault
		}
		v := m.findLocked(a)
		if v == nil || !acc.allowed(v.perms) {
			return int(done), errFault
		}
		end := v.end
		if length-done < end-a {
			end = a + (length - done)
		}
		if v.hasOffset() {
			// A missing page would read as the file's (or the
			// special pages') bytes, not zeroes: populate it.
			n, err := m.copyLocked(a, int(end-a), acc, func(b []byte, _ int) { clear(b) })
			if err != nil {
				return int(done) + n, err
			}
		} else {
			for _, pg := range m.pageAddrsLocked(pageDown(a), end) {
				if err := m.breakCOWLocked(v, pg, pg+linux.PageSize); err != nil {
					return int(done), errFault
				}
				s, e := max(pg, a), min(pg+linux.PageSize, end)
				clear(m.mf.Slice(m.pages[pg].fr.Off+uint64(s-pg), uint64(e-s)))
			}
		}
		done += end - a
	}
	return int(done), nil
}

// CopyInString copies a NUL-terminated string at addr and returns it
// without the NUL. The string and its NUL must fit in maxLen bytes (as a
// PATH_MAX buffer in Linux's getname): ENAMETOOLONG when no NUL is found in
// the first maxLen bytes, EFAULT when a bad address comes first.
func (m *MemoryManager) CopyInString(addr uintptr, maxLen int) (string, error) {
	if maxLen <= 0 {
		return "", unix.ENAMETOOLONG
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var buf []byte
	for len(buf) < maxLen {
		a := addr + uintptr(len(buf))
		if a < addr {
			return "", errFault
		}
		// Read to the end of the page at most, so a string that ends
		// before an unmapped page is not an EFAULT.
		chunk := min(int(linux.PageSize-(a%linux.PageSize)), maxLen-len(buf))
		start := len(buf)
		buf = append(buf, make([]byte, chunk)...)
		if _, err := m.copyLocked(a, chunk, accessRead, func(b []byte, done int) { copy(buf[start+done:], b) }); err != nil {
			return "", err
		}
		if i := bytes.IndexByte(buf[start:], 0); i >= 0 {
			return string(buf[:start+i]), nil
		}
	}
	return "", unix.ENAMETOOLONG
}

// AccessibleLength returns how many of the n bytes at addr the application
// may read (write: write), stopping at the first unmapped or forbidden
// byte, without touching memory. System calls that move data use it to
// fail with EFAULT, or transfer a partial count, before consuming any
// input (a pipe's data, a file offset), as Linux's copy routines do.
func (m *MemoryManager) AccessibleLength(addr, n uintptr, write bool) uintptr {
	acc := accessRead
	if write {
		acc = accessWrite
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	done := uintptr(0)
	for done < n {
		a := addr + done
		if a < addr || a >= m.maxAddr {
			break
		}
		v := m.findLocked(a)
		if v == nil || !acc.allowed(v.perms) {
			break
		}
		done += min(n-done, v.end-a)
	}
	return done
}

// Mapped reports ENOMEM unless all of [addr, addr+length) is mapped
// (mlock, msync, mincore). addr must be page aligned (EINVAL).
func (m *MemoryManager) Mapped(addr, length uintptr) error {
	if addr%linux.PageSize != 0 {
		return errInval
	}
	l, ok := pageRoundUp(length)
	end := addr + l
	if !ok || end < addr || end > m.maxAddr {
		return errNoMem
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.coveredLocked(addr, end) {
		return errNoMem
	}
	return nil
}

// Resident reports, for each page of [addr, addr+length), whether it is
// populated (mincore). The range must be mapped.
func (m *MemoryManager) Resident(addr, length uintptr) ([]bool, error) {
	if err := m.Mapped(addr, length); err != nil {
		return nil, err
	}
	l, _ := pageRoundUp(length)
	m.mu.Lock()
	defer m.mu.Unlock()
	res := make([]bool, l/linux.PageSize)
	for i := range res {
		_, res[i] = m.pages[addr+uintptr(i)*linux.PageSize]
	}
	return res, nil
}
