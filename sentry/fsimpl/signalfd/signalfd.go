// Package signalfd implements signalfd(2) files: reading one takes
// pending signals of its mask, as struct signalfd_siginfo, instead of
// running their handlers (fs/signalfd.c).
//
// A read takes the reading thread's signals (its own, then its
// process's). Readiness, which poll and epoll ask without naming a
// thread, is that of the process that made the file, whose signal
// queue it waits on; Linux asks the polling thread's.
//
// Locking: the mask is atomic; signal state is the kernel's (sigMu).
package signalfd

import (
	"encoding/binary"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// InfoSize is sizeof(struct signalfd_siginfo).
const InfoSize = 128

// SignalFD is an open signalfd.
type SignalFD struct {
	// tg is the process that made the file. Immutable.
	tg *kernel.ThreadGroup
	// mask holds the signals the file takes (never SIGKILL or SIGSTOP).
	mask atomic.Uint64
	// nonBlock mirrors the description's O_NONBLOCK.
	nonBlock atomic.Bool
}

var (
	_ vfs.FileImpl            = (*SignalFD)(nil)
	_ vfs.Waitable            = (*SignalFD)(nil)
	_ vfs.FileStater          = (*SignalFD)(nil)
	_ vfs.FileNamer           = (*SignalFD)(nil)
	_ vfs.StatusFlagsObserver = (*SignalFD)(nil)
)

// New returns a signalfd of t's process for mask.
func New(t *kernel.Task, mask linux.SignalSet) *SignalFD {
	s := &SignalFD{tg: t.ThreadGroup()}
	s.SetMask(mask)
	return s
}

// SetMask replaces the signals the file takes (signalfd on an existing
// file); SIGKILL and SIGSTOP are dropped silently. Waiters re-check.
func (s *SignalFD) SetMask(mask linux.SignalSet) {
	s.mask.Store(uint64(mask &^ linux.UnblockableSignals))
	s.tg.SignalWaiters().Notify(linux.POLLIN)
}

func (s *SignalFD) sigmask() linux.SignalSet { return linux.SignalSet(s.mask.Load()) }

// Read implements vfs.FileImpl.Read: as many pending signals of the mask
// as fit, 128 bytes each (EINVAL if not even one fits); waits for the
// first (EAGAIN if non-blocking).
func (s *SignalFD) Read(ctx vfs.Context, dst []byte, _ int64) (int, error) {
	t, ok := ctx.(*kernel.Task)
	if !ok || len(dst) < InfoSize {
		return 0, unix.EINVAL
	}
	var w *vfs.WaitEntry
	defer func() {
		if w != nil {
			t.ThreadGroup().SignalWaiters().EventUnregister(w)
		}
	}()
	for {
		n := 0
		for n+InfoSize <= len(dst) {
			info, ok := t.DequeueSignal(s.sigmask())
			if !ok {
				break
			}
			encode(dst[n:n+InfoSize], &info)
			n += InfoSize
		}
		if n > 0 {
			return n, nil
		}
		if s.nonBlock.Load() {
			return 0, unix.EAGAIN
		}
		if w == nil {
			// Register, then look again so no signal is missed.
			w = vfs.NewWaitEntry(linux.POLLIN)
			t.ThreadGroup().SignalWaiters().EventRegister(w)
			continue
		}
		if err := ctx.Block(w.C); err != nil {
			return 0, err
		}
	}
}

// encode writes info as struct signalfd_siginfo, with the fields of its
// layout (Linux's signalfd_copyinfo).
func encode(b []byte, info *linux.SignalInfo) {
	clear(b)
	le := binary.LittleEndian
	le.PutUint32(b[0:], uint32(info.Signo))
	le.PutUint32(b[4:], uint32(info.Errno))
	le.PutUint32(b[8:], uint32(info.Code))
	sig := linux.Signal(info.Signo)
	switch {
	case info.Code > linux.SI_USER && info.Code < linux.SI_KERNEL && sig == linux.SIGCHLD:
		le.PutUint32(b[12:], uint32(info.PID))
		le.PutUint32(b[16:], info.UID)
		le.PutUint32(b[40:], uint32(info.Status))
	case info.Code > linux.SI_USER && info.Code < linux.SI_KERNEL &&
		(sig == linux.SIGSEGV || sig == linux.SIGBUS || sig == linux.SIGILL || sig == linux.SIGFPE || sig == linux.SIGTRAP):
		le.PutUint64(b[72:], info.Addr)
	case info.Code < 0: // sigqueue, tgkill, timers: SIL_RT
		le.PutUint32(b[12:], uint32(info.PID))
		le.PutUint32(b[16:], info.UID)
		le.PutUint64(b[48:], info.Value)
		le.PutUint32(b[44:], uint32(info.Value))
	default: // kill, the kernel: SIL_KILL
		le.PutUint32(b[12:], uint32(info.PID))
		le.PutUint32(b[16:], info.UID)
	}
}

// Readiness implements vfs.FileImpl: readable while a signal of the mask
// is pending for the process that made the file (its first thread's own
// or the process's).
func (s *SignalFD) Readiness(mask uint32) uint32 {
	if s.tg.Leader().PendingSignals()&s.sigmask() != 0 {
		return mask & (linux.POLLIN | linux.POLLRDNORM)
	}
	return 0
}

// EventRegister implements vfs.Waitable: signals queued to the process
// that made the file wake e.
func (s *SignalFD) EventRegister(e *vfs.WaitEntry) { s.tg.SignalWaiters().EventRegister(e) }

// EventUnregister implements vfs.Waitable.
func (s *SignalFD) EventUnregister(e *vfs.WaitEntry) { s.tg.SignalWaiters().EventUnregister(e) }

// Write implements vfs.FileImpl: signalfds are not writable.
func (*SignalFD) Write(vfs.Context, []byte, int64) (int, error) { return 0, unix.EINVAL }

// SetStatusFlags implements vfs.StatusFlagsObserver.
func (s *SignalFD) SetStatusFlags(flags uint32) { s.nonBlock.Store(flags&unix.O_NONBLOCK != 0) }

// Seekable implements vfs.FileImpl.
func (*SignalFD) Seekable() bool { return false }

// Ioctl implements vfs.FileImpl.
func (*SignalFD) Ioctl(vfs.Context, vfs.IO, uint32, uintptr) (uintptr, error) {
	return 0, unix.ENOTTY
}

// Release implements vfs.FileImpl.
func (*SignalFD) Release() {}

// Stat implements vfs.FileStater.
func (*SignalFD) Stat(vfs.Context) (vfs.Attr, error) { return vfs.AnonAttr(), nil }

// Name implements vfs.FileNamer.
func (*SignalFD) Name() string { return "anon_inode:[signalfd]" }
