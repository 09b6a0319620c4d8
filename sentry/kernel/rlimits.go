package kernel

import (
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
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

// Rlimit reads and optionally replaces resource limit res (prlimit64).
func (t *Task) Rlimit(res int, newLim *RLimit) (RLimit, error) {
	if res < 0 || res >= numRlimits {
		return RLimit{}, unix.EINVAL
	}
	old := t.rlimits[res]
	if newLim != nil {
		if newLim.Cur > newLim.Max {
			return RLimit{}, unix.EINVAL
		}
		if newLim.Max > old.Max && !t.Credentials().HasCapability(unix.CAP_SYS_RESOURCE) {
			return RLimit{}, unix.EPERM
		}
		t.rlimits[res] = *newLim
	}
	return old, nil
}

// FileSizeLimit returns the soft RLIMIT_FSIZE (vfs.FileSizeLimiter):
// RLimInfinity, math.MaxUint64, for none.
func (t *Task) FileSizeLimit() uint64 { return t.rlimits[unix.RLIMIT_FSIZE].Cur }

// realTimer is ITIMER_REAL: it sends SIGALRM to its task.
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

// SetRealTimer arms ITIMER_REAL (alarm, setitimer) to fire after value and
// then every interval (0: once). It returns the previous remaining time and
// interval.
func (t *Task) SetRealTimer(value, interval time.Duration) (time.Duration, time.Duration) {
	t.sigMu.Lock()
	if t.itimer == nil {
		t.itimer = &realTimer{}
	}
	r := t.itimer
	t.sigMu.Unlock()
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
			t.SendSignalNo(linux.SIGALRM)
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
	t.sigMu.Lock()
	r := t.itimer
	t.sigMu.Unlock()
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
