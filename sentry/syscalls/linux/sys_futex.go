package linux

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/sentry/arch"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel/futex"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// futex(2) operations and flags.
const (
	futexWait          = 0
	futexWake          = 1
	futexRequeue       = 3
	futexCmpRequeue    = 4
	futexWakeOp        = 5
	futexLockPI        = 6
	futexUnlockPI      = 7
	futexTrylockPI     = 8
	futexWaitBitset    = 9
	futexWakeBitset    = 10
	futexWaitRequeuePI = 11
	futexCmpRequeuePI  = 12
	futexLockPI2       = 13
	futexPrivateFlag   = 128
	futexClockRealtime = 256
)

// futexDeadline is when a futex wait gives up; timed false means never.
type futexDeadline struct {
	at    time.Time
	timed bool
}

// Futex implements Linux syscall futex(2): every operation but the
// long-gone FUTEX_FD (ENOSYS), with Linux's argument checks
// (linux/kernel/futex/syscalls.c:do_futex()).
func Futex(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	addr, op, val, addr2, val3 := a[0], uint32(a[1]), uint32(a[2]), a[4], uint32(a[5])
	// The fourth argument is a timeout for the waits, a count for the rest.
	val2 := int32(uint32(a[3]))
	cmd := op &^ (futexPrivateFlag | futexClockRealtime)
	private := op&futexPrivateFlag != 0
	realtime := op&futexClockRealtime != 0
	var dl futexDeadline
	switch cmd {
	case futexWait, futexLockPI, futexLockPI2, futexWaitBitset, futexWaitRequeuePI:
		if a[3] != 0 {
			var err error
			if dl, err = futexTimeout(t, a[3], cmd, realtime); err != nil {
				return 0, err
			}
		}
	}
	if realtime && cmd != futexWaitBitset && cmd != futexWaitRequeuePI && cmd != futexLockPI2 {
		return 0, unix.ENOSYS
	}
	if err := checkFutexAddr(addr); err != nil {
		return 0, err
	}
	switch cmd {
	case futexRequeue, futexCmpRequeue, futexWakeOp, futexWaitRequeuePI, futexCmpRequeuePI:
		if err := checkFutexAddr(addr2); err != nil {
			return 0, err
		}
	}
	m, mem, tid := t.Kernel().Futexes(), t.MemoryManager(), uint32(t.TID())
	switch cmd {
	case futexWait:
		return futexWaitOn(t, addr, private, val, futex.BitsetMatchAny, dl)
	case futexWaitBitset:
		return futexWaitOn(t, addr, private, val, val3, dl)
	case futexWake:
		return count(m.Wake(mem, addr, private, int32(val), futex.BitsetMatchAny))
	case futexWakeBitset:
		return count(m.Wake(mem, addr, private, int32(val), val3))
	case futexRequeue:
		return count(m.Requeue(mem, addr, addr2, private, int32(val), val2, nil))
	case futexCmpRequeue:
		return count(m.Requeue(mem, addr, addr2, private, int32(val), val2, &val3))
	case futexWakeOp:
		return count(m.WakeOp(mem, addr, addr2, private, int32(val), val2, val3))
	case futexLockPI, futexLockPI2:
		return futexLockPIOn(t, addr, private, false, dl)
	case futexTrylockPI:
		return futexLockPIOn(t, addr, private, true, dl)
	case futexUnlockPI:
		return 0, m.UnlockPI(mem, addr, private, tid)
	case futexWaitRequeuePI:
		return futexWaitRequeuePIOn(t, addr, addr2, private, val, dl)
	case futexCmpRequeuePI:
		return count(m.CmpRequeuePI(mem, addr, addr2, private, int32(val), val2, val3))
	}
	return 0, unix.ENOSYS
}

// count converts a Manager's (count, error) to a syscall result.
func count(n int, err error) (uintptr, error) {
	if err != nil {
		return 0, err
	}
	return uintptr(n), nil
}

// checkFutexAddr checks a futex word's address as Linux's get_futex_key
// does: 4-byte aligned (EINVAL) and below the top of user memory (EFAULT).
func checkFutexAddr(addr uintptr) error {
	if addr%4 != 0 {
		return unix.EINVAL
	}
	if addr >= linux.TaskSize {
		return unix.EFAULT
	}
	return nil
}

// futexTimeout reads a futex timeout: relative for FUTEX_WAIT, absolute
// for the others, on CLOCK_REALTIME for FUTEX_LOCK_PI and when realtime is
// set, else CLOCK_MONOTONIC (FUTEX_WAIT with FUTEX_CLOCK_REALTIME is ENOSYS
// on Linux 6.x, checked after the timeout is read) (linux/kernel/futex/syscalls.c:
// futex_init_timeout()).
func futexTimeout(t *kernel.Task, addr uintptr, cmd uint32, realtime bool) (futexDeadline, error) {
	ns, err := copyInTimespec(t, addr)
	if err != nil {
		return futexDeadline{}, err
	}
	now := time.Now()
	if cmd == futexWait {
		return futexDeadline{at: now.Add(time.Duration(ns)), timed: true}, nil
	}
	clock := int32(unix.CLOCK_MONOTONIC)
	if realtime || cmd == futexLockPI {
		clock = unix.CLOCK_REALTIME
	}
	return absoluteDeadline(t, ns, clock, now), nil
}

