package kernel

import (
	"runtime"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/platform"
)

// Scheduling attributes of a thread: what sched_setaffinity,
// sched_setscheduler and friends set and report. Policies and priorities
// only answer as Linux would; the affinity is also applied: a platform
// that can (platform.CPUPinner) pins the thread's context to a CPU of it,
// and getcpu reports that CPU.

// MaxCPUs bounds the CPUs a sandbox shows (a cpu_set_t of 1024 bits).
const MaxCPUs = 1024

// CPUSet is a set of CPUs, bit i for CPU i.
type CPUSet [MaxCPUs / 64]uint64

// NumCPUs returns how many CPUs the sandbox shows: those the sentry may
// run on, numbered from 0.
func NumCPUs() int { return min(runtime.NumCPU(), MaxCPUs) }

// AllCPUs returns the set of every CPU the sandbox shows.
func AllCPUs() CPUSet {
	var s CPUSet
	for i := 0; i < NumCPUs(); i++ {
		s[i/64] |= 1 << (i % 64)
	}
	return s
}

// IsSet says whether CPU c is in s.
func (s *CPUSet) IsSet(c int) bool {
	return c >= 0 && c < MaxCPUs && s[c/64]&(1<<(c%64)) != 0
}

// First returns the lowest CPU of s, or -1 if s is empty.
func (s *CPUSet) First() int {
	for i := 0; i < MaxCPUs; i++ {
		if s[i/64]&(1<<(i%64)) != 0 {
			return i
		}
	}
	return -1
}

// Scheduling policies (sched(7)).
const (
	SchedOther       = 0
	SchedFIFO        = 1
	SchedRR          = 2
	SchedBatch       = 3
	SchedIdle        = 5
	SchedResetOnFork = 0x40000000
)

// SchedPolicy is a thread's policy and static priority.
type SchedPolicy struct {
	Policy      int32
	Priority    int32
	ResetOnFork bool
}

// PriorityRange returns the static priorities of policy, or ok = false
// for a policy Linux does not have.
func PriorityRange(policy int32) (lo, hi int32, ok bool) {
	switch policy {
	case SchedFIFO, SchedRR:
		return 1, 99, true
	case SchedOther, SchedBatch, SchedIdle:
		return 0, 0, true
	}
	return 0, 0, false
}

// Affinity returns the thread's CPU affinity.
func (t *Task) Affinity() CPUSet {
	t.k.mu.Lock()
	defer t.k.mu.Unlock()
	return t.affinityLocked()
}

func (t *Task) affinityLocked() CPUSet {
	if !t.affinitySet {
		return AllCPUs()
	}
	return t.affinity
}

// SetAffinity sets target's affinity to s restricted to the sandbox's
// CPUs, for t (sched_setaffinity): EINVAL if nothing is left, EPERM
// without CAP_SYS_NICE unless t's EUID is target's real or effective UID.
func (t *Task) SetAffinity(target *Task, s CPUSet) error {
	if err := t.maySchedule(target); err != nil {
		return err
	}
	all := AllCPUs()
	empty := true
	for i := range s {
		s[i] &= all[i]
		empty = empty && s[i] == 0
	}
	if empty {
		return unix.EINVAL
	}
	t.k.mu.Lock()
	target.affinity, target.affinitySet = s, true
	t.k.mu.Unlock()
	target.affinityMoved.Store(true)
	return nil
}

// CPU returns the CPU getcpu reports: the one the task's context is pinned
// to (inside its affinity, applyAffinity), as the vDSO reads it from the
// host; the lowest of its affinity when the platform does not pin.
func (t *Task) CPU() int {
	if p, ok := t.ctx.(platform.CPUPinner); ok {
		if cpu := p.CPU(); cpu >= 0 {
			return cpu
		}
	}
	s := t.Affinity()
	return s.First()
}

// applyAffinity pins the task's platform context to a CPU of its affinity
// if it is not on one already: at the task's start and after each
// sched_setaffinity of it, on the task goroutine before it switches. So
// the host runs the thread where the application asked, and getcpu
// (vDSO or syscall) names a CPU of its affinity. The CPUs of a wide mask
// are handed out round-robin, as the platform spreads contexts.
func (t *Task) applyAffinity() {
	p, ok := t.ctx.(platform.CPUPinner)
	if !ok || !t.affinitySetOnce() {
		return
	}
	s := t.Affinity()
	cur := p.CPU()
	if cur >= 0 && s.IsSet(cur) {
		return
	}
	var cpus []int
	for c := 0; c < MaxCPUs; c++ {
		if s.IsSet(c) {
			cpus = append(cpus, c)
		}
	}
	if len(cpus) > 0 {
		p.PinCPU(cpus[int(t.k.nextPin.Add(1)-1)%len(cpus)])
	}
}

// affinitySetOnce says whether the task's affinity was ever set (its own
// or inherited): only then may it differ from where the platform put it.
func (t *Task) affinitySetOnce() bool {
	t.k.mu.Lock()
	defer t.k.mu.Unlock()
	return t.affinitySet
}

// SchedPolicy returns the thread's scheduling policy.
func (t *Task) SchedPolicy() SchedPolicy {
	t.k.mu.Lock()
	defer t.k.mu.Unlock()
	return t.sched
}

// SetSchedPolicy sets target's policy for t (sched_setscheduler,
// sched_setparam): EINVAL for a policy or priority Linux refuses, EPERM
// for a real-time policy without CAP_SYS_NICE or for another user's
// thread.
func (t *Task) SetSchedPolicy(target *Task, p SchedPolicy) error {
	lo, hi, ok := PriorityRange(p.Policy)
	if !ok || p.Priority < lo || p.Priority > hi {
		return unix.EINVAL
	}
	if err := t.maySchedule(target); err != nil {
		return err
	}
	if p.Policy == SchedFIFO || p.Policy == SchedRR {
		if !t.Credentials().HasCapability(unix.CAP_SYS_NICE) {
			return unix.EPERM
		}
	}
	t.k.mu.Lock()
	target.sched = p
	t.k.mu.Unlock()
	return nil
}

// maySchedule is Linux's check_same_owner for the scheduling calls.
func (t *Task) maySchedule(target *Task) error {
	c, tc := t.Credentials(), target.Credentials()
	if c.EUID != tc.RUID && c.EUID != tc.EUID && !c.HasCapability(unix.CAP_SYS_NICE) {
		return unix.EPERM
	}
	return nil
}

// SetPersonality replaces the task's personality unless p is 0xffffffff,
// and returns the old one (personality(2)).
func (t *Task) SetPersonality(p uint32) uint32 {
	t.k.mu.Lock()
	defer t.k.mu.Unlock()
	old := t.personality
	if p != 0xffffffff {
		t.personality = p
	}
	return old
}

// inheritSchedLocked gives a new thread or process t's scheduling
// attributes (SCHED_RESET_ON_FORK puts a real-time policy back to
// SCHED_OTHER).
// Preconditions: k.mu is held.
func (t *Task) inheritSchedLocked(child *Task) {
	child.affinity, child.affinitySet = t.affinity, t.affinitySet
	child.sched = t.sched
	child.personality = t.personality
	if t.sched.ResetOnFork {
		child.sched = SchedPolicy{}
	}
}
