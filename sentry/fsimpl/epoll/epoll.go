// Package epoll implements epoll(7) instances as Linux's fs/eventpoll.c
// does: a set of registrations (items) keyed by (file description, fd
// number), each hooked into its file's wait queue by a callback that
// puts it on a ready list; epoll_wait then asks each listed file for
// its readiness and reports it level-triggered (the item stays listed),
// edge-triggered (listed again only by the file's next notification)
// or one-shot (disarmed until EPOLL_CTL_MOD). Nothing polls: waiters
// sleep until a callback wakes them. An epoll instance is itself a
// waitable file, so instances nest (at most 5 deep, never in a cycle).
//
// A registration holds no reference on its file: it goes when the
// file's description is released for the last time (vfs.ReleaseWatcher),
// as on Linux, so closing one of several descriptors of a file keeps it.
//
// Lock order, outermost first:
//
//	EventPoll.mu        items and their fields (Linux's ep->mtx); held
//	                    while files' Readiness and EventRegister run, so
//	                    an outer instance's mu comes before an inner's
//	nestMu              (global) the nesting graph of instances; only
//	                    EPOLL_CTL_ADD of an epoll and removals of such
//	                    items take it
//	file wait queues    their callbacks run under them and take only:
//	EventPoll.readyMu   the ready list (Linux's ep->lock), a leaf
//	EventPoll.WaitQueue the instance's waiters (after readyMu is dropped)
package epoll

