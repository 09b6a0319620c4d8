package kernel

import (
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
)

// cpuTick is how often armed CPU-time timers are checked, as Linux checks
// them at the scheduler tick (4 ms at HZ=250).
const cpuTick = 4 * time.Millisecond

// cpuTimers drives the timers that count CPU time (POSIX timers on CPU
// clocks, ITIMER_VIRTUAL, ITIMER_PROF): while any is armed, one ticker
// goroutine checks them every cpuTick, so that a thread spinning in
// application code, which never enters the sentry, still sees them fire.
// mu is a leaf lock.
type cpuTimers struct {
	mu    sync.Mutex
	armed map[*posixTimer]struct{}
	// running is set while the ticker goroutine runs.
	running bool
}

func (c *cpuTimers) add(p *posixTimer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.armed == nil {
		c.armed = make(map[*posixTimer]struct{})
	}
	c.armed[p] = struct{}{}
	if !c.running {
		c.running = true
		go c.tick(p.tg.k)
	}
}

func (c *cpuTimers) remove(p *posixTimer) {
	c.mu.Lock()
	delete(c.armed, p)
	c.mu.Unlock()
}

// tick checks the armed timers until none is left.
func (c *cpuTimers) tick(k *Kernel) {
	t := time.NewTicker(cpuTick)
	defer t.Stop()
	var due []*posixTimer
	for range t.C {
		c.mu.Lock()
		if len(c.armed) == 0 {
			c.running = false
			c.mu.Unlock()
			return
		}
		due = due[:0]
		for p := range c.armed {
			due = append(due, p)
		}
		c.mu.Unlock()
		for _, p := range due {
			p.expire(k)
		}
	}
}

// CPUTime returns the thread's CPU time, counting the application code it
// is running now.
func (t *Task) CPUTime() time.Duration {
	d := t.cpuTime.Load()
	if start := t.switchStart.Load(); start != 0 {
		d += time.Now().UnixNano() - start
	}
	return time.Duration(d)
}

// CPUTime returns the CPU time of the process: its live threads' and
// those that left.
func (tg *ThreadGroup) CPUTime() time.Duration {
	k := tg.k
	k.mu.Lock()
	defer k.mu.Unlock()
	d := tg.exitedUserTime
	for _, t := range tg.tasks {
		d += t.CPUTime()
	}
	return d
}

// ITIMER_VIRTUAL and ITIMER_PROF (setitimer(2)) as CPU-time timers of the
// process. The sentry counts only the time threads spend in application
// code, so both count the same.
const (
	ItimerReal    = 0
	ItimerVirtual = 1
	ItimerProf    = 2
)

// SetCPUItimer arms ITIMER_VIRTUAL or ITIMER_PROF and returns the old
// setting.
func (t *Task) SetCPUItimer(which int, spec TimerSpec) (TimerSpec, error) {
	p, err := t.cpuItimer(which)
	if err != nil {
		return TimerSpec{}, err
	}
	return p.arm(t.k, false, spec), nil
}

// CPUItimer returns the setting of ITIMER_VIRTUAL or ITIMER_PROF.
func (t *Task) CPUItimer(which int) (TimerSpec, error) {
	p, err := t.cpuItimer(which)
	if err != nil {
		return TimerSpec{}, err
	}
	return p.get(t.k), nil
}

func (t *Task) cpuItimer(which int) (*posixTimer, error) {
	tg := t.tg
	var sig linux.Signal
	switch which {
	case ItimerVirtual:
		sig = linux.SIGVTALRM
	case ItimerProf:
		sig = linux.SIGPROF
	default:
		return nil, unix.EINVAL
	}
	tg.timersMu.Lock()
	defer tg.timersMu.Unlock()
	p := tg.cpuItimers[which-1]
	if p == nil {
		p = &posixTimer{tg: tg, itimer: true, clock: TimerClock{ID: unix.CLOCK_PROCESS_CPUTIME_ID, Task: t},
			ev: Sigevent{Notify: SigevSignal, Signo: sig}}
		tg.cpuItimers[which-1] = p
	}
	return p, nil
}
