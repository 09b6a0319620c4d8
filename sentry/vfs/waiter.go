package vfs

import "sync"

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

// Poll events, as in poll(2) (and the low bits of epoll).
const (
	EventIn     = 0x1
	EventPri    = 0x2
	EventOut    = 0x4
	EventErr    = 0x8
	EventHUp    = 0x10
	EventNVal   = 0x20
	EventRdNorm = 0x40
	EventRdBand = 0x80
	EventWrNorm = 0x100
	EventWrBand = 0x200
	EventRdHUp  = 0x2000

	// EventReadable and EventWritable are what "ready for reading" and
	// "ready for writing" mean to poll and select.
	EventReadable = EventIn | EventRdNorm
	EventWritable = EventOut | EventWrNorm
)