import (
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// Event is struct epoll_event.
type Event struct {
	Events uint32
	Data   uint64
}

// privateBits are the flags of an item's events that are not poll
// events; an item with nothing but these is disarmed.
const privateBits = linux.EPOLLWAKEUP | linux.EPOLLONESHOT | linux.EPOLLET | linux.EPOLLEXCLUSIVE

// exclusiveOKBits are the events an EPOLLEXCLUSIVE registration may ask
// for (Linux's EPOLLEXCLUSIVE_OK_BITS).
const exclusiveOKBits = linux.POLLIN | linux.POLLOUT | linux.POLLERR | linux.POLLHUP |
	linux.EPOLLWAKEUP | linux.EPOLLET | linux.EPOLLEXCLUSIVE

// alwaysReported are reported whether asked for or not.
const alwaysReported = linux.POLLERR | linux.POLLHUP

// key names a registration: the description and the fd number it was
// added with.
type key struct {
	file *vfs.FileDescription
	fd   int32
}

// item is one registration.
type item struct {
	ep  *EventPoll
	key key

	// events are the requested events and flags, POLLERR|POLLHUP
	// included; stored under ep.mu, read by the callback atomically.
	events atomic.Uint32
	// data is returned verbatim. Guarded by ep.mu.
	data uint64
	// removed is set, under ep.mu, once the item is deleted; the ready
	// list may still name it.
	removed bool

	// entry is registered with the file's wait queue. Immutable.
	entry    vfs.WaitEntry
	waitable vfs.Waitable
	// inner is the file as an epoll instance, or nil. Immutable.
	inner *EventPoll

	// onReadyList is guarded by ep.readyMu.
	onReadyList bool
}

// EventPoll is an epoll instance, the FileImpl of an epoll description.
type EventPoll struct {
	// WaitQueue holds the instance's waiters: epoll_wait callers (one
	// woken per event) and outer instances or pollers watching it.
	vfs.WaitQueue

	mu     sync.Mutex
	items  map[key]*item
	closed bool

	readyMu sync.Mutex
	ready   []*item
	// spare is the other buffer of the ready list, reused by harvests.
	spare []*item

	// parents and children count the items linking this instance to
	// others (nest.go). Guarded by nestMu.
	parents, children map[*EventPoll]int
}

var (
	_ vfs.FileImpl       = (*EventPoll)(nil)
	_ vfs.Waitable       = (*EventPoll)(nil)
	_ vfs.FileStater     = (*EventPoll)(nil)
	_ vfs.FileNamer      = (*EventPoll)(nil)
	_ vfs.ReleaseWatcher = (*EventPoll)(nil)
)

// New returns an empty epoll instance.
func New() *EventPoll { return &EventPoll{items: make(map[key]*item)} }

// Of returns the epoll instance of a description, or nil if it is not one.
func Of(f *vfs.FileDescription) *EventPoll {
	ep, _ := f.Impl().(*EventPoll)
	return ep
}

// Ctl implements epoll_ctl(2) once the syscall layer has checked the
// descriptors: file, open as fd, can be polled and is not ep's own
// description. ev is ignored for EPOLL_CTL_DEL.
func (ep *EventPoll) Ctl(op int, file *vfs.FileDescription, fd int32, ev Event) error {
	inner := Of(file)
	if inner == ep {
		return unix.EINVAL
	}
	if (op == linux.EPOLL_CTL_ADD || op == linux.EPOLL_CTL_MOD) && ev.Events&linux.EPOLLEXCLUSIVE != 0 {
		if op == linux.EPOLL_CTL_MOD || inner != nil || ev.Events&^exclusiveOKBits != 0 {
			return unix.EINVAL
		}
	}
	ep.mu.Lock()
	defer ep.mu.Unlock()
	if ep.closed {
		return unix.EBADF
	}
	k := key{file, fd}
	it := ep.items[k]
	switch op {
	case linux.EPOLL_CTL_ADD:
		if it != nil {
			return unix.EEXIST
		}
		if inner != nil {
			if err := ep.linkLocked(inner); err != nil {
				return err
			}
		}
		return ep.insertLocked(k, inner, ev)
	case linux.EPOLL_CTL_MOD:
		if it == nil {
			return unix.ENOENT
		}
		if it.events.Load()&linux.EPOLLEXCLUSIVE != 0 {
			return unix.EINVAL
		}
		it.events.Store(ev.Events | alwaysReported)
		it.data = ev.Data
		ep.pollNewLocked(it)
		return nil
	case linux.EPOLL_CTL_DEL:
		if it == nil {
			return unix.ENOENT
		}
		ep.removeLocked(it)
		return nil
	}
	return unix.EINVAL
}

// insertLocked registers file (Linux's ep_insert) and reports it at once
// if it is ready.
// Preconditions: ep.mu is held; no item has k.
func (ep *EventPoll) insertLocked(k key, inner *EventPoll, ev Event) error {
	w, ok := k.file.Impl().(vfs.Waitable)
	if !ok {
		return unix.EPERM
	}
	it := &item{ep: ep, key: k, data: ev.Data, waitable: w, inner: inner}
	it.events.Store(ev.Events | alwaysReported)
	it.entry = vfs.WaitEntry{Mask: ^uint32(0), Callback: it.callback, Exclusive: ev.Events&linux.EPOLLEXCLUSIVE != 0}
	if !k.file.AddReleaseWatcher(ep) {
		if inner != nil {
			ep.unlinkLocked(inner)
		}
		return unix.EBADF
	}
	ep.items[k] = it
	w.EventRegister(&it.entry)
	ep.pollNewLocked(it)
	return nil
}

// pollNewLocked lists a new or changed item if its file is ready now, and
// wakes a waiter.
// Preconditions: ep.mu is held.
func (ep *EventPoll) pollNewLocked(it *item) {
	if it.readiness() != 0 && ep.addReady(it) {
		ep.Notify(linux.POLLIN)
	}
}

// removeLocked deletes an item (ep_remove). After it returns, the file
// no longer calls the item back.
// Preconditions: ep.mu is held.
func (ep *EventPoll) removeLocked(it *item) {
	it.removed = true
	delete(ep.items, it.key)
	it.waitable.EventUnregister(&it.entry)
	it.key.file.RemoveReleaseWatcher(ep)
	if it.inner != nil {
		ep.unlinkLocked(it.inner)
	}
}

// readiness asks the item's file which of its events are ready.
// Preconditions: ep.mu is held.
func (it *item) readiness() uint32 {
	events := it.events.Load()
	if events&^privateBits == 0 {
		return 0 // disarmed one-shot
	}
	mask := events&^privateBits | alwaysReported
	return it.key.file.Readiness(mask) & mask
}

// callback is the item's wake-up from its file (ep_poll_callback): it
// lists the item and wakes a waiter. It reports whether it woke one,
// which for EPOLLEXCLUSIVE items stops the file's wake-up there.
func (it *item) callback(ev uint32) bool {
	events := it.events.Load()
	if events&^privateBits == 0 || ev&events == 0 {
		return false
	}
	ep := it.ep
	ep.addReady(it)
	woke := true
	if events&linux.EPOLLEXCLUSIVE != 0 {
		// As Linux: an exclusive wake-up counts only if the instance
		// has a waiter and the event is one the item asked for.
		woke = ep.HasWaiters()
		switch in := ev & (linux.POLLIN | linux.POLLOUT); in {
		case linux.POLLIN, linux.POLLOUT:
			woke = woke && events&in != 0
		case 0:
		default:
			woke = false
		}
	}
	ep.Notify(linux.POLLIN | linux.POLLRDNORM)
	return woke
}

// addReady puts it on the ready list unless it is there; it reports
// whether it was added.
func (ep *EventPoll) addReady(it *item) bool {
	ep.readyMu.Lock()
	defer ep.readyMu.Unlock()
	if it.onReadyList {
		return false
	}
	it.onReadyList = true
	ep.ready = append(ep.ready, it)
	return true
}

// FileReleased implements vfs.ReleaseWatcher: every registration of the
// released description goes.
func (ep *EventPoll) FileReleased(f *vfs.FileDescription) {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	for k, it := range ep.items {
		if k.file == f {
			ep.removeLocked(it)
		}
	}
}

// Release implements vfs.FileImpl: the instance's registrations go.
func (ep *EventPoll) Release() {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	for _, it := range ep.items {
		ep.removeLocked(it)
	}
	ep.closed = true
}

// Readiness implements vfs.FileImpl: readable when a listed item is
// ready (ep_eventpoll_poll); items found not ready leave the list.
func (ep *EventPoll) Readiness(mask uint32) uint32 {
	if mask&(linux.POLLIN|linux.POLLRDNORM) == 0 {
		return 0
	}
	ep.mu.Lock()
	defer ep.mu.Unlock()
	ep.readyMu.Lock()
	list := ep.ready
	ep.readyMu.Unlock()
	// The list may grow while we look, never shrink: only holders of
	// ep.mu remove from it. Items before the first ready one that are
	// not ready leave it.
	ready := false
	keep := list[:0]
	for _, it := range list {
		if ready || !it.removed && it.readiness() != 0 {
			ready = true
			keep = append(keep, it)
			continue
		}
		ep.readyMu.Lock()
		it.onReadyList = false
		ep.readyMu.Unlock()
	}
	ep.readyMu.Lock()
	ep.ready = append(keep, ep.ready[len(list):]...)
	ep.readyMu.Unlock()
	if ready {
		return (linux.POLLIN | linux.POLLRDNORM) & mask
	}
	return 0
}

// Read implements vfs.FileImpl: epoll instances are not readable.
func (*EventPoll) Read(vfs.Context, []byte, int64) (int, error) { return 0, unix.EINVAL }

// Write implements vfs.FileImpl.
func (*EventPoll) Write(vfs.Context, []byte, int64) (int, error) { return 0, unix.EINVAL }

// Seekable implements vfs.FileImpl.
func (*EventPoll) Seekable() bool { return false }

// Ioctl implements vfs.FileImpl.
func (*EventPoll) Ioctl(vfs.Context, vfs.IO, uint32, uintptr) (uintptr, error) {
	return 0, unix.ENOTTY
}

// Stat implements vfs.FileStater.
func (*EventPoll) Stat(vfs.Context) (vfs.Attr, error) { return vfs.AnonAttr(), nil }

// Name implements vfs.FileNamer.
func (*EventPoll) Name() string { return "anon_inode:[eventpoll]" }
