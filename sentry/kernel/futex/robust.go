package futex

import "encoding/binary"

// Robust futexes: a thread registers (set_robust_list) the head of a list,
// in its own memory, of the locks it holds; when it dies, the kernel walks
// the list and marks each lock it still owns FUTEX_OWNER_DIED, waking one
// waiter, so a lock of a dead thread is not held for ever.

// RobustListHeadSize is sizeof(struct robust_list_head) on x86-64: the
// list's next pointer, futex_offset and list_op_pending.
const RobustListHeadSize = 24

// robustListLimit bounds the walk, as Linux's ROBUST_LIST_LIMIT, so that a
// circular list cannot keep an exiting thread busy.
const robustListLimit = 2048

// ExitRobustList walks the robust list at head of thread tid, which is
// exiting, in its memory mem (linux/kernel/futex/core.c:exit_robust_list()):
// each lock (an entry's address plus futex_offset) whose word names tid
// gets FUTEX_OWNER_DIED with the TID cleared, and one waiter is woken if
// FUTEX_WAITERS was set; a PI lock goes to its oldest waiter. The entry in
// list_op_pending, a lock being taken or released, is handled last. Any
// fault ends the walk quietly.
func (m *Manager) ExitRobustList(mem Memory, head uintptr, tid uint32) {
	var buf [RobustListHeadSize]byte
	if _, err := mem.CopyIn(head, buf[:]); err != nil {
		return
	}
	entry, pi := splitEntry(binary.LittleEndian.Uint64(buf[0:]))
	offset := binary.LittleEndian.Uint64(buf[8:])
	pending, pendingPI := splitEntry(binary.LittleEndian.Uint64(buf[16:]))
	for limit := robustListLimit; entry != head && limit > 0; limit-- {
		var next [8]byte
		_, err := mem.CopyIn(entry, next[:])
		if entry != pending {
			if !m.handleDeath(mem, entry+uintptr(offset), tid, pi, false) {
				return
			}
		}
		if err != nil {
			return
		}
		entry, pi = splitEntry(binary.LittleEndian.Uint64(next[:]))
	}
	if pending != 0 {
		m.handleDeath(mem, pending+uintptr(offset), tid, pendingPI, true)
	}
}

// splitEntry separates a robust list pointer from its PI flag (bit 0).
func splitEntry(v uint64) (uintptr, bool) { return uintptr(v &^ 1), v&1 != 0 }

// handleDeath marks the lock at addr, if tid owns it, as the dead owner's
// (linux/kernel/futex/core.c:handle_futex_death()). It returns false if
// the walk must stop (a misaligned or unreadable word).
func (m *Manager) handleDeath(mem Memory, addr uintptr, tid uint32, pi, pending bool) bool {
	if addr%4 != 0 {
		return false
	}
	for {
		cur, err := mem.LoadUint32(addr)
		if err != nil {
			return false
		}
		if pending && !pi && cur == 0 {
			// Released but maybe not yet woken: wake in its place.
			m.wakeShared(mem, addr)
			return true
		}
		if cur&TIDMask != tid {
			return true
		}
		ok, err := casWord(mem, addr, cur, cur&Waiters|OwnerDied)
		if err != nil {
			return false
		}
		if !ok {
			continue
		}
		if cur&Waiters != 0 {
			if pi {
				m.handOverDead(mem, addr)
			} else {
				m.wakeShared(mem, addr)
			}
		}
		return true
	}
}

// wakeShared wakes one waiter on the shared futex at addr, as Linux's
// exit paths do (FLAGS_SHARED).
func (m *Manager) wakeShared(mem Memory, addr uintptr) {
	if key, err := mem.FutexKey(addr, false); err == nil {
		m.WakeKey(&key, 1, BitsetMatchAny)
	}
}

// handOverDead gives the PI lock at addr of a dead owner to its oldest
// waiter, which may wait by the private or the shared key.
func (m *Manager) handOverDead(mem Memory, addr uintptr) {
	for _, private := range [2]bool{true, false} {
		key, err := mem.FutexKey(addr, private)
		if err != nil {
			continue
		}
		b := m.bucketOf(&key)
		b.mu.Lock()
		m.handOverDeadLocked(b, mem, addr, &key)
		b.mu.Unlock()
	}
}
