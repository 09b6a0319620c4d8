package mm

import (
	"sync/atomic"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/platform"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel/futex"
)

// What futexes need of an address space: atomic access to a word, and the
// key that names it (futex.Memory).

// LoadUint32 atomically reads the 32-bit word at addr, which must be
// 4-byte aligned (EINVAL) and readable (EFAULT).
func (m *MemoryManager) LoadUint32(addr uintptr) (uint32, error) {
	if addr%4 != 0 {
		return 0, errInval
	}
	var v uint32
	m.mu.Lock()
	defer m.mu.Unlock()
	_, err := m.copyLocked(addr, 4, accessRead, func(b []byte, _ int) { v = atomic.LoadUint32(wordAt(b)) })
	return v, err
}

// CompareAndSwapUint32 atomically replaces the word at addr with new if it
// holds old, and returns the value it held. addr must be 4-byte aligned
// (EINVAL) and writable (EFAULT); a private page shared after fork gets
// its own copy first, as for any write.
func (m *MemoryManager) CompareAndSwapUint32(addr uintptr, old, new uint32) (uint32, error) {
	if addr%4 != 0 {
		return 0, errInval
	}
	var prev uint32
	m.mu.Lock()
	defer m.mu.Unlock()
	_, err := m.copyLocked(addr, 4, accessWrite, func(b []byte, _ int) {
		w := wordAt(b)
		for {
			if atomic.CompareAndSwapUint32(w, old, new) {
				prev = old
				return
			}
			if prev = atomic.LoadUint32(w); prev != old {
				return
			}
		}
	})
	return prev, err
}

// FutexKey returns the key of the futex word at addr
// (linux/kernel/futex/core.c:get_futex_key()). A private futex is named by
// this address space and addr, without looking at the memory (a later
// access answers EFAULT). A shared one in private memory is named the same
// way, as its own kind; one in MAP_SHARED anonymous memory by its offset
// in the memory file, which a forked child shares, so that processes
// sharing the memory find each other (a shared mapping of a tmpfs file
// too: its frames are the file's, whoever mapped it); one in a shared
// mapping of another file by the file (whichever open) and offset. EFAULT for an unmapped or PROT_NONE address, and for
// read-only private anonymous memory (as in Linux).
func (m *MemoryManager) FutexKey(addr uintptr, private bool) (futex.Key, error) {
	if private {
		return futex.Key{Kind: futex.KindPrivate, Object: m, Offset: uint64(addr)}, nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	v := m.findLocked(addr)
	if v == nil || v.perms == platform.NoAccess {
		return futex.Key{}, errFault
	}
	switch {
	case v.private:
		if v.file == nil && !v.perms.Write {
			return futex.Key{}, errFault
		}
		return futex.Key{Kind: futex.KindPrivateMemory, Object: m, Offset: uint64(addr)}, nil
	case v.file != nil && sharedSource(v) == nil:
		// A file without frames (gofer): named by the file itself, the
		// same for every open of it, so that processes that mapped it
		// separately meet.
		var obj any = v.file
		if id, ok := v.file.(interface{ FileIdentity() any }); ok {
			obj = id.FileIdentity()
		}
		return futex.Key{Kind: futex.KindSharedFile, Object: obj, Offset: v.fileOffset(addr)}, nil
	}
	// MAP_SHARED anonymous memory, or a file whose frames every mapping
	// shares (tmpfs: /dev/shm semaphores): named by the frame.
	pg := pageDown(addr)
	if err := m.populateLocked(v, pg, pg+linux.PageSize); err != nil {
		return futex.Key{}, errFault
	}
	return futex.Key{Kind: futex.KindSharedMemory, Offset: m.pages[pg].fr.Off + uint64(addr-pg)}, nil
}
