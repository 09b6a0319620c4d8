// Package futex owns the sentry's futex wait queues: which waiter sleeps on
// which futex word, and every operation that wakes, requeues or hands a
// futex from one thread to another (Linux's kernel/futex). It knows nothing
// of tasks or system calls: a caller queues a Waiter, blocks on the
// Waiter's channel however it blocks (the kernel blocks through its task,
// so signals and kill interrupt), and then asks the Manager whether it was
// woken. Application memory is reached only through Memory (the memory
// manager), which answers EFAULT for bad addresses.
//
// Keys. A futex is named by a Key: a private futex (FUTEX_PRIVATE_FLAG)
// by its address space and address; a shared one in private memory by the
// same pair, but as a different kind (Linux's FUT_OFF_MMSHARED, so a
// private and a shared operation on one word never meet); a shared one in
// MAP_SHARED anonymous memory by its offset in the memory file, which
// fork keeps; a shared one in a file mapping by the file and offset. The
// memory manager makes keys (mm.MemoryManager.FutexKey).
//
// Locking. Waiters are queued in one of a fixed number of buckets chosen
// by a hash of the key, each with its own mutex: there is no global lock.
// An operation on two keys (requeue, wake_op) locks both buckets, the
// lower-numbered first. Memory is read and compared-and-swapped with the
// bucket locks held, so a waiter's check of the word and its queueing are
// atomic against a waker's store and wake (Linux's hb->lock): bucket.mu
// comes before the memory manager's lock, which never calls back here. A
// Waiter's queue links and result are guarded by the lock of the bucket
// it is queued in; which bucket that is (Waiter.bucket) is atomic so that
// the waiter can find it after a requeue.
package futex

import (
	"sync"
	"sync/atomic"
)

// Futex word bits (Linux's FUTEX_WAITERS, FUTEX_OWNER_DIED, FUTEX_TID_MASK).
const (
	Waiters   = 0x80000000
	OwnerDied = 0x40000000
	TIDMask   = 0x3fffffff
)

// BitsetMatchAny is the bitset of FUTEX_WAIT and FUTEX_WAKE.
const BitsetMatchAny = ^uint32(0)

// KeyKind says what a Key's object and offset mean.
type KeyKind uint8

// Key kinds.
const (
	// KindPrivate: a FUTEX_PRIVATE_FLAG futex; Object is the address
	// space, Offset the address.
	KindPrivate KeyKind = iota + 1
	// KindPrivateMemory: a shared futex in private memory; as
	// KindPrivate, but distinct from it.
	KindPrivateMemory
	// KindSharedMemory: MAP_SHARED anonymous memory; Offset is the
	// memory-file offset, Object nil.
	KindSharedMemory
	// KindSharedFile: a MAP_SHARED file mapping; Object is the file,
	// Offset the file offset.
	KindSharedFile
)

// Key names a futex word. Keys are compared with ==; Object must be a
// pointer (or nil).
type Key struct {
	Kind   KeyKind
	Object any
	Offset uint64
}

// Memory is an address space as futexes need it. Addresses are 4-byte
// aligned (the caller checks). mm.MemoryManager implements it.
type Memory interface {
	// LoadUint32 atomically reads the word at addr (EFAULT if it is not
	// readable).
	LoadUint32(addr uintptr) (uint32, error)
	// CompareAndSwapUint32 atomically replaces the word at addr with new
	// if it holds old, and returns what it held (EFAULT if it is not
	// writable).
	CompareAndSwapUint32(addr uintptr, old, new uint32) (uint32, error)
	// CopyIn copies len(dst) bytes from addr.
	CopyIn(addr uintptr, dst []byte) (int, error)
	// FutexKey returns the key of the futex at addr.
	FutexKey(addr uintptr, private bool) (Key, error)
}

// numBuckets is the number of wait-queue buckets (a power of two).
const numBuckets = 256

// bucket is one hash chain of waiters.
type bucket struct {
	mu sync.Mutex
	// head and tail delimit the queue, oldest first; guarded by mu.
	head, tail *Waiter
	// index is the bucket's place in Manager.buckets (the lock order).
	index int
	// Pads buckets apart so two CPUs do not share a cache line.
	_ [32]byte
}

// Manager is a set of futex wait queues: one per kernel.
type Manager struct {
	buckets [numBuckets]bucket
	// piWaiters counts waiters blocked in LOCK_PI (or requeued onto a PI
	// futex), so that a thread's exit looks for PI waiters on its locks
	// only when there may be any.
	piWaiters atomic.Int64
	// alive says whether a PI futex owner exists. Immutable.
	alive ThreadAlive
}

// NewManager returns a Manager with no waiters; alive says whether an
// owner TID names a live thread.
func NewManager(alive ThreadAlive) *Manager {
	m := &Manager{alive: alive}
	for i := range m.buckets {
		m.buckets[i].index = i
	}
	return m
}

// bucketOf returns the bucket of k.
func (m *Manager) bucketOf(k *Key) *bucket {
	h := k.Offset ^ uint64(k.Kind)<<56
	// A 64-bit finaliser (murmur3's fmix64): every key bit moves the index.
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	return &m.buckets[h&(numBuckets-1)]
}

