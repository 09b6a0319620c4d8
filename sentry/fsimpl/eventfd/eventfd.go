// Package eventfd implements eventfd(2) files: a 64-bit counter that
// write adds to and read takes (all of it, or one with EFD_SEMAPHORE),
// with Linux's blocking, EAGAIN and readiness rules (fs/eventfd.c).
//
// Locking: EventFD.mu guards the counter; it is held while the wait
// queue is notified (a leaf below it: waiters only signal channels or
// queue epoll items).
package eventfd

import (
	"encoding/binary"
	"math"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// maxCount is the largest value the counter holds (ULLONG_MAX - 1).
const maxCount = math.MaxUint64 - 1

// EventFD is an open eventfd.
type EventFD struct {
	vfs.WaitQueue

	// semaphore is EFD_SEMAPHORE. Immutable.
	semaphore bool
	// nonBlock mirrors the description's O_NONBLOCK.
	nonBlock atomic.Bool

	mu    sync.Mutex
	count uint64
}

var (
	_ vfs.FileImpl            = (*EventFD)(nil)
	_ vfs.Waitable            = (*EventFD)(nil)
	_ vfs.FileStater          = (*EventFD)(nil)
	_ vfs.FileNamer           = (*EventFD)(nil)
	_ vfs.StatusFlagsObserver = (*EventFD)(nil)
)

// New returns an eventfd whose counter starts at initval.
func New(initval uint64, semaphore bool) *EventFD {
	return &EventFD{count: initval, semaphore: semaphore}
}

// Read implements vfs.FileImpl.Read: an 8-byte counter value (EINVAL for
// a shorter buffer); waits while the counter is 0 (EAGAIN if
// non-blocking).
func (e *EventFD) Read(ctx vfs.Context, dst []byte, _ int64) (int, error) {
	if len(dst) < 8 {
		return 0, unix.EINVAL
	}
	v, err := e.waitFor(ctx, linux.POLLIN, func() bool { return e.count > 0 }, func() uint64 {
		v := e.count
		if e.semaphore {
			v = 1
		}
		e.count -= v
		return v
	})
	if err != nil {
		return 0, err
	}
	binary.LittleEndian.PutUint64(dst, v)
	return 8, nil
}

// Write implements vfs.FileImpl.Write: adds an 8-byte value (EINVAL for a
// buffer of another size, as since Linux 6.6, or for 0xffffffffffffffff);
// waits while the sum would exceed 0xfffffffffffffffe (EAGAIN if
// non-blocking).
func (e *EventFD) Write(ctx vfs.Context, src []byte, _ int64) (int, error) {
	if len(src) != 8 {
		return 0, unix.EINVAL
	}
	v := binary.LittleEndian.Uint64(src)
	if v == math.MaxUint64 {
		return 0, unix.EINVAL
	}
	_, err := e.waitFor(ctx, linux.POLLOUT, func() bool { return maxCount-e.count >= v }, func() uint64 {
		e.count += v
		return 0
	})
	if err != nil {
		return 0, err
	}
	return 8, nil
}

// waitFor runs act under e.mu once ready() holds, waiting for events
// until then, and wakes the waiters of the other direction if act
// changed the counter.
func (e *EventFD) waitFor(ctx vfs.Context, events uint32, ready func() bool, act func() uint64) (uint64, error) {
	var w *vfs.WaitEntry
	defer func() {
		if w != nil {
			e.EventUnregister(w)
		}
	}()
	for {
		e.mu.Lock()
		if ready() {
			before := e.count
			v := act()
			if e.count != before {
				e.Notify(e.readinessLocked())
			}
			e.mu.Unlock()
			return v, nil
		}
		e.mu.Unlock()
		if e.nonBlock.Load() {
			return 0, unix.EAGAIN
		}
		if w == nil {
			// Register, then check again so no wake-up is lost.
			w = vfs.NewWaitEntry(events)
			e.EventRegister(w)
			continue
		}
		if err := ctx.Block(w.C); err != nil {
			return 0, err
		}
	}
}

// readinessLocked returns the poll events of the counter's value, as
// Linux's eventfd_poll.
// Preconditions: e.mu is held.
func (e *EventFD) readinessLocked() uint32 {
	var ev uint32
	if e.count > 0 {
		ev |= linux.POLLIN
	}
	if e.count == math.MaxUint64 {
		ev |= linux.POLLERR
	}
	if e.count < maxCount {
		ev |= linux.POLLOUT
	}
	return ev
}

// Readiness implements vfs.FileImpl.
func (e *EventFD) Readiness(mask uint32) uint32 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.readinessLocked() & (mask | linux.POLLERR | linux.POLLHUP)
}

// Count returns the counter (for /proc/[pid]/fdinfo's eventfd-count).
func (e *EventFD) Count() uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.count
}

// SetStatusFlags implements vfs.StatusFlagsObserver.
func (e *EventFD) SetStatusFlags(flags uint32) { e.nonBlock.Store(flags&unix.O_NONBLOCK != 0) }

// Seekable implements vfs.FileImpl.
func (*EventFD) Seekable() bool { return false }

// Ioctl implements vfs.FileImpl: eventfds have no ioctls.
func (*EventFD) Ioctl(vfs.Context, vfs.IO, uint32, uintptr) (uintptr, error) {
	return 0, unix.ENOTTY
}

// Release implements vfs.FileImpl.
func (*EventFD) Release() {}

// Stat implements vfs.FileStater: the anonymous inode's attributes.
func (*EventFD) Stat(vfs.Context) (vfs.Attr, error) { return vfs.AnonAttr(), nil }

// Name implements vfs.FileNamer.
func (*EventFD) Name() string { return "anon_inode:[eventfd]" }
