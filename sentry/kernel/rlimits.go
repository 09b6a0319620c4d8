package kernel

import (
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/sentry/mm"
)

// RLimit is one resource limit.
type RLimit struct{ Cur, Max uint64 }

// RLimInfinity is RLIM_INFINITY.
const RLimInfinity = ^uint64(0)

const numRlimits = 16

type rlimits [numRlimits]RLimit

func defaultRlimits() rlimits {
	var r rlimits
	for i := range r {
		r[i] = RLimit{RLimInfinity, RLimInfinity}
	}
	r[unix.RLIMIT_STACK] = RLimit{8 << 20, RLimInfinity}
	r[unix.RLIMIT_NOFILE] = RLimit{1024, 1 << 20}
	r[unix.RLIMIT_CORE] = RLimit{0, RLimInfinity}
	r[unix.RLIMIT_NPROC] = RLimit{1 << 15, 1 << 15}
	r[unix.RLIMIT_MEMLOCK] = RLimit{8 << 20, 8 << 20}
	r[unix.RLIMIT_SIGPENDING] = RLimit{1 << 15, 1 << 15}
	r[unix.RLIMIT_MSGQUEUE] = RLimit{819200, 819200}
	return r
}

// Rlimit reads and optionally replaces resource limit res of the task's
// process (getrlimit, setrlimit).
func (t *Task) Rlimit(res int, newLim *RLimit) (RLimit, error) { return t.RlimitOf(t, res, newLim) }

// RlimitOf reads and optionally replaces resource limit res of target's
// process for t (prlimit64): another process's limits need t's real,
// effective and saved IDs to match target's real ones, or
// CAP_SYS_RESOURCE (EPERM); raising a hard limit needs CAP_SYS_RESOURCE,
// and RLIMIT_NOFILE's cannot go beyond 2^20 (EPERM). A new RLIMIT_NOFILE
// bounds the process's FD table from then on.
func (t *Task) RlimitOf(target *Task, res int, newLim *RLimit) (RLimit, error) {
	if res < 0 || res >= numRlimits {
		return RLimit{}, unix.EINVAL
	}
	c := t.Credentials()
	if target.tg != t.tg && !c.HasCapability(unix.CAP_SYS_RESOURCE) {
		tc := target.Credentials()
		if c.RUID != tc.RUID || c.EUID != tc.RUID || c.SUID != tc.RUID ||
			c.RGID != tc.RGID || c.EGID != tc.RGID || c.SGID != tc.RGID {
			return RLimit{}, unix.EPERM
		}
	}
	tg := target.tg
	tg.limitsMu.Lock()
	defer tg.limitsMu.Unlock()
	old := tg.rlimits[res]
	if newLim != nil {
		if newLim.Cur > newLim.Max {
			return RLimit{}, unix.EINVAL
		}
		if newLim.Max > old.Max && !c.HasCapability(unix.CAP_SYS_RESOURCE) {
			return RLimit{}, unix.EPERM
		}
		if res == unix.RLIMIT_NOFILE && newLim.Max > maxFDs {
			return RLimit{}, unix.EPERM
		}
		tg.rlimits[res] = *newLim
		switch res {
		case unix.RLIMIT_NOFILE:
			if ft := target.FDTable(); ft != nil {
				ft.SetLimit(fdLimit(newLim.Cur))
			}
		case unix.RLIMIT_AS, unix.RLIMIT_DATA, unix.RLIMIT_STACK:
			if m := target.MemoryManager(); m != nil {
				m.SetLimits(memLimits(tg.rlimits))
			}
		}
	}
	return old, nil
}

// memLimits returns the memory manager's bounds for the soft limits r.
func memLimits(r rlimits) mm.Limits {
	return mm.Limits{
		AddressSpace: r[unix.RLIMIT_AS].Cur,
		Data:         r[unix.RLIMIT_DATA].Cur,
		Stack:        r[unix.RLIMIT_STACK].Cur,
	}
}

// maxFDs bounds the descriptors of a table whatever RLIMIT_NOFILE says
// (Linux's fs.nr_open default).
const maxFDs = 1 << 20

