package futex

import (
	"testing"

	"golang.org/x/sys/unix"
)

const (
	tidA = 100
	tidB = 200
	tidC = 300
)

func TestLockPIProtocol(t *testing.T) {
	m, mem, w := NewManager(threads(tidA, tidB, tidC)), newFakeMemory(), NewWaiter()
	if ok, err := m.LockPI(w, mem, wordA, false, tidA, false); !ok || err != nil {
		t.Fatalf("LockPI of a free word = %v, %v", ok, err)
	}
	if got := mem.load32(t, wordA); got != tidA {
		t.Fatalf("word = %#x, want the owner's TID", got)
	}
	if _, err := m.LockPI(w, mem, wordA, false, tidA, false); err != unix.EDEADLK {
		t.Fatalf("relock = %v, want EDEADLK", err)
	}
	if _, err := m.LockPI(w, mem, wordA, false, tidB, true); err != unix.EAGAIN {
		t.Fatalf("trylock of a held lock = %v, want EAGAIN", err)
	}
	if got := mem.load32(t, wordA); got != tidA|Waiters {
		t.Fatalf("word after a failed trylock = %#x, want FUTEX_WAITERS set", got)
	}
	if err := m.UnlockPI(mem, wordA, false, tidB); err != unix.EPERM {
		t.Fatalf("unlock by a non-owner = %v, want EPERM", err)
	}
	// B blocks, A's unlock hands the lock to B directly.
	wb := NewWaiter()
	if ok, err := m.LockPI(wb, mem.sharing(), wordA, false, tidB, false); ok || err != nil {
		t.Fatalf("contended LockPI = %v, %v; want queued", ok, err)
	}
	if err := m.UnlockPI(mem, wordA, false, tidA); err != nil {
		t.Fatal(err)
	}
	if !m.Dequeue(wb) {
		t.Fatal("the waiter was not handed the lock")
	}
	if got := mem.load32(t, wordA); got != tidB|Waiters {
		t.Fatalf("word after hand-over = %#x, want B|FUTEX_WAITERS", got)
	}
	// No waiters left: B's unlock stores 0.
	if err := m.UnlockPI(mem, wordA, false, tidB); err != nil || mem.load32(t, wordA) != 0 {
		t.Fatalf("last unlock = %v, word %#x", err, mem.load32(t, wordA))
	}
}

func TestLockPIErrors(t *testing.T) {
	m, mem, w := NewManager(threads(tidA)), newFakeMemory(), NewWaiter()
	mem.store32(t, wordA, tidC) // a TID no thread has
	if _, err := m.LockPI(w, mem, wordA, false, tidA, false); err != unix.ESRCH {
		t.Fatalf("LockPI with a dead owner = %v, want ESRCH", err)
	}
	mem.store32(t, wordA, OwnerDied)
	if ok, _ := m.LockPI(w, mem, wordA, false, tidA, false); !ok || mem.load32(t, wordA) != OwnerDied|tidA {
		t.Fatalf("take-over keeps FUTEX_OWNER_DIED: word %#x", mem.load32(t, wordA))
	}
	// A FUTEX_WAIT waiter on a PI word makes PI operations EINVAL.
	mem.store32(t, wordB, tidA)
	m.Wait(w, mem, wordB, false, tidA, BitsetMatchAny)
	if err := m.UnlockPI(mem, wordB, false, tidA); err != unix.EINVAL {
		t.Fatalf("UnlockPI over a plain waiter = %v, want EINVAL", err)
	}
	m.Dequeue(w)
	if _, err := m.LockPI(w, mem, fakeBase-8, false, tidA, false); err != unix.EFAULT {
		t.Fatalf("LockPI of a bad address = %v", err)
	}
}

func TestWakeOfPIWaiterIsEINVAL(t *testing.T) {
	m, mem, w := NewManager(threads(tidA, tidB)), newFakeMemory(), NewWaiter()
	mem.store32(t, wordA, tidA)
	m.LockPI(w, mem, wordA, false, tidB, false)
	if _, err := m.Wake(mem, wordA, false, 1, BitsetMatchAny); err != unix.EINVAL {
		t.Fatalf("FUTEX_WAKE of a PI waiter = %v, want EINVAL", err)
	}
	m.Dequeue(w)
	if m.piWaiters.Load() != 0 {
		t.Fatalf("piWaiters = %d after the waiter left", m.piWaiters.Load())
	}
}

func TestRequeuePI(t *testing.T) {
	m, mem := NewManager(threads(tidA, tidB, tidC)), newFakeMemory()
	const cond, mutex = wordA, wordB
	wb, wc := NewWaiter(), NewWaiter()
	if err := m.WaitRequeuePI(wb, mem, cond, cond, false, 0, tidB); err != unix.EINVAL {
		t.Fatalf("WAIT_REQUEUE_PI on one word = %v", err)
	}
	m.WaitRequeuePI(wb, mem, cond, mutex, false, 0, tidB)
	m.WaitRequeuePI(wc, mem, cond, mutex, false, 0, tidC)
	if _, err := m.CmpRequeuePI(mem, cond, mutex, false, 2, 1, 0); err != unix.EINVAL {
		t.Fatalf("CMP_REQUEUE_PI waking 2 = %v", err)
	}
	if _, err := m.CmpRequeuePI(mem, cond, mutex, false, 1, 1, 5); err != unix.EAGAIN {
		t.Fatalf("CMP_REQUEUE_PI with a changed word = %v", err)
	}
	if _, err := m.Wake(mem, cond, false, 1, BitsetMatchAny); err != unix.EINVAL {
		t.Fatalf("FUTEX_WAKE of a requeue-PI waiter = %v", err)
	}
	// The mutex is free: B takes it at once, C is moved onto it.
	n, err := m.CmpRequeuePI(mem, cond, mutex, false, 1, 1, 0)
	if err != nil || n != 2 {
		t.Fatalf("CMP_REQUEUE_PI = %d, %v; want 2", n, err)
	}
	if !m.Dequeue(wb) || mem.load32(t, mutex) != tidB|Waiters {
		t.Fatalf("B does not own the mutex: word %#x", mem.load32(t, mutex))
	}
	if !wc.Queued() {
		t.Fatal("C left its queue")
	}
	if err := m.UnlockPI(mem, mutex, false, tidB); err != nil {
		t.Fatal(err)
	}
	if !m.Dequeue(wc) || !wc.Requeued() || mem.load32(t, mutex) != tidC|Waiters {
		t.Fatalf("C was not handed the mutex: word %#x", mem.load32(t, mutex))
	}
}

func TestRequeuePIOntoHeldMutex(t *testing.T) {
	m, mem := NewManager(threads(tidA, tidB)), newFakeMemory()
	mem.store32(t, wordB, tidA)
	wb := NewWaiter()
	m.WaitRequeuePI(wb, mem, wordA, wordB, false, 0, tidB)
	// Held by A: nobody wakes, B (one more than nRequeue=0) is moved.
	if n, err := m.CmpRequeuePI(mem, wordA, wordB, false, 1, 0, 0); err != nil || n != 1 {
		t.Fatalf("CMP_REQUEUE_PI = %d, %v; want 1 moved", n, err)
	}
	if mem.load32(t, wordB) != tidA|Waiters {
		t.Fatalf("word = %#x, want FUTEX_WAITERS set", mem.load32(t, wordB))
	}
	// Leaving after the move (a signal) says so.
	if m.Dequeue(wb) || !wb.Requeued() {
		t.Fatal("a timed-out requeued waiter should be not woken, requeued")
	}
}
