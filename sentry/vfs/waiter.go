package vfs

import (
	"sync"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
)

// WaitEntry is one waiter registered with a Waitable file. C must be
// buffered (capacity >= 1): notifications never block, and one pending
// signal is enough to wake the waiter, which then re-checks Readiness.
type WaitEntry struct {
	Mask uint32
	C    chan struct{}
}

// NewWaitEntry returns an entry for mask with a fresh channel.
func NewWaitEntry(mask uint32) *WaitEntry {
	return &WaitEntry{Mask: mask, C: make(chan struct{}, 1)}
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

// Notify wakes every entry waiting for an event in mask.
func (q *WaitQueue) Notify(mask uint32) {
	q.mu.Lock()
	for e := range q.entries {
		if e.Mask&mask != 0 {
			select {
			case e.C <- struct{}{}:
			default:
			}
		}
	}
	q.mu.Unlock()
}

// EventReadable and EventWritable are what "ready for reading" and "ready
// for writing" mean to poll and select.
const (
	EventReadable = linux.POLLIN | linux.POLLRDNORM
	EventWritable = linux.POLLOUT | linux.POLLWRNORM
)
