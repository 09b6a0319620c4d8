package linux

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/arch"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
)

func kernelUptime(k *kernel.Kernel) time.Duration { return time.Since(k.BootTime()) }

// realtimeNow and monotonicNow read what the vDSO computes (the same data
// page), so that a program mixing the vDSO and the system calls never
// sees a clock go back; without a vDSO, the host clocks.
func realtimeNow(k *kernel.Kernel) int64 {
	if v := k.VDSO(); v != nil {
		return v.Realtime()
	}
	return time.Now().UnixNano()
}

func monotonicNow(k *kernel.Kernel) int64 {
	if v := k.VDSO(); v != nil {
		return v.Monotonic()
	}
	return int64(kernelUptime(k))
}

// clockNow returns the time of clock id, or EINVAL.
func clockNow(t *kernel.Task, id int32) (int64, error) {
	switch id {
	case unix.CLOCK_REALTIME, unix.CLOCK_REALTIME_COARSE, unix.CLOCK_TAI, unix.CLOCK_REALTIME_ALARM:
		return realtimeNow(t.Kernel()), nil
	case unix.CLOCK_MONOTONIC, unix.CLOCK_MONOTONIC_COARSE, unix.CLOCK_MONOTONIC_RAW,
		unix.CLOCK_BOOTTIME, unix.CLOCK_BOOTTIME_ALARM:
		return monotonicNow(t.Kernel()), nil
	}
	return cpuClockNow(t, id)
}

func putTimespec(b []byte, ns int64) {
	le.PutUint64(b[0:], uint64(ns/1e9))
	le.PutUint64(b[8:], uint64(ns%1e9))
}

// copyInTimespec reads a struct timespec and validates it.
func copyInTimespec(t *kernel.Task, addr uintptr) (int64, error) {
	var b [16]byte
	if _, err := t.CopyIn(addr, b[:]); err != nil {
		return 0, err
	}
	sec, nsec := int64(le.Uint64(b[0:])), int64(le.Uint64(b[8:]))
	if sec < 0 || nsec < 0 || nsec >= 1e9 {
		return 0, unix.EINVAL
	}
	if sec > 1<<33 {
		sec = 1 << 33
	}
	return sec*1e9 + nsec, nil
}

// ClockGettime implements Linux syscall clock_gettime(2).
func ClockGettime(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	ns, err := clockNow(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	var b [16]byte
	putTimespec(b[:], ns)
	_, err = t.CopyOut(a[1], b[:])
	return 0, err
}

// ClockGetres implements Linux syscall clock_getres(2).
func ClockGetres(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	if _, err := clockNow(t, int32(a[0])); err != nil {
		return 0, err
	}
	if a[1] == 0 {
		return 0, nil
	}
	var b [16]byte
	putTimespec(b[:], 1)
	_, err := t.CopyOut(a[1], b[:])
	return 0, err
}

// Gettimeofday implements Linux syscall gettimeofday(2).
func Gettimeofday(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	if a[0] != 0 {
		now := realtimeNow(t.Kernel())
		var b [16]byte
		le.PutUint64(b[0:], uint64(now/1e9))
		le.PutUint64(b[8:], uint64(now%1e9/1e3))
		if _, err := t.CopyOut(a[0], b[:]); err != nil {
			return 0, err
		}
	}
	if a[1] != 0 {
		var b [8]byte
		if _, err := t.CopyOut(a[1], b[:]); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

// Time implements Linux syscall time(2).
func Time(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	now := realtimeNow(t.Kernel()) / 1e9
	if a[0] != 0 {
		var b [8]byte
		le.PutUint64(b[:], uint64(now))
		if _, err := t.CopyOut(a[0], b[:]); err != nil {
			return 0, err
		}
	}
	return uintptr(now), nil
}

// Nanosleep implements Linux syscall nanosleep(2).
func Nanosleep(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	ns, err := copyInTimespec(t, a[0])
	if err != nil {
		return 0, err
	}
	return 0, sleepFor(t, time.Duration(ns), a[1])
}

// ClockNanosleep implements Linux syscall clock_nanosleep(2).
func ClockNanosleep(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	id, flags := int32(a[0]), int(a[1])
	now, err := clockNow(t, id)
	if err != nil {
		return 0, err
	}
	ns, err := copyInTimespec(t, a[2])
	if err != nil {
		return 0, err
	}
	d := time.Duration(ns)
	if flags&unix.TIMER_ABSTIME != 0 {
		d = time.Duration(ns - now)
		return 0, sleepFor(t, d, 0)
	}
	return 0, sleepFor(t, d, a[3])
}

// sleepFor blocks for d; interrupted, it writes the remaining time to rem
// and returns EINTR (nanosleep is restarted only if no handler runs,
// and then with the remaining time, which the restart recomputes).
func sleepFor(t *kernel.Task, d time.Duration, rem uintptr) error {
	if d <= 0 {
		return nil
	}
	deadline := time.Now().Add(d)
	done := make(chan struct{})
	timer := time.AfterFunc(d, func() { close(done) })
	defer timer.Stop()
	if err := t.Block(done); err != nil {
		left := time.Until(deadline)
		if rem != 0 && left > 0 {
			var b [16]byte
			putTimespec(b[:], int64(left))
			t.CopyOut(rem, b[:])
		}
		return unix.EINTR
	}
	return nil
}

// Times implements Linux syscall times(2), in clock ticks of 10 ms.
func Times(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	if a[0] != 0 {
		const tick = time.Second / 100
		var b [32]byte
		le.PutUint64(b[0:], uint64(t.UserTime()/tick))
		le.PutUint64(b[16:], uint64(t.ChildrenUserTime()/tick))
		if _, err := t.CopyOut(a[0], b[:]); err != nil {
			return 0, err
		}
	}
	return uintptr(kernelUptime(t.Kernel()) / (time.Second / 100)), nil
}