// lockTwo locks a and b (once if they are the same), in address order.
func lockTwo(a, b *bucket) {
	if a == b {
		a.mu.Lock()
		return
	}
	if a.index > b.index {
		a, b = b, a
	}
	a.mu.Lock()
	b.mu.Lock()
}

// unlockTwo undoes lockTwo.
func unlockTwo(a, b *bucket) {
	a.mu.Unlock()
	if a != b {
		b.mu.Unlock()
	}
}

// waiterKind says how a waiter waits.
type waiterKind uint8

const (
	// waitNormal: FUTEX_WAIT, WAIT_BITSET, futex_waitv.
	waitNormal waiterKind = iota
	// waitPI: LOCK_PI, LOCK_PI2, or a requeue-PI waiter after requeueing.
	waitPI
	// waitRequeuePI: WAIT_REQUEUE_PI before its requeue.
	waitRequeuePI
)

// Waiter is one thread waiting on one futex. A task keeps one and reuses
// it for every wait, so that waiting does not allocate.
type Waiter struct {
	// ch receives a token when the waiter is woken (or its timer fires:
	// the owner's business). Capacity 1; shared by the waiters of one
	// futex_waitv.
	ch chan struct{}

	// bucket is the bucket the waiter is queued in, nil when not queued.
	bucket atomic.Pointer[bucket]

	// Guarded by bucket.mu while queued; the owner's otherwise.
	prev, next *Waiter
	key        Key
	bitset     uint32
	kind       waiterKind
	// tid is the waiting thread's ID (PI ownership).
	tid uint32
	// requeuePIKey is where a waitRequeuePI waiter may be requeued to.
	requeuePIKey Key
	// owned says the waiter was handed the PI futex it waits for (set
	// before it is dequeued).
	owned bool
	// woken says a waker dequeued the waiter (as opposed to the waiter
	// leaving by itself).
	woken bool
	// index is the waiter's position in a futex_waitv vector.
	index int
}

// NewWaiter returns a waiter with its own wake-up channel.
func NewWaiter() *Waiter { return &Waiter{ch: make(chan struct{}, 1)} }

// C returns the channel that receives when the waiter may have been woken.
func (w *Waiter) C() <-chan struct{} { return w.ch }

// Notify sends the waiter a token without waking it (a timer firing).
func (w *Waiter) Notify() { notify(w.ch) }

// drain empties the waiter's channel of a stale token.
func (w *Waiter) drain() {
	select {
	case <-w.ch:
	default:
	}
}

func notify(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// enqueueLocked appends w to b's queue.
// Preconditions: b.mu is held; w is not queued.
func (b *bucket) enqueueLocked(w *Waiter) {
	w.prev, w.next = b.tail, nil
	if b.tail != nil {
		b.tail.next = w
	} else {
		b.head = w
	}
	b.tail = w
	w.bucket.Store(b)
}

// removeLocked unlinks w from b's queue.
// Preconditions: b.mu is held; w is queued in b.
func (b *bucket) removeLocked(w *Waiter) {
	if w.prev != nil {
		w.prev.next = w.next
	} else {
		b.head = w.next
	}
	if w.next != nil {
		w.next.prev = w.prev
	} else {
		b.tail = w.prev
	}
	w.prev, w.next = nil, nil
	w.bucket.Store(nil)
}

// wakeLocked dequeues w and sends it its token.
// Preconditions: b.mu is held; w is queued in b.
func (m *Manager) wakeLocked(b *bucket, w *Waiter) {
	if w.kind == waitPI {
		m.piWaiters.Add(-1)
	}
	w.woken = true
	b.removeLocked(w)
	notify(w.ch)
}

// firstLocked returns the oldest waiter on k in b, or nil.
// Preconditions: b.mu is held.
func (b *bucket) firstLocked(k *Key) *Waiter {
	for w := b.head; w != nil; w = w.next {
		if w.key == *k {
			return w
		}
	}
	return nil
}

// hasOtherLocked says whether b holds a waiter on k other than not.
// Preconditions: b.mu is held.
func (b *bucket) hasOtherLocked(k *Key, not *Waiter) bool {
	for w := b.head; w != nil; w = w.next {
		if w != not && w.key == *k {
			return true
		}
	}
	return false
}

// lockQueued locks the bucket w is queued in and returns it, or returns
// nil (nothing locked) if w is not queued. A concurrent requeue may move
// w; the loop follows it.
func lockQueued(w *Waiter) *bucket {
	for {
		b := w.bucket.Load()
		if b == nil {
			return nil
		}
		b.mu.Lock()
		if w.bucket.Load() == b {
			return b
		}
		b.mu.Unlock()
	}
}

// Dequeue ends a wait: if w is still queued (its wait timed out or was
// interrupted) it leaves the queue and Dequeue returns false; if a waker
// dequeued it, Dequeue returns true.
func (m *Manager) Dequeue(w *Waiter) (woken bool) {
	if b := lockQueued(w); b != nil {
		if w.kind == waitPI {
			m.piWaiters.Add(-1)
		}
		b.removeLocked(w)
		b.mu.Unlock()
		return false
	}
	return w.woken
}

// Queued says whether w is still waiting (not yet woken).
func (w *Waiter) Queued() bool { return w.bucket.Load() != nil }
