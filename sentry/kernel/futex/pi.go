package futex

import "golang.org/x/sys/unix"

// The priority-inheritance futexes (FUTEX_LOCK_PI and friends) as a
// protocol only: the word holds the owner's TID, FUTEX_WAITERS while
// threads wait in the kernel and FUTEX_OWNER_DIED after a robust owner
// died; an unlock hands the lock straight to the oldest waiter. Priorities
// mean nothing in the sentry, so nothing is boosted.

// ThreadAlive says whether a thread with the given TID exists and is not
// exiting; NewManager's caller provides it (an owner TID in a PI futex
// word that names no thread is ESRCH).
type ThreadAlive func(tid uint32) bool

// LockPI takes the PI futex at addr for thread tid (FUTEX_LOCK_PI,
// FUTEX_LOCK_PI2, and FUTEX_TRYLOCK_PI when try). It returns true if tid
// now owns it. Otherwise, without an error, w is queued: the caller blocks
// on w.C() and calls Dequeue, and owns the futex once Dequeue says it was
// woken. Errors are Linux's: EDEADLK if tid owns it already, ESRCH if the
// owner named in the word does not exist, EAGAIN for a try that would
// block, EINVAL if non-PI waiters wait on the word
// (linux/kernel/futex/pi.c:futex_lock_pi_atomic()).
func (m *Manager) LockPI(w *Waiter, mem Memory, addr uintptr, private bool, tid uint32, try bool) (bool, error) {
	key, err := mem.FutexKey(addr, private)
	if err != nil {
		return false, err
	}
	b := m.bucketOf(&key)
	b.mu.Lock()
	defer b.mu.Unlock()
	acquired, err := m.lockPIAtomicLocked(b, mem, addr, &key, tid, false /* setWaiters */)
	if acquired || err != nil {
		return acquired, err
	}
	if try {
		return false, unix.EAGAIN
	}
	w.drain()
	w.key, w.kind, w.tid, w.woken, w.owned = key, waitPI, tid, false, false
	m.piWaiters.Add(1)
	b.enqueueLocked(w)
	return false, nil
}

// lockPIAtomicLocked takes the PI futex at addr (key, in b) for tid if it
// is free and returns true; otherwise it makes sure FUTEX_WAITERS is set
// and the owner exists, and returns false. setWaiters sets FUTEX_WAITERS
// even when the lock is taken (a requeue does: others wait).
// Preconditions: b.mu is held.
func (m *Manager) lockPIAtomicLocked(b *bucket, mem Memory, addr uintptr, key *Key, tid uint32, setWaiters bool) (bool, error) {
	for {
		cur, err := mem.LoadUint32(addr)
		if err != nil {
			return false, err
		}
		owner := cur & TIDMask
		if owner == tid {
			return false, unix.EDEADLK
		}
		if top := b.firstLocked(key); top != nil {
			// Attach to the waiters already there: the word must name
			// an owner, and they must be PI waiters.
			if top.kind != waitPI || owner == 0 {
				return false, unix.EINVAL
			}
			if cur&Waiters != 0 {
				return false, nil
			}
			if ok, err := casWord(mem, addr, cur, cur|Waiters); err != nil || ok {
				return false, err
			}
			continue
		}
		if owner == 0 {
			next := cur&OwnerDied | tid
			if setWaiters {
				next |= Waiters
			}
			ok, err := casWord(mem, addr, cur, next)
			if err != nil {
				return false, err
			}
			if ok {
				return true, nil
			}
			continue
		}
		ok, err := casWord(mem, addr, cur, cur|Waiters)
		if err != nil {
			return false, err
		}
		if !ok {
			continue
		}
		if m.alive == nil || !m.alive(owner) {
			return false, unix.ESRCH
		}
		return false, nil
	}
}

// casWord replaces the word at addr with next if it holds cur, and says
// whether it did.
func casWord(mem Memory, addr uintptr, cur, next uint32) (bool, error) {
	if cur == next {
		return true, nil
	}
	prev, err := mem.CompareAndSwapUint32(addr, cur, next)
	return prev == cur, err
}

// UnlockPI releases the PI futex at addr, which tid must own (EPERM
// otherwise): to the oldest waiter if any, whose TID the word then holds
// with FUTEX_WAITERS, else by storing 0 (EAGAIN if the word changed under
// it) (linux/kernel/futex/pi.c:futex_unlock_pi()).
func (m *Manager) UnlockPI(mem Memory, addr uintptr, private bool, tid uint32) error {
	cur, err := mem.LoadUint32(addr)
	if err != nil {
		return err
	}
	if cur&TIDMask != tid {
		return unix.EPERM
	}
	key, err := mem.FutexKey(addr, private)
	if err != nil {
		return err
	}
	b := m.bucketOf(&key)
	b.mu.Lock()
	defer b.mu.Unlock()
	for {
		cur, err := mem.LoadUint32(addr)
		if err != nil {
			return err
		}
		if cur&TIDMask != tid {
			return unix.EPERM
		}
		if top := b.firstLocked(&key); top != nil {
			if top.kind != waitPI {
				return unix.EINVAL
			}
			ok, err := casWord(mem, addr, cur, Waiters|top.tid)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			top.owned = true
			m.wakeLocked(b, top)
			return nil
		}
		ok, err := casWord(mem, addr, cur, 0)
		if err != nil {
			return err
		}
		if !ok {
			return unix.EAGAIN
		}
		return nil
	}
}

