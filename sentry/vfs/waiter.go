package vfs

import (
	"sync"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
)

// WaitEntry is one waiter registered with a Waitable file. Either C is set
// and buffered (capacity >= 1): notifications never block, and one pending
// signal is enough to wake the waiter, which then re-checks Readiness; or
// Callback is set and is called instead (epoll's ep_poll_callback role).
type WaitEntry struct {
	Mask uint32
	C    chan struct{}

	// Callback, if set, is called with the events of a notification that
	// match Mask, under the queue's lock: it must not block, call back
	// into the file or register entries. It returns whether it woke
	// someone, which only matters for Exclusive entries.
	Callback func(events uint32) bool
	// Exclusive entries (EPOLLEXCLUSIVE) are woken one per notification:
	// every non-exclusive entry is woken, then exclusive ones until one
	// reports a wake-up, as Linux's __wake_up_common with nr_exclusive 1.
	Exclusive bool
}

// NewWaitEntry returns an entry for mask with a fresh channel.
func NewWaitEntry(mask uint32) *WaitEntry {
	return &WaitEntry{Mask: mask, C: make(chan struct{}, 1)}
}

// Notify wakes the entry's waiter for events (already filtered by Mask)
// and reports whether it woke one.
func (e *WaitEntry) Notify(events uint32) bool {
	if e.Callback != nil {
		return e.Callback(events)
	}
	select {
	case e.C <- struct{}{}:
	default:
	}
	return true
}

// WaitQueue is a set of WaitEntries; embed it in a file to implement
// Waitable and call Notify when readiness changes. The zero value is ready.
type WaitQueue struct {
	mu      sync.Mutex
	entries map[*WaitEntry]struct{}
}

// EventRegister implements Waitable.
func (q *WaitQueue) EventRegister(e *WaitEntry) {
	q.mu.Lock()
	if q.entries == nil {
		q.entries = make(map[*WaitEntry]struct{})
	}
	q.entries[e] = struct{}{}
	q.mu.Unlock()
}

// EventUnregister implements Waitable.
func (q *WaitQueue) EventUnregister(e *WaitEntry) {
	q.mu.Lock()
	delete(q.entries, e)
	q.mu.Unlock()
}

// alwaysNotified are the events every waiter hears of, as poll and epoll
// always report them.
const alwaysNotified = linux.POLLERR | linux.POLLHUP

// Notify wakes every entry waiting for an event in mask (POLLERR and
// POLLHUP reach every entry), and at most one exclusive entry.
func (q *WaitQueue) Notify(mask uint32) {
	q.mu.Lock()
	exclusiveWoken := false
	for e := range q.entries {
		ev := mask & (e.Mask | alwaysNotified)
		if ev == 0 || (e.Exclusive && exclusiveWoken) {
			continue
		}
		if e.Notify(ev) && e.Exclusive {
			exclusiveWoken = true
		}
	}
	q.mu.Unlock()
}

// HasWaiters reports whether any entry is registered.
func (q *WaitQueue) HasWaiters() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.entries) > 0
}

// EventReadable and EventWritable are what "ready for reading" and "ready
// for writing" mean to poll and select.
const (
	EventReadable = linux.POLLIN | linux.POLLRDNORM
	EventWritable = linux.POLLOUT | linux.POLLWRNORM
)