// fdLimit is the FD-table limit for an RLIMIT_NOFILE soft limit.
func fdLimit(cur uint64) int32 { return int32(min(cur, maxFDs)) }

// limits returns a copy of the process's resource limits (for fork).
func (tg *ThreadGroup) limits() rlimits {
	tg.limitsMu.Lock()
	defer tg.limitsMu.Unlock()
	return tg.rlimits
}

// FileSizeLimit returns the soft RLIMIT_FSIZE (vfs.FileSizeLimiter):
// RLimInfinity, math.MaxUint64, for none.
func (t *Task) FileSizeLimit() uint64 {
	tg := t.tg
	tg.limitsMu.Lock()
	defer tg.limitsMu.Unlock()
	return tg.rlimits[unix.RLIMIT_FSIZE].Cur
}

// realTimer is ITIMER_REAL: it sends SIGALRM to its process.
type realTimer struct {
	mu       sync.Mutex
	timer    *time.Timer
	deadline time.Time
	interval time.Duration
}

func (r *realTimer) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.timer != nil {
		r.timer.Stop()
		r.timer = nil
	}
	r.deadline = time.Time{}
}

// SetRealTimer arms the process's ITIMER_REAL (alarm, setitimer) to fire
// after value and then every interval (0: once). It returns the previous
// remaining time and interval.
func (t *Task) SetRealTimer(value, interval time.Duration) (time.Duration, time.Duration) {
	tg := t.tg
	tg.sigMu.Lock()
	if tg.itimer == nil {
		tg.itimer = &realTimer{}
	}
	r := tg.itimer
	tg.sigMu.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	var oldRemain time.Duration
	if !r.deadline.IsZero() {
		oldRemain = time.Until(r.deadline)
		if oldRemain <= 0 {
			oldRemain = time.Microsecond
		}
	}
	oldInterval := r.interval
	if r.timer != nil {
		r.timer.Stop()
		r.timer = nil
	}
	r.deadline, r.interval = time.Time{}, interval
	if value > 0 {
		r.deadline = time.Now().Add(value)
		var fire func()
		fire = func() {
			tg.SendSignal(&linux.SignalInfo{Signo: int32(linux.SIGALRM), Code: linux.SI_KERNEL})
			r.mu.Lock()
			defer r.mu.Unlock()
			if r.interval > 0 {
				r.deadline = time.Now().Add(r.interval)
				r.timer = time.AfterFunc(r.interval, fire)
			} else {
				r.deadline = time.Time{}
			}
		}
		r.timer = time.AfterFunc(value, fire)
	}
	return oldRemain, oldInterval
}

// RealTimer returns the remaining time and interval of ITIMER_REAL.
func (t *Task) RealTimer() (time.Duration, time.Duration) {
	t.tg.sigMu.Lock()
	r := t.tg.itimer
	t.tg.sigMu.Unlock()
	if r == nil {
		return 0, 0
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.deadline.IsZero() {
		return 0, r.interval
	}
	return max(time.Until(r.deadline), time.Microsecond), r.interval
}

// checkNproc enforces RLIMIT_NPROC at clone as Linux's copy_process does:
// EAGAIN when the caller's real user already runs as many tasks (threads
// count, and zombies until reaped) as the limit, unless it is root or has CAP_SYS_RESOURCE or
// CAP_SYS_ADMIN. Free while the limit is infinite; else one pass over
// the tasks.
func (t *Task) checkNproc() error {
	c := t.Credentials()
	if c.RUID == 0 || c.HasCapability(unix.CAP_SYS_RESOURCE) || c.HasCapability(unix.CAP_SYS_ADMIN) {
		return nil
	}
	tg := t.tg
	tg.limitsMu.Lock()
	limit := tg.rlimits[unix.RLIMIT_NPROC].Cur
	tg.limitsMu.Unlock()
	if limit == RLimInfinity {
		return nil
	}
	k := t.k
	k.mu.Lock()
	defer k.mu.Unlock()
	var n uint64
	// Zombies count until reaped, as on Linux (they stay in k.tasks).
	for _, o := range k.tasks {
		if o.Credentials().RUID == c.RUID {
			n++
		}
	}
	if n >= limit {
		return unix.EAGAIN
	}
	return nil
}