// WaitRequeuePI queues w on the futex at addr, if the word holds val, to
// be moved by a CMP_REQUEUE_PI onto the PI futex at addr2 and woken once it
// owns that (FUTEX_WAIT_REQUEUE_PI). The caller blocks on w.C() and calls
// Dequeue; woken means it owns addr2; if not, Requeued says whether the
// move had happened.
func (m *Manager) WaitRequeuePI(w *Waiter, mem Memory, addr, addr2 uintptr, private bool, val, tid uint32) error {
	if addr == addr2 {
		return unix.EINVAL
	}
	key, key2, err := futexKeys(mem, addr, addr2, private)
	if err != nil {
		return err
	}
	if key == key2 {
		return unix.EINVAL
	}
	w.drain()
	w.key, w.bitset, w.kind, w.tid, w.requeuePIKey, w.woken, w.owned = key, BitsetMatchAny, waitRequeuePI, tid, key2, false, false
	return m.enqueueIfEqual(w, mem, addr, val)
}

// Requeued says whether a WAIT_REQUEUE_PI waiter was moved onto its PI
// futex. Preconditions: w is not queued (after Dequeue).
func (w *Waiter) Requeued() bool { return w.kind == waitPI }

// CmpRequeuePI is FUTEX_CMP_REQUEUE_PI: if the word at addr holds cmp
// (EAGAIN otherwise), it gives the PI futex at addr2 to the oldest
// WAIT_REQUEUE_PI waiter on addr if it is free (waking it), and moves up
// to nRequeue more (one more if the lock was not free) onto addr2 as PI
// waiters. It returns how many it woke and moved. nWake must be 1.
func (m *Manager) CmpRequeuePI(mem Memory, addr, addr2 uintptr, private bool, nWake, nRequeue int32, cmp uint32) (int, error) {
	if nWake < 0 || nRequeue < 0 || nWake != 1 || addr == addr2 {
		return 0, unix.EINVAL
	}
	key, key2, err := futexKeys(mem, addr, addr2, private)
	if err != nil {
		return 0, err
	}
	if key == key2 {
		return 0, unix.EINVAL
	}
	b, b2 := m.bucketOf(&key), m.bucketOf(&key2)
	lockTwo(b, b2)
	defer unlockTwo(b, b2)
	cur, err := mem.LoadUint32(addr)
	if err != nil {
		return 0, err
	}
	if cur != cmp {
		return 0, unix.EAGAIN
	}
	count := int32(0)
	if top := b.firstLocked(&key); top != nil {
		if top.kind != waitRequeuePI || top.requeuePIKey != key2 {
			return 0, unix.EINVAL
		}
		acquired, err := m.lockPIAtomicLocked(b2, mem, addr2, &key2, top.tid, true /* setWaiters */)
		if err != nil {
			return 0, err
		}
		if acquired {
			top.owned = true
			m.wakeLocked(b, top)
			count++
		}
	}
	for w := b.head; w != nil && count-nWake < nRequeue; {
		next := w.next
		if w.key == key {
			if w.kind != waitRequeuePI || w.requeuePIKey != key2 {
				return int(count), unix.EINVAL
			}
			moveLocked(b, b2, w, &key2)
			w.kind = waitPI
			m.piWaiters.Add(1)
			count++
		}
		w = next
	}
	return int(count), nil
}

// handOverDeadLocked gives the PI futex at addr, whose owner just died
// (robust list), to the oldest PI waiter on key, if any: the word gets its
// TID with FUTEX_WAITERS and FUTEX_OWNER_DIED, so the new owner knows.
// Preconditions: b.mu is held.
func (m *Manager) handOverDeadLocked(b *bucket, mem Memory, addr uintptr, key *Key) {
	top := b.firstLocked(key)
	if top == nil || top.kind != waitPI {
		return
	}
	for {
		cur, err := mem.LoadUint32(addr)
		if err != nil || cur&TIDMask != 0 {
			return
		}
		ok, err := casWord(mem, addr, cur, Waiters|OwnerDied|top.tid)
		if err != nil {
			return
		}
		if ok {
			top.owned = true
			m.wakeLocked(b, top)
			return
		}
	}
}
