package mm

import (
	"fmt"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
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
	return m.fork(false)
}

// VforkView returns a manager for the child of vfork(2) (clone with
// CLONE_VM|CLONE_VFORK): a separate platform address space over the very
// same frames, in which private pages are written in place instead of
// copied, so the child's stores reach the suspended parent as they would
// in Linux's shared mm. Pages the child populates anew, and mappings it
// makes, stay its own. The parent must not run until the view is
// released (the child execs or exits), which vfork guarantees.
func (m *MemoryManager) VforkView() (*MemoryManager, error) {
	return m.fork(true)
}

func (m *MemoryManager) fork(view bool) (*MemoryManager, error) {
	as, err := m.p.NewAddressSpace()
	if err != nil {
		return nil, fmt.Errorf("creating address space: %w", err)
	}
	c := newWithAS(m.p, m.mf, as)
	c.writesInPlace = view

	m.mu.Lock()
	defer m.mu.Unlock()
	c.brkStart, c.brk = m.brkStart, m.brk
	c.stackLimit = m.stackLimit
	c.argvStart, c.argvEnd, c.envStart, c.envEnd = m.argvStart, m.argvEnd, m.envStart, m.envEnd
	c.auxv = m.auxv
	c.vmas = make([]vma, len(m.vmas))
	copy(c.vmas, m.vmas)
	for i := range c.vmas {
		if c.vmas[i].file != nil {
			c.vmas[i].file.IncRef()
		}
	}
	for i := range m.vmas {
		v := &m.vmas[i]
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
		if v.private && v.perms.Write && !view {
			m.unmapPlatformLocked(v.start, v.end)
		}
		if m.writesInPlace && !view && v.private {
			// A vfork child forking: its private frames are shared in
			// place with its suspended parent, so they cannot also be
			// shared copy-on-write (the vfork child's stores would reach
			// the new child). The new child gets copies now.
			if err := c.copyFramesLocked(m, addrs); err != nil {
				c.Release()
				return nil, err
			}
			continue
		}
		for _, a := range addrs {
			fr := m.pages[a].fr
			fr.Refs.Add(1)
			c.pages[a] = &pageEntry{fr: fr}
		}
	}
	return c, nil
}

// copyFramesLocked gives c its own copies of src's pages at addrs.
// Preconditions: src.mu is held; c is not yet visible to anyone.
func (c *MemoryManager) copyFramesLocked(src *MemoryManager, addrs []uintptr) error {
	for _, a := range addrs {
		off, err := c.mf.Allocate(linux.PageSize)
		if err != nil {
			return errNoMem
		}
		copy(c.mf.Slice(off, linux.PageSize), c.mf.Slice(src.pages[a].fr.Off, linux.PageSize))
		c.pages[a] = &pageEntry{fr: newFrame(off)}
	}
	return nil
}
