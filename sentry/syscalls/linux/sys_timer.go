package linux

import (
	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/sentry/arch"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
)

// CPU-time clock IDs as clock_getcpuclockid(3) and pthread_getcpuclockid(3)
// make them: ~pid << 3, the kind in the low two bits (2: CPUCLOCK_SCHED),
// bit 2 for a thread.
const (
	cpuClockKindMask = 3
	cpuClockSched    = 2
	cpuClockThread   = 4
)

// resolveTimerClock returns what clock id counts, for clock_gettime and
// timer_create: EINVAL for an unknown clock or a process or thread that
// does not exist (or, for a thread clock, one of another process).
func resolveTimerClock(t *kernel.Task, id int32) (kernel.TimerClock, error) {
	switch id {
	case unix.CLOCK_PROCESS_CPUTIME_ID, unix.CLOCK_THREAD_CPUTIME_ID:
		return kernel.TimerClock{ID: id, Task: t}, nil
	case unix.CLOCK_REALTIME, unix.CLOCK_MONOTONIC, unix.CLOCK_BOOTTIME, unix.CLOCK_TAI,
		unix.CLOCK_REALTIME_ALARM, unix.CLOCK_BOOTTIME_ALARM:
		return kernel.TimerClock{ID: id}, nil
	}
	if id >= 0 || id&cpuClockKindMask == 3 {
		return kernel.TimerClock{}, unix.EINVAL
	}
	// A CPU clock of a given process or thread; all three kinds count
	// the same time here (the sentry sees only user time).
	pid := ^(id >> 3)
	target := t
	if pid != 0 {
		target = t.Kernel().TaskByTID(pid)
		if target == nil || target.IsZombie() {
			return kernel.TimerClock{}, unix.EINVAL
		}
	}
	if id&cpuClockThread != 0 {
		if target.ThreadGroup() != t.ThreadGroup() {
			return kernel.TimerClock{}, unix.EINVAL
		}
		return kernel.TimerClock{ID: unix.CLOCK_THREAD_CPUTIME_ID, Task: target}, nil
	}
	if pid != 0 && target.ThreadGroup().ID() != pid {
		return kernel.TimerClock{}, unix.EINVAL
	}
	return kernel.TimerClock{ID: unix.CLOCK_PROCESS_CPUTIME_ID, Task: target}, nil
}

// cpuClockNow reads a CPU-time clock (CLOCK_*_CPUTIME_ID or a clock ID of
// clock_getcpuclockid).
func cpuClockNow(t *kernel.Task, id int32) (int64, error) {
	c, err := resolveTimerClock(t, id)
	if err != nil {
		return 0, err
	}
	if c.ID == unix.CLOCK_THREAD_CPUTIME_ID {
		return int64(c.Task.CPUTime()), nil
	}
	return int64(c.Task.ThreadGroup().CPUTime()), nil
}

// sigevent layout: sigval at 0, sigev_signo at 8, sigev_notify at 12,
// the thread ID at 16.
const sigeventSize = 64

// TimerCreate implements Linux syscall timer_create(2).
func TimerCreate(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	id, evAddr, idAddr := int32(a[0]), a[1], a[2]
	switch id {
	case unix.CLOCK_MONOTONIC_RAW, unix.CLOCK_REALTIME_COARSE, unix.CLOCK_MONOTONIC_COARSE:
		return 0, unix.EOPNOTSUPP
	}
	clock, err := resolveTimerClock(t, id)
	if err != nil {
		return 0, err
	}
	ev := kernel.Sigevent{Notify: kernel.SigevSignal, Signo: linux.SIGALRM, ValueIsID: true}
	if evAddr != 0 {
		var b [sigeventSize]byte
		if _, err := t.CopyIn(evAddr, b[:]); err != nil {
			return 0, err
		}
		ev.ValueIsID = false
		ev.Value = le.Uint64(b[0:])
		ev.Signo = linux.Signal(int32(le.Uint32(b[8:])))
		ev.Notify = int32(le.Uint32(b[12:]))
		ev.ThreadID = int32(le.Uint32(b[16:]))
	}
	tid, err := t.CreateTimer(clock, ev)
	if err != nil {
		return 0, err
	}
	var b [4]byte
	le.PutUint32(b[:], uint32(tid))
	if _, err := t.CopyOut(idAddr, b[:]); err != nil {
		t.DeleteTimer(tid)
		return 0, err
	}
	return 0, nil
}

// copyInItimerspec reads a struct itimerspec (interval, then value).
func copyInItimerspec(t *kernel.Task, addr uintptr) (kernel.TimerSpec, error) {
	interval, err := copyInTimespec(t, addr)
	if err != nil {
		return kernel.TimerSpec{}, err
	}
	value, err := copyInTimespec(t, addr+16)
	if err != nil {
		return kernel.TimerSpec{}, err
	}
	return kernel.TimerSpec{Value: value, Interval: interval}, nil
}

func copyOutItimerspec(t *kernel.Task, addr uintptr, s kernel.TimerSpec) error {
	var b [32]byte
	putTimespec(b[0:], s.Interval)
	putTimespec(b[16:], s.Value)
	_, err := t.CopyOut(addr, b[:])
	return err
}

// TimerSettime implements Linux syscall timer_settime(2).
func TimerSettime(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	id, flags, newAddr, oldAddr := int32(a[0]), int(a[1]), a[2], a[3]
	if newAddr == 0 {
		return 0, unix.EINVAL
	}
	spec, err := copyInItimerspec(t, newAddr)
	if err != nil {
		return 0, err
	}
	old, err := t.SetTimer(id, flags&unix.TIMER_ABSTIME != 0, spec)
	if err != nil {
		return 0, err
	}
	if oldAddr != 0 {
		return 0, copyOutItimerspec(t, oldAddr, old)
	}
	return 0, nil
}

// TimerGettime implements Linux syscall timer_gettime(2).
func TimerGettime(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	s, err := t.GetTimer(int32(a[0]))
	if err != nil {
		return 0, err
	}
	return 0, copyOutItimerspec(t, a[1], s)
}

// TimerGetoverrun implements Linux syscall timer_getoverrun(2).
func TimerGetoverrun(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	n, err := t.TimerOverrun(int32(a[0]))
	return uintptr(n), err
}

// TimerDelete implements Linux syscall timer_delete(2).
func TimerDelete(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, t.DeleteTimer(int32(a[0]))
}