// absoluteDeadline converts an absolute time ns on clock (REALTIME or
// MONOTONIC) to a deadline.
func absoluteDeadline(t *kernel.Task, ns int64, clock int32, now time.Time) futexDeadline {
	cur, _ := clockNow(t, clock)
	return futexDeadline{at: now.Add(time.Duration(ns - cur)), timed: true}
}

// blockFutex blocks until w leaves its queue (woken), the deadline passes
// (ETIMEDOUT) or a signal comes (vfs.ErrInterrupted); queued says whether
// the wait still goes on after a token.
func blockFutex(t *kernel.Task, dl futexDeadline, queued func() bool) error {
	for queued() {
		if err := t.FutexBlock(dl.at, dl.timed); err != nil {
			return err
		}
	}
	return nil
}

// futexWaitOn is FUTEX_WAIT and FUTEX_WAIT_BITSET. An interrupted wait
// without a timeout restarts if the handler has SA_RESTART (ERESTARTSYS);
// one with a timeout restarts, with the same deadline, only if no handler
// runs, and else answers EINTR (ERESTART_RESTARTBLOCK), as in Linux.
func futexWaitOn(t *kernel.Task, addr uintptr, private bool, val, bitset uint32, dl futexDeadline) (uintptr, error) {
	m, w := t.Kernel().Futexes(), t.FutexWaiter()
	if err := m.Wait(w, t.MemoryManager(), addr, private, val, bitset); err != nil {
		return 0, err
	}
	err := blockFutex(t, dl, w.Queued)
	if m.Dequeue(w) {
		return 0, nil
	}
	if err == vfs.ErrInterrupted && dl.timed {
		t.SetRestartBlock(func(t *kernel.Task, _ arch.SyscallArgs) (uintptr, error) {
			return futexWaitOn(t, addr, private, val, bitset, dl)
		})
		return 0, kernel.ErrRestartBlock
	}
	return 0, err
}

// futexLockPIOn is FUTEX_LOCK_PI, FUTEX_LOCK_PI2 and FUTEX_TRYLOCK_PI. An
// interrupted lock is always restarted (ERESTARTNOINTR): its timeout is
// absolute.
func futexLockPIOn(t *kernel.Task, addr uintptr, private, try bool, dl futexDeadline) (uintptr, error) {
	m, w := t.Kernel().Futexes(), t.FutexWaiter()
	acquired, err := m.LockPI(w, t.MemoryManager(), addr, private, uint32(t.TID()), try)
	if acquired || err != nil {
		return 0, err
	}
	err = blockFutex(t, dl, w.Queued)
	if m.Dequeue(w) {
		return 0, nil
	}
	if err == vfs.ErrInterrupted {
		return 0, kernel.ErrRestartNoIntr
	}
	return 0, err
}

// futexWaitRequeuePIOn is FUTEX_WAIT_REQUEUE_PI: it returns 0 once the
// task owns the PI futex at addr2. Interrupted before the requeue, it
// restarts (ERESTARTNOINTR); after, it answers EAGAIN, as Linux does
// rather than restart a wait whose word has changed.
func futexWaitRequeuePIOn(t *kernel.Task, addr, addr2 uintptr, private bool, val uint32, dl futexDeadline) (uintptr, error) {
	m, w := t.Kernel().Futexes(), t.FutexWaiter()
	if err := m.WaitRequeuePI(w, t.MemoryManager(), addr, addr2, private, val, uint32(t.TID())); err != nil {
		return 0, err
	}
	err := blockFutex(t, dl, w.Queued)
	if m.Dequeue(w) {
		return 0, nil
	}
	if err == vfs.ErrInterrupted {
		if w.Requeued() {
			return 0, unix.EAGAIN
		}
		return 0, kernel.ErrRestartNoIntr
	}
	return 0, err
}

// RestartSyscall implements Linux syscall restart_syscall(2).
func RestartSyscall(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return t.RestartSyscall()
}

// SetRobustList implements Linux syscall set_robust_list(2): the head is
// recorded, to be walked when the thread exits or execs.
func SetRobustList(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	if a[1] != futex.RobustListHeadSize {
		return 0, unix.EINVAL
	}
	t.SetRobustList(a[0])
	return 0, nil
}

// GetRobustList implements Linux syscall get_robust_list(2).
func GetRobustList(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	pid := int32(a[0])
	if pid < 0 {
		return 0, unix.ESRCH
	}
	head, err := t.RobustListOf(pid)
	if err != nil {
		return 0, err
	}
	var b [8]byte
	le.PutUint64(b[:], futex.RobustListHeadSize)
	if _, err := t.CopyOut(a[2], b[:]); err != nil {
		return 0, err
	}
	le.PutUint64(b[:], uint64(head))
	_, err = t.CopyOut(a[1], b[:])
	return 0, err
}
