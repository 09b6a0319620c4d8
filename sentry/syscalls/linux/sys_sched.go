package linux

import (
	"runtime"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/arch"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
)

// SchedGetaffinity implements Linux syscall sched_getaffinity(2): every
// CPU of the host is available.
func SchedGetaffinity(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	size := int(a[1])
	if size < 8 || size%8 != 0 {
		return 0, unix.EINVAL
	}
	b := make([]byte, 8)
	n := runtime.NumCPU()
	for i := 0; i < n && i < 64; i++ {
		b[i/8] |= 1 << (i % 8)
	}
	if _, err := t.CopyOut(a[2], b); err != nil {
		return 0, err
	}
	return 8, nil
}

// SchedSetaffinity implements sched_setaffinity(2) by accepting any mask.
func SchedSetaffinity(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) { return 0, nil }

// SchedYield implements Linux syscall sched_yield(2).
func SchedYield(t *kernel.Task, _ arch.SyscallArgs) (uintptr, error) {
	runtime.Gosched()
	return 0, nil
}

// Getcpu implements Linux syscall getcpu(2).
func Getcpu(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	var b [4]byte
	for _, addr := range []uintptr{a[0], a[1]} {
		if addr != 0 {
			if _, err := t.CopyOut(addr, b[:]); err != nil {
				return 0, err
			}
		}
	}
	return 0, nil
}

// prioProcess is PRIO_PROCESS; process groups and users are not
// supported yet.
const prioProcess = 0

// Getpriority implements Linux syscall getpriority(2) for PRIO_PROCESS (the
// raw syscall returns 20 - nice).
func Getpriority(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	target, err := priorityTarget(t, a)
	if err != nil {
		return 0, err
	}
	return uintptr(20 - target.Nice()), nil
}

// Setpriority implements Linux syscall setpriority(2) for PRIO_PROCESS.
// Nice values only order the sandbox's own tasks, which the host schedules
// as it likes, so they are recorded and reported.
func Setpriority(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	target, err := priorityTarget(t, a)
	if err != nil {
		return 0, err
	}
	return 0, t.SetNice(target, int32(a[2]))
}

func priorityTarget(t *kernel.Task, a arch.SyscallArgs) (*kernel.Task, error) {
	if int(a[0]) != prioProcess {
		return nil, unix.EINVAL
	}
	return taskOrSelf(t, int32(a[1]))
}
