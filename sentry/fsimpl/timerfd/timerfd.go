// Package timerfd implements timerfd_create(2) files: a timer on one of
// the kernel's clocks whose expirations a read collects (fs/timerfd.c).
// The clock is given by the caller as a function, the same one
// clock_gettime reads, so that timers and clocks agree; expiry is driven
// by a Go timer on the host's monotonic clock.
//
// Locking: TimerFD.mu guards the timer's state; the wait queue is
// notified under it (a leaf below it).
package timerfd

import (
	"encoding/binary"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// Clock returns a clock's current time in nanoseconds.
type Clock func() int64

// Spec is struct itimerspec in nanoseconds: Value is the time to the next
// expiry (0: disarmed), Interval the period (0: one-shot).
type Spec struct {
	Interval int64
	Value    int64
}

// tfdIocSetTicks is TFD_IOC_SET_TICKS, _IOW('T', 0, u64).
const tfdIocSetTicks = 0x40085400

// TimerFD is an open timerfd.
type TimerFD struct {
	vfs.WaitQueue

	// now reads the timer's clock. Immutable.
	now Clock
	// nonBlock mirrors the description's O_NONBLOCK.
	nonBlock atomic.Bool

	mu sync.Mutex
	// next is the clock time of the next expiry; 0 when disarmed.
	next int64
	// interval is the period, 0 for a one-shot timer.
	interval int64
	// ticks are the expirations no read has taken yet.
	ticks uint64
	// timer fires at next; nil when disarmed.
	timer *time.Timer
	// gen counts settings, so that a stale timer callback does nothing.
	gen uint64
}

var (
	_ vfs.FileImpl            = (*TimerFD)(nil)
	_ vfs.Waitable            = (*TimerFD)(nil)
	_ vfs.FileStater          = (*TimerFD)(nil)
	_ vfs.FileNamer           = (*TimerFD)(nil)
	_ vfs.StatusFlagsObserver = (*TimerFD)(nil)
)

// New returns a disarmed timer on clock now.
func New(now Clock) *TimerFD { return &TimerFD{now: now} }

// SetTime implements timerfd_settime(2): it arms the timer with s (Value
// an absolute clock time if abs, else relative to now; 0 disarms), resets
// the uncollected expirations and returns the old setting.
func (tf *TimerFD) SetTime(s Spec, abs bool) Spec {
	tf.mu.Lock()
	defer tf.mu.Unlock()
	now := tf.now()
	tf.advanceLocked(now)
	old := tf.specLocked(now)
	tf.stopLocked()
	tf.ticks = 0
	tf.interval = s.Interval
	if s.Value == 0 {
		return old
	}
	tf.next = s.Value
	if !abs {
		tf.next = now + s.Value
	}
	tf.advanceLocked(now)
	tf.armLocked(now)
	return old
}

// GetTime implements timerfd_gettime(2). Like a read, it restarts an
// expired interval timer.
func (tf *TimerFD) GetTime() Spec {
	tf.mu.Lock()
	defer tf.mu.Unlock()
	now := tf.restartLocked()
	return tf.specLocked(now)
}

// restartLocked counts the expirations up to now and, if the timer
// stopped at an expiry, starts it again for the next one; it returns now.
// Preconditions: tf.mu is held.
func (tf *TimerFD) restartLocked() int64 {
	now := tf.now()
	tf.advanceLocked(now)
	if tf.timer == nil {
		tf.armLocked(now)
	}
	return now
}

// specLocked returns the current setting, relative to now.
// Preconditions: tf.mu is held; advanceLocked(now) ran.
func (tf *TimerFD) specLocked(now int64) Spec {
	if tf.next == 0 {
		return Spec{Interval: tf.interval}
	}
	return Spec{Interval: tf.interval, Value: max(tf.next-now, 1)}
}

// advanceLocked counts the expirations up to now, moving next past them
// (or disarming a one-shot timer), and wakes readers if there were any.
// Preconditions: tf.mu is held.
func (tf *TimerFD) advanceLocked(now int64) {
	if tf.next == 0 || now < tf.next {
		return
	}
	n := uint64(1)
	if tf.interval > 0 {
		n += uint64((now - tf.next) / tf.interval)
		tf.next += int64(n) * tf.interval
	} else {
		tf.next = 0
	}
	tf.ticks += n
	tf.Notify(linux.POLLIN | linux.POLLRDNORM)
}

// armLocked starts a Go timer for next, unless disarmed.
// Preconditions: tf.mu is held.
func (tf *TimerFD) armLocked(now int64) {
	tf.timer = nil
	if tf.next == 0 {
		return
	}
	gen := tf.gen
	tf.timer = time.AfterFunc(time.Duration(tf.next-now), func() { tf.fire(gen) })
}

// stopLocked disarms the timer.
// Preconditions: tf.mu is held.
func (tf *TimerFD) stopLocked() {
	if tf.timer != nil {
		tf.timer.Stop()
		tf.timer = nil
	}
	tf.gen++
	tf.next, tf.interval = 0, 0
}

// fire runs when the Go timer expires. The timer then stays stopped until
// a read or gettime restarts it, as Linux's timerfd: expirations in
// between are counted then, and make no further wake-ups.
func (tf *TimerFD) fire(gen uint64) {
	tf.mu.Lock()
	defer tf.mu.Unlock()
	if gen != tf.gen {
		return
	}
	now := tf.now()
	tf.advanceLocked(now)
	if tf.ticks == 0 {
		tf.armLocked(now) // early: the clock is not there yet
	} else {
		tf.timer = nil
	}
}

// Read implements vfs.FileImpl.Read: the expirations since the last read,
// 8 bytes (EINVAL for a shorter buffer); waits for one (EAGAIN if
// non-blocking).
func (tf *TimerFD) Read(ctx vfs.Context, dst []byte, _ int64) (int, error) {
	if len(dst) < 8 {
		return 0, unix.EINVAL
	}
	var w *vfs.WaitEntry
	defer func() {
		if w != nil {
			tf.EventUnregister(w)
		}
	}()
	for {
		tf.mu.Lock()
		tf.restartLocked()
		if n := tf.ticks; n > 0 {
			tf.ticks = 0
			tf.mu.Unlock()
			binary.LittleEndian.PutUint64(dst, n)
			return 8, nil
		}
		tf.mu.Unlock()
		if tf.nonBlock.Load() {
			return 0, unix.EAGAIN
		}
		if w == nil {
			w = vfs.NewWaitEntry(linux.POLLIN)
			tf.EventRegister(w)
			continue
		}
		if err := ctx.Block(w.C); err != nil {
			return 0, err
		}
	}
}

// Write implements vfs.FileImpl.Write: timerfds are not writable.
func (*TimerFD) Write(vfs.Context, []byte, int64) (int, error) { return 0, unix.EINVAL }

// Readiness implements vfs.FileImpl: readable once it expired.
func (tf *TimerFD) Readiness(mask uint32) uint32 {
	tf.mu.Lock()
	defer tf.mu.Unlock()
	if tf.ticks > 0 {
		return mask & (linux.POLLIN | linux.POLLRDNORM)
	}
	return 0
}

// Ioctl implements vfs.FileImpl: TFD_IOC_SET_TICKS sets the uncollected
// expirations (EINVAL for 0).
func (tf *TimerFD) Ioctl(_ vfs.Context, io vfs.IO, cmd uint32, arg uintptr) (uintptr, error) {
	if cmd != tfdIocSetTicks {
		return 0, unix.ENOTTY
	}
	var b [8]byte
	if _, err := io.CopyIn(arg, b[:]); err != nil {
		return 0, err
	}
	n := binary.LittleEndian.Uint64(b[:])
	if n == 0 {
		return 0, unix.EINVAL
	}
	tf.mu.Lock()
	tf.ticks = n
	tf.Notify(linux.POLLIN | linux.POLLRDNORM)
	tf.mu.Unlock()
	return 0, nil
}

// SetStatusFlags implements vfs.StatusFlagsObserver.
func (tf *TimerFD) SetStatusFlags(flags uint32) { tf.nonBlock.Store(flags&unix.O_NONBLOCK != 0) }

// Seekable implements vfs.FileImpl.
func (*TimerFD) Seekable() bool { return false }

// Release implements vfs.FileImpl: the timer stops.
func (tf *TimerFD) Release() {
	tf.mu.Lock()
	tf.stopLocked()
	tf.mu.Unlock()
}

// Stat implements vfs.FileStater.
func (*TimerFD) Stat(vfs.Context) (vfs.Attr, error) { return vfs.AnonAttr(), nil }

// Name implements vfs.FileNamer.
func (*TimerFD) Name() string { return "anon_inode:[timerfd]" }
