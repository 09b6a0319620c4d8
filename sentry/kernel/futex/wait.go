package futex

import "golang.org/x/sys/unix"

// Wait queues w on the futex at addr if the word there holds val, for a
// wake whose bitset meets bitset (FUTEX_WAIT, FUTEX_WAIT_BITSET). It
// answers EAGAIN, without queueing, if the word differs. Once queued, the
// caller blocks on w.C() and ends the wait with Dequeue, which says
// whether a wake came (linux/kernel/futex/waitwake.c:futex_wait_setup()).
func (m *Manager) Wait(w *Waiter, mem Memory, addr uintptr, private bool, val, bitset uint32) error {
	if bitset == 0 {
		return unix.EINVAL
	}
	key, err := mem.FutexKey(addr, private)
	if err != nil {
		return err
	}
	w.drain()
	return m.queueIfEqual(w, mem, addr, &key, val, bitset)
}

// queueIfEqual queues w on key if the word at addr holds val.
func (m *Manager) queueIfEqual(w *Waiter, mem Memory, addr uintptr, key *Key, val, bitset uint32) error {
	w.key, w.bitset, w.kind, w.woken, w.owned = *key, bitset, waitNormal, false, false
	return m.enqueueIfEqual(w, mem, addr, val)
}

// enqueueIfEqual queues w, its fields set, on w.key if the word at addr
// holds val: the compare and the queueing under one bucket lock, so that
// no wake between them is lost.
func (m *Manager) enqueueIfEqual(w *Waiter, mem Memory, addr uintptr, val uint32) error {
	b := m.bucketOf(&w.key)
	b.mu.Lock()
	defer b.mu.Unlock()
	cur, err := mem.LoadUint32(addr)
	if err != nil {
		return err
	}
	if cur != val {
		return unix.EAGAIN
	}
	b.enqueueLocked(w)
	return nil
}

// Wake wakes up to n waiters on the futex at addr whose bitset meets
// bitset (FUTEX_WAKE, FUTEX_WAKE_BITSET) and returns how many it woke. As
// in Linux, a count below one still wakes one waiter. A PI waiter on the
// word makes it EINVAL.
func (m *Manager) Wake(mem Memory, addr uintptr, private bool, n int32, bitset uint32) (int, error) {
	if bitset == 0 {
		return 0, unix.EINVAL
	}
	key, err := mem.FutexKey(addr, private)
	if err != nil {
		return 0, err
	}
	return m.WakeKey(&key, n, bitset)
}

// WakeKey is Wake for a key already made.
func (m *Manager) WakeKey(key *Key, n int32, bitset uint32) (int, error) {
	b := m.bucketOf(key)
	b.mu.Lock()
	defer b.mu.Unlock()
	return m.wakeKeyLocked(b, key, n, bitset)
}

// wakeKeyLocked wakes up to n (at least one) waiters on key in b.
// Preconditions: b.mu is held.
func (m *Manager) wakeKeyLocked(b *bucket, key *Key, n int32, bitset uint32) (int, error) {
	woken := 0
	for w := b.head; w != nil; {
		next := w.next
		if w.key == *key {
			if w.kind != waitNormal {
				return woken, unix.EINVAL
			}
			if w.bitset&bitset != 0 {
				m.wakeLocked(b, w)
				woken++
				if int32(woken) >= n {
					break
				}
			}
		}
		w = next
	}
	return woken, nil
}

// Requeue wakes up to nWake waiters on the futex at addr and moves up to
// nRequeue more to the futex at addr2 (FUTEX_REQUEUE; FUTEX_CMP_REQUEUE
// when cmp is set, which first checks that the word at addr holds *cmp,
// EAGAIN otherwise). It returns how many it woke and moved.
func (m *Manager) Requeue(mem Memory, addr, addr2 uintptr, private bool, nWake, nRequeue int32, cmp *uint32) (int, error) {
	if nWake < 0 || nRequeue < 0 {
		return 0, unix.EINVAL
	}
	key, key2, err := futexKeys(mem, addr, addr2, private)
	if err != nil {
		return 0, err
	}
	b, b2 := m.bucketOf(&key), m.bucketOf(&key2)
	lockTwo(b, b2)
	defer unlockTwo(b, b2)
	if cmp != nil {
		cur, err := mem.LoadUint32(addr)
		if err != nil {
			return 0, err
		}
		if cur != *cmp {
			return 0, unix.EAGAIN
		}
	}
	count := int32(0)
	for w := b.head; w != nil && count-nWake < nRequeue; {
		next := w.next
		if w.key == key {
			if w.kind != waitNormal {
				return int(count), unix.EINVAL
			}
			count++
			if count <= nWake {
				m.wakeLocked(b, w)
			} else {
				moveLocked(b, b2, w, &key2)
			}
		}
		w = next
	}
	return int(count), nil
}

// moveLocked requeues w from b onto key2 in b2.
// Preconditions: b.mu and b2.mu are held; w is queued in b.
func moveLocked(b, b2 *bucket, w *Waiter, key2 *Key) {
	b.removeLocked(w)
	w.key = *key2
	b2.enqueueLocked(w)
}

// WAKE_OP operations and comparisons (FUTEX_OP_*, FUTEX_OP_CMP_*).
const (
	opSet  = 0
	opAdd  = 1
	opOr   = 2
	opAndN = 3
	opXor  = 4
	// opArgShift in the operation field makes the argument 1<<arg.
	opArgShift = 8

	cmpEQ = 0
	cmpNE = 1
	cmpLT = 2
	cmpLE = 3
	cmpGT = 4
	cmpGE = 5
)

