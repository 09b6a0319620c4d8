package linux

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/arch"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel/futex"
)

// futex_waitv(2) limits and flags.
const (
	// futexWaitvMax is FUTEX_WAITV_MAX: the most futexes one call waits on.
	futexWaitvMax = 128
	// futexWaitvSize is sizeof(struct futex_waitv): val, uaddr, flags,
	// __reserved.
	futexWaitvSize = 24
	// futex2SizeU32 and futex2Private are the per-futex flags
	// (FUTEX2_SIZE_U32, FUTEX2_PRIVATE); futex2SizeMask the size field.
	futex2SizeU32  = 2
	futex2SizeMask = 3
	futex2Private  = 128
)

// FutexWaitv implements Linux syscall futex_waitv(2): it waits until one
// of up to 128 32-bit futexes is woken and returns its index; EAGAIN if a
// word does not hold its value, ETIMEDOUT at the absolute timeout on
// clockid (CLOCK_MONOTONIC or CLOCK_REALTIME). Interrupted, it restarts
// if the handler has SA_RESTART (linux/kernel/futex/syscalls.c).
func FutexWaitv(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	addr, n, flags, timeoutAddr, clockid := a[0], uint32(a[1]), uint32(a[2]), a[3], int32(a[4])
	if flags != 0 || n == 0 || n > futexWaitvMax || addr == 0 {
		return 0, unix.EINVAL
	}
	var dl futexDeadline
	if timeoutAddr != 0 {
		if clockid != unix.CLOCK_REALTIME && clockid != unix.CLOCK_MONOTONIC {
			return 0, unix.EINVAL
		}
		ns, err := copyInTimespec(t, timeoutAddr)
		if err != nil {
			return 0, err
		}
		dl = absoluteDeadline(t, ns, clockid, time.Now())
	}
	entries, err := copyInWaitv(t, addr, int(n))
	if err != nil {
		return 0, err
	}
	m, shared := t.Kernel().Futexes(), t.FutexWaiter()
	ws := make([]futex.Waiter, n)
	woken, err := m.WaitMultiple(ws, shared, t.MemoryManager(), entries)
	if err != nil {
		return 0, err
	}
	if woken >= 0 {
		return uintptr(woken), nil
	}
	err = blockFutex(t, dl, func() bool {
		for i := range ws {
			if !ws[i].Queued() {
				return false
			}
		}
		return true
	})
	if woken := m.DequeueMultiple(ws); woken >= 0 {
		return uintptr(woken), nil
	}
	return 0, err
}

// copyInWaitv reads and checks n struct futex_waitv at addr: each futex
// 32-bit (FUTEX2_SIZE_U32), no flags but FUTEX2_PRIVATE and the size,
// __reserved zero (EINVAL), and aligned (EINVAL) user addresses (EFAULT).
func copyInWaitv(t *kernel.Task, addr uintptr, n int) ([]futex.WaitvEntry, error) {
	buf := make([]byte, n*futexWaitvSize)
	if _, err := t.CopyIn(addr, buf); err != nil {
		return nil, err
	}
	entries := make([]futex.WaitvEntry, n)
	for i := range entries {
		b := buf[i*futexWaitvSize:]
		val, uaddr := le.Uint64(b[0:]), uintptr(le.Uint64(b[8:]))
		fl, reserved := le.Uint32(b[16:]), le.Uint32(b[20:])
		if fl&^(futex2SizeMask|futex2Private) != 0 || reserved != 0 || fl&futex2SizeMask != futex2SizeU32 {
			return nil, unix.EINVAL
		}
		if val > 0xffffffff {
			return nil, unix.EINVAL
		}
		if err := checkFutexAddr(uaddr); err != nil {
			return nil, err
		}
		entries[i] = futex.WaitvEntry{Addr: uaddr, Val: uint32(val), Private: fl&futex2Private != 0}
	}
	return entries, nil
}
