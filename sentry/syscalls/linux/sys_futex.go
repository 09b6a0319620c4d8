package linux

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/sentry/arch"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
)

// SetRobustList implements set_robust_list(2): robust futexes only matter
// for threads, which come later; the list is accepted.
func SetRobustList(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	if a[1] != 24 {
		return 0, unix.EINVAL
	}
	return 0, nil
}

// futex(2) operations and flags.
const (
	futexWait          = 0
	futexWake          = 1
	futexWaitBitset    = 9
	futexWakeBitset    = 10
	futexPrivateFlag   = 128
	futexClockRealtime = 256
)

// Futex implements the futex(2) operations a single-threaded process can
// meaningfully make: WAIT returns EAGAIN if the word changed and otherwise
// waits for a signal or the timeout (ETIMEDOUT); WAKE wakes nobody, since
// no other thread can be waiting. Addresses are checked as Linux does.
func Futex(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	addr, op, val, timeoutAddr := a[0], int(a[1]), uint32(a[2]), a[3]
	private := op&futexPrivateFlag != 0
	realtime := op&futexClockRealtime != 0
	cmd := op &^ (futexPrivateFlag | futexClockRealtime)
	if cmd != futexWait && cmd != futexWake && cmd != futexWaitBitset && cmd != futexWakeBitset {
		return 0, unix.ENOSYS
	}
	if addr%4 != 0 {
		return 0, unix.EINVAL
	}
	if addr >= linux.TaskSize {
		return 0, unix.EFAULT
	}
	if cmd == futexWake || cmd == futexWakeBitset {
		if !private && t.MemoryManager().AccessibleLength(addr, 4, false) < 4 {
			return 0, unix.EFAULT
		}
		return 0, nil
	}
	var deadline time.Duration
	if timeoutAddr != 0 {
		ns, err := copyInTimespec(t, timeoutAddr)
		if err != nil {
			return 0, err
		}
		deadline = time.Duration(ns)
		if cmd == futexWaitBitset {
			// An absolute time on the chosen clock.
			clock := int32(unix.CLOCK_MONOTONIC)
			if realtime {
				clock = unix.CLOCK_REALTIME
			}
			now, _ := clockNow(t, clock)
			deadline = time.Duration(ns - now)
		}
	}
	var b [4]byte
	if _, err := t.CopyIn(addr, b[:]); err != nil {
		return 0, err
	}
	if le.Uint32(b[:]) != val {
		return 0, unix.EAGAIN
	}
	var expired <-chan struct{}
	if timeoutAddr != 0 {
		if deadline <= 0 {
			return 0, unix.ETIMEDOUT
		}
		done := make(chan struct{})
		timer := time.AfterFunc(deadline, func() { close(done) })
		defer timer.Stop()
		expired = done
	}
	if err := t.Block(expired); err != nil {
		return 0, err
	}
	return 0, unix.ETIMEDOUT
}
