package linux

import (
	"runtime"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/arch"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
)

// cpuMaskBytes is the size of the kernel's CPU mask, what
// sched_getaffinity returns: enough longs for the sandbox's CPUs.
func cpuMaskBytes() int { return (kernel.NumCPUs() + 63) / 64 * 8 }

// SchedGetaffinity implements Linux syscall sched_getaffinity(2) for
// thread pid (0: the caller).
func SchedGetaffinity(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	size := int(a[1])
	if size*8 < kernel.NumCPUs() || size%8 != 0 {
		return 0, unix.EINVAL
	}
	target, err := taskOrSelf(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	set := target.Affinity()
	n := cpuMaskBytes()
	b := t.Scratch(n)
	for i := range b {
		b[i] = byte(set[i/8] >> (8 * (i % 8)))
	}
	if _, err := t.CopyOut(a[2], b); err != nil {
		return 0, err
	}
	return uintptr(n), nil
}

// SchedSetaffinity implements Linux syscall sched_setaffinity(2): the
// mask, cut to the sandbox's CPUs, is what sched_getaffinity and getcpu
// then report; the host schedules as it likes.
func SchedSetaffinity(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	target, err := taskOrSelf(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	n := min(int(a[1]), kernel.MaxCPUs/8)
	b := t.Scratch(n)
	if _, err := t.CopyIn(a[2], b); err != nil {
		return 0, err
	}
	var set kernel.CPUSet
	for i, v := range b {
		set[i/8] |= uint64(v) << (8 * (i % 8))
	}
	return 0, t.SetAffinity(target, set)
}

// SchedYield implements Linux syscall sched_yield(2).
func SchedYield(t *kernel.Task, _ arch.SyscallArgs) (uintptr, error) {
	runtime.Gosched()
	return 0, nil
}

// Getcpu implements Linux syscall getcpu(2): the lowest CPU of the
// caller's affinity, on node 0.
func Getcpu(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	var b [4]byte
	le.PutUint32(b[:], uint32(t.CPU()))
	if a[0] != 0 {
		if _, err := t.CopyOut(a[0], b[:]); err != nil {
			return 0, err
		}
	}
	if a[1] != 0 {
		var node [4]byte
		if _, err := t.CopyOut(a[1], node[:]); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

// schedTarget returns thread pid (0: the caller) for the sched_* calls,
// which refuse a negative pid with EINVAL.
func schedTarget(t *kernel.Task, pid int32) (*kernel.Task, error) {
	if pid < 0 {
		return nil, unix.EINVAL
	}
	return taskOrSelf(t, pid)
}

// SchedGetscheduler implements Linux syscall sched_getscheduler(2).
func SchedGetscheduler(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	target, err := schedTarget(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	p := target.SchedPolicy()
	rv := uintptr(p.Policy)
	if p.ResetOnFork {
		rv |= kernel.SchedResetOnFork
	}
	return rv, nil
}

// copyInSchedParam reads a struct sched_param (EINVAL for NULL, as Linux).
func copyInSchedParam(t *kernel.Task, addr uintptr) (int32, error) {
	if addr == 0 {
		return 0, unix.EINVAL
	}
	var b [4]byte
	if _, err := t.CopyIn(addr, b[:]); err != nil {
		return 0, err
	}
	return int32(le.Uint32(b[:])), nil
}

// SchedSetscheduler implements Linux syscall sched_setscheduler(2).
func SchedSetscheduler(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	policy := int32(a[1])
	reset := policy&kernel.SchedResetOnFork != 0
	policy &^= kernel.SchedResetOnFork
	if _, _, ok := kernel.PriorityRange(policy); !ok {
		return 0, unix.EINVAL
	}
	target, err := schedTarget(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	prio, err := copyInSchedParam(t, a[2])
	if err != nil {
		return 0, err
	}
	return 0, t.SetSchedPolicy(target, kernel.SchedPolicy{Policy: policy, Priority: prio, ResetOnFork: reset})
}

// SchedGetparam implements Linux syscall sched_getparam(2).
func SchedGetparam(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	if a[1] == 0 {
		return 0, unix.EINVAL
	}
	target, err := schedTarget(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	var b [4]byte
	le.PutUint32(b[:], uint32(target.SchedPolicy().Priority))
	_, err = t.CopyOut(a[1], b[:])
	return 0, err
}

// SchedSetparam implements Linux syscall sched_setparam(2): the priority,
// under the thread's current policy.
func SchedSetparam(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	target, err := schedTarget(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	prio, err := copyInSchedParam(t, a[1])
	if err != nil {
		return 0, err
	}
	p := target.SchedPolicy()
	p.Priority = prio
	return 0, t.SetSchedPolicy(target, p)
}

// SchedGetPriorityMax implements Linux syscall sched_get_priority_max(2).
func SchedGetPriorityMax(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	_, hi, ok := kernel.PriorityRange(int32(a[0]))
	if !ok {
		return 0, unix.EINVAL
	}
	return uintptr(hi), nil
}

// SchedGetPriorityMin implements Linux syscall sched_get_priority_min(2).
func SchedGetPriorityMin(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	lo, _, ok := kernel.PriorityRange(int32(a[0]))
	if !ok {
		return 0, unix.EINVAL
	}
	return uintptr(lo), nil
}

// rrInterval is the SCHED_RR time slice Linux reports (RR_TIMESLICE).
const rrInterval = 100_000_000

// SchedRRGetInterval implements Linux syscall sched_rr_get_interval(2):
// 100 ms for SCHED_RR, 0 for the other policies.
func SchedRRGetInterval(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	target, err := schedTarget(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	var ns int64
	if target.SchedPolicy().Policy == kernel.SchedRR {
		ns = rrInterval
	}
	var b [16]byte
	le.PutUint64(b[0:], uint64(ns/1e9))
	le.PutUint64(b[8:], uint64(ns%1e9))
	_, err = t.CopyOut(a[1], b[:])
	return 0, err
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