// WakeOp is FUTEX_WAKE_OP: it applies the operation encoded in op to the
// word at addr2 atomically, wakes up to nWake waiters on addr, and, if the
// word's old value passes the encoded comparison, up to nWake2 waiters on
// addr2. It returns how many it woke in all. An unknown operation is
// ENOSYS before the word is touched; an unknown comparison is ENOSYS
// after (as in Linux).
func (m *Manager) WakeOp(mem Memory, addr, addr2 uintptr, private bool, nWake, nWake2 int32, op uint32) (int, error) {
	key, key2, err := futexKeys(mem, addr, addr2, private)
	if err != nil {
		return 0, err
	}
	b, b2 := m.bucketOf(&key), m.bucketOf(&key2)
	lockTwo(b, b2)
	defer unlockTwo(b, b2)
	pass, err := atomicOp(mem, addr2, op)
	if err != nil {
		return 0, err
	}
	woken, err := m.wakeKeyLocked(b, &key, nWake, BitsetMatchAny)
	if err != nil || !pass {
		return woken, err
	}
	woken2, err := m.wakeKeyLocked(b2, &key2, nWake2, BitsetMatchAny)
	if err != nil {
		return woken, err
	}
	return woken + woken2, nil
}

// atomicOp applies the WAKE_OP operation encoded in op to the word at addr
// and says whether its old value passes the encoded comparison
// (linux/kernel/futex/waitwake.c:futex_atomic_op_inuser()).
func atomicOp(mem Memory, addr uintptr, encoded uint32) (bool, error) {
	op := (encoded >> 28) & 7
	cmp := (encoded >> 24) & 15
	oparg := signExtend12(encoded >> 12)
	cmparg := signExtend12(encoded)
	if encoded&(opArgShift<<28) != 0 {
		// Linux masks an out-of-range shift (and logs it).
		oparg = 1 << (oparg & 31)
	}
	if op > opXor {
		return false, unix.ENOSYS
	}
	old, err := mem.LoadUint32(addr)
	if err != nil {
		return false, err
	}
	for {
		var next uint32
		switch op {
		case opSet:
			next = uint32(oparg)
		case opAdd:
			next = old + uint32(oparg)
		case opOr:
			next = old | uint32(oparg)
		case opAndN:
			next = old &^ uint32(oparg)
		case opXor:
			next = old ^ uint32(oparg)
		}
		prev, err := mem.CompareAndSwapUint32(addr, old, next)
		if err != nil {
			return false, err
		}
		if prev == old {
			break
		}
		old = prev
	}
	v := int32(old)
	switch cmp {
	case cmpEQ:
		return v == cmparg, nil
	case cmpNE:
		return v != cmparg, nil
	case cmpLT:
		return v < cmparg, nil
	case cmpLE:
		return v <= cmparg, nil
	case cmpGT:
		return v > cmparg, nil
	case cmpGE:
		return v >= cmparg, nil
	}
	return false, unix.ENOSYS
}

// signExtend12 returns the low 12 bits of x as a signed number.
func signExtend12(x uint32) int32 { return int32(x<<20) >> 20 }

// WaitvEntry is one futex of a futex_waitv(2) vector.
type WaitvEntry struct {
	Addr    uintptr
	Val     uint32
	Private bool
}

// WaitMultiple queues ws[i] on entries[i] for every i, all sharing
// shared's channel, if each word holds its value (futex_waitv). It
// returns -1 once all are queued; the caller blocks on shared.C() and
// calls DequeueMultiple. If a word differs, the ones queued leave again
// and it answers EAGAIN, unless one of them was woken meanwhile: then it
// returns that one's index.
// Preconditions: len(ws) == len(entries).
func (m *Manager) WaitMultiple(ws []Waiter, shared *Waiter, mem Memory, entries []WaitvEntry) (int, error) {
	for i := range entries {
		key, err := mem.FutexKey(entries[i].Addr, entries[i].Private)
		if err != nil {
			return 0, err
		}
		ws[i] = Waiter{ch: shared.ch, key: key, index: i}
	}
	shared.drain()
	for i := range entries {
		w := &ws[i]
		err := m.queueIfEqual(w, mem, entries[i].Addr, &w.key, entries[i].Val, BitsetMatchAny)
		if err != nil {
			if woken := m.DequeueMultiple(ws[:i]); woken >= 0 {
				return woken, nil
			}
			return 0, err
		}
	}
	return -1, nil
}

// DequeueMultiple ends a WaitMultiple: every waiter still queued leaves,
// and it returns the index of the first one that was woken, or -1.
func (m *Manager) DequeueMultiple(ws []Waiter) int {
	woken := -1
	for i := range ws {
		if m.Dequeue(&ws[i]) && woken < 0 {
			woken = i
		}
	}
	return woken
}

// futexKeys returns the keys of the futexes at addr and addr2.
func futexKeys(mem Memory, addr, addr2 uintptr, private bool) (key, key2 Key, err error) {
	if key, err = mem.FutexKey(addr, private); err != nil {
		return Key{}, Key{}, err
	}
	key2, err = mem.FutexKey(addr2, private)
	return key, key2, err
}
