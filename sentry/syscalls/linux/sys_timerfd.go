package linux

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/arch"
	"github.com/cocoon-sandbox/cocoon/sentry/fsimpl/timerfd"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
)

// timerfd_create's and timerfd_settime's flags.
const (
	tfdCreateFlags  = unix.TFD_CLOEXEC | unix.TFD_NONBLOCK
	tfdSettimeFlags = unix.TFD_TIMER_ABSTIME | unix.TFD_TIMER_CANCEL_ON_SET
)

// noteTimerfd is the table's note on timerfd_create and timerfd_settime.
const noteTimerfd = "the sandbox's clocks cannot be set (no clock_settime), so TFD_TIMER_CANCEL_ON_SET is " +
	"accepted and never cancels; the *_ALARM clocks do not wake a suspended host; no /proc/[pid]/fdinfo"

// timerClock returns the clock a timerfd on id runs on, read as
// clock_gettime reads it (clockNow), or false for a clock timerfds do not
// take.
func timerClock(k *kernel.Kernel, id int32) (timerfd.Clock, bool) {
	switch id {
	case unix.CLOCK_REALTIME, unix.CLOCK_REALTIME_ALARM:
		return func() int64 { return time.Now().UnixNano() }, true
	case unix.CLOCK_MONOTONIC, unix.CLOCK_BOOTTIME, unix.CLOCK_BOOTTIME_ALARM:
		return func() int64 { return int64(kernelUptime(k)) }, true
	}
	return nil, false
}

// TimerfdCreate implements Linux syscall timerfd_create(2).
func TimerfdCreate(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	id, flags := int32(a[0]), int(int32(a[1]))
	clock, ok := timerClock(t.Kernel(), id)
	if !ok || flags&^tfdCreateFlags != 0 {
		return 0, unix.EINVAL
	}
	if (id == unix.CLOCK_REALTIME_ALARM || id == unix.CLOCK_BOOTTIME_ALARM) &&
		!t.Credentials().HasCapability(unix.CAP_WAKE_ALARM) {
		return 0, unix.EPERM
	}
	return newAnonFD(t, timerfd.New(clock), unix.O_RDWR|uint32(flags&unix.TFD_NONBLOCK), flags&unix.TFD_CLOEXEC != 0)
}

// timerOf returns the timerfd open as fd: EBADF if none is open, EINVAL
// if it is not a timerfd. The caller drops the reference with done.
func timerOf(t *kernel.Task, fd int32) (tf *timerfd.TimerFD, done func(), err error) {
	f, err := t.FDTable().Get(fd)
	if err != nil {
		return nil, nil, err
	}
	tf, ok := f.Impl().(*timerfd.TimerFD)
	if !ok || f.IsPath() {
		f.DecRef()
		return nil, nil, unix.EINVAL
	}
	return tf, f.DecRef, nil
}

// TimerfdSettime implements Linux syscall timerfd_settime(2).
func TimerfdSettime(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	flags := int(int32(a[1]))
	spec, err := copyInItimerspec(t, a[2])
	if err != nil {
		return 0, err
	}
	if flags&^tfdSettimeFlags != 0 {
		return 0, unix.EINVAL
	}
	tf, done, err := timerOf(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	defer done()
	old := tf.SetTime(timerfd.Spec(spec), flags&unix.TFD_TIMER_ABSTIME != 0)
	if a[3] != 0 {
		return 0, copyOutItimerspec(t, a[3], kernel.TimerSpec(old))
	}
	return 0, nil
}

// TimerfdGettime implements Linux syscall timerfd_gettime(2).
func TimerfdGettime(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	tf, done, err := timerOf(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	defer done()
	return 0, copyOutItimerspec(t, a[1], kernel.TimerSpec(tf.GetTime()))
}
