package mm

import (
	"fmt"
)

// Fork returns a copy of the address space for a child process: the same
// VMAs (file references taken) and the same pages. MAP_SHARED pages
// (anonymous ones, all populated first, or file pages already populated)
// stay shared for good; private
// pages (file-backed ones included) are shared copy-on-write: the frame's
// reference count says it is shared, and the
// first write fault (or CopyOut) on either side gives that side its own
// copy (see breakCOWLocked). To make the parent's writes fault, its
// writable private pages are unmapped from its platform address space, one
// Unmap per VMA. The child's address space starts empty and is filled by
// its own faults.
func (m *MemoryManager) Fork() (*MemoryManager, error) {
	as, err := m.p.NewAddressSpace()
	if err != nil {
		return nil, fmt.Errorf("creating address space: %w", err)
	}
	c := newWithAS(m.p, m.mf, as)

	m.mu.Lock()
	defer m.mu.Unlock()
	c.brkStart, c.brk = m.brkStart, m.brk
	c.stackLimit, c.asLimit, c.dataLimit = m.stackLimit, m.asLimit, m.dataLimit
	c.argvStart, c.argvEnd, c.envStart, c.envEnd = m.argvStart, m.argvEnd, m.envStart, m.envEnd
	c.auxv = m.auxv
	c.vmas = make([]vma, 0, len(m.vmas))
	for _, v := range m.vmas {
		if v.dontFork {
			continue
		}
		if v.file != nil {
			v.file.IncRef()
		}
		v.locked = false // memory locks are not inherited
		c.vmas = append(c.vmas, v)
	}
	for i := range m.vmas {
		v := &m.vmas[i]
		if v.dontFork || v.wipeOnFork {
			// Not in the child, or there with no pages (zeros).
			continue
		}
		if !v.private && v.file == nil {
			// Both sides must see the same frames of a MAP_SHARED
			// anonymous mapping, even of pages neither touched yet (a
			// futex word, a flag): give every page its frame now. The
			// memory file backs frames lazily, so this costs page
			// entries, not memory.
			if err := m.populateLocked(v, v.start, v.end); err != nil {
				c.Release()
				return nil, err
			}
		}
		addrs := m.pageAddrsLocked(v.start, v.end)
		// Unmap before sharing, so that no write through an existing
		// writable mapping can reach a frame the child sees.
		if v.private && v.perms.Write {
			m.unmapPlatformLocked(v.start, v.end)
		}
		for _, a := range addrs {
			fr := m.pages[a].fr
			fr.Refs.Add(1)
			c.pages[a] = &pageEntry{fr: fr}
		}
	}
	return c, nil
}
