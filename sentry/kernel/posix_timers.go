package kernel

import (
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
)

// POSIX timers (timer_create(2) and friends) of a process, on a wall or
// monotonic clock or on CPU time. A timer notifies by a signal to the
// process (SIGEV_SIGNAL), to one of its threads (SIGEV_THREAD_ID), or not
// at all (SIGEV_NONE). As in Linux, a timer has one signal instance: while
// it is pending, further expiries count as overruns, which the delivered
// siginfo and timer_getoverrun report.
//
// Locking: ThreadGroup.timersMu guards the table; posixTimer.mu guards a
// timer's state. Order: Kernel.mu, ThreadGroup.sigMu, timersMu,
// posixTimer.mu, cpuTimers.mu; a timer's mu is never held while reading
// a clock (CPU clocks take Kernel.mu) or sending a signal. The CPU-time
// timers are driven by cpuTimers (cpu_timers.go).

// Sigevent notify values (sigevent(7)).
const (
	SigevSignal   = 0
	SigevNone     = 1
	SigevThread   = 2
	SigevThreadID = 4
)

// maxPosixTimers bounds the timers of one process (Linux's bound is the
// memory for their signal instances).
const maxPosixTimers = 1 << 14

// TimerSpec is struct itimerspec in nanoseconds: Value is the time to the
// next expiry (0: disarmed), Interval the period (0: one-shot). Its fields
// are in timerfd.Spec's order, so either converts to the other.
type TimerSpec struct{ Interval, Value int64 }

// Sigevent is the decoded struct sigevent of timer_create.
type Sigevent struct {
	Notify   int32
	Signo    linux.Signal
	Value    uint64
	ThreadID int32
	// ValueIsID makes the sigval the timer's ID (timer_create without a
	// sigevent).
	ValueIsID bool
}

// TimerClock is what a timer counts: a clock of the kernel, or the CPU
// time of a process or thread.
type TimerClock struct {
	// ID is CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME (or an
	// _ALARM variant), CLOCK_PROCESS_CPUTIME_ID or CLOCK_THREAD_CPUTIME_ID.
	ID int32
	// Task is the thread (thread CPU clock) or a thread of the process
	// (process CPU clock) whose CPU time is counted.
	Task *Task
}

// now returns the clock's current time in nanoseconds.
func (c TimerClock) now(k *Kernel) int64 {
	switch c.ID {
	case unix.CLOCK_REALTIME, unix.CLOCK_REALTIME_ALARM, unix.CLOCK_TAI:
		return time.Now().UnixNano()
	case unix.CLOCK_PROCESS_CPUTIME_ID:
		return int64(c.Task.tg.CPUTime())
	case unix.CLOCK_THREAD_CPUTIME_ID:
		return int64(c.Task.CPUTime())
	}
	return int64(time.Since(k.bootTime))
}

// cpu reports whether the clock counts CPU time.
func (c TimerClock) cpu() bool {
	return c.ID == unix.CLOCK_PROCESS_CPUTIME_ID || c.ID == unix.CLOCK_THREAD_CPUTIME_ID
}

type posixTimer struct {
	tg    *ThreadGroup
	id    int32
	clock TimerClock
	ev    Sigevent
	// target is the thread SIGEV_THREAD_ID names.
	target *Task
	// itimer marks ITIMER_VIRTUAL and ITIMER_PROF, which are not in the
	// process's table and signal with SI_KERNEL.
	itimer bool

	mu sync.Mutex
	// deadline is the next expiry on the clock (0: disarmed).
	deadline, interval int64
	wall               *time.Timer
	// overrun counts the expiries while the signal was pending;
	// overrunLast is what the last delivered signal reported.
	overrun, overrunLast int32
	deleted              bool
}

// CreateTimer makes a timer of the task's process (timer_create) and
// returns its ID. EINVAL for a bad notification; EAGAIN when the process
// has too many.
func (t *Task) CreateTimer(clock TimerClock, ev Sigevent) (int32, error) {
	p := &posixTimer{tg: t.tg, clock: clock, ev: ev}
	switch ev.Notify {
	case SigevSignal | SigevThreadID:
		o := t.k.TaskByTID(ev.ThreadID)
		if o == nil || o.tg != t.tg {
			return 0, unix.EINVAL
		}
		p.target = o
		fallthrough
	case SigevSignal, SigevThread:
		if !ev.Signo.Valid() {
			return 0, unix.EINVAL
		}
	case SigevNone:
	default:
		return 0, unix.EINVAL
	}
	tg := t.tg
	tg.timersMu.Lock()
	defer tg.timersMu.Unlock()
	if len(tg.timers) >= maxPosixTimers {
		return 0, unix.EAGAIN
	}
	if tg.timers == nil {
		tg.timers = make(map[int32]*posixTimer)
	}
	for {
		id := tg.nextTimerID
		tg.nextTimerID = (tg.nextTimerID + 1) & 0x7fffffff
		if _, used := tg.timers[id]; !used {
			p.id = id
			if ev.ValueIsID {
				p.ev.Value = uint64(id)
			}
			break
		}
	}
	tg.timers[p.id] = p
	return p.id, nil
}

func (tg *ThreadGroup) timer(id int32) (*posixTimer, error) {
	tg.timersMu.Lock()
	defer tg.timersMu.Unlock()
	if p, ok := tg.timers[id]; ok {
		return p, nil
	}
	return nil, unix.EINVAL
}

// SetTimer arms (or, with a zero value, disarms) timer id
// (timer_settime); abs says the value is a time on the timer's clock. It
// returns the previous setting.
func (t *Task) SetTimer(id int32, abs bool, spec TimerSpec) (TimerSpec, error) {
	p, err := t.tg.timer(id)
	if err != nil {
		return TimerSpec{}, err
	}
	return p.arm(t.k, abs, spec), nil
}

// GetTimer returns timer id's setting (timer_gettime).
func (t *Task) GetTimer(id int32) (TimerSpec, error) {
	p, err := t.tg.timer(id)
	if err != nil {
		return TimerSpec{}, err
	}
	return p.get(t.k), nil
}

// TimerOverrun returns the overrun count of timer id's last delivered
// signal (timer_getoverrun).
func (t *Task) TimerOverrun(id int32) (int32, error) {
	p, err := t.tg.timer(id)
	if err != nil {
		return 0, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.overrunLast, nil
}

// DeleteTimer disarms and removes timer id (timer_delete).
func (t *Task) DeleteTimer(id int32) error {
	tg := t.tg
	tg.timersMu.Lock()
	p, ok := tg.timers[id]
	delete(tg.timers, id)
	tg.timersMu.Unlock()
	if !ok {
		return unix.EINVAL
	}
	p.stop(t.k)
	return nil
}

// deleteTimers removes every POSIX timer of the process (execve, exit);
// at exit (withItimers) the CPU-time itimers stop too, while execve keeps
// them, as Linux does.
func (tg *ThreadGroup) deleteTimers(withItimers bool) {
	tg.timersMu.Lock()
	timers := tg.timers
	tg.timers = nil
	var itimers [2]*posixTimer
	if withItimers {
		itimers, tg.cpuItimers = tg.cpuItimers, [2]*posixTimer{}
	}
	tg.timersMu.Unlock()
	for _, p := range timers {
		p.stop(tg.k)
	}
	for _, p := range itimers {
		if p != nil {
			p.stop(tg.k)
		}
	}
}

func (p *posixTimer) stop(k *Kernel) {
	p.mu.Lock()
	p.deleted = true
	p.disarmLocked(k)
	p.mu.Unlock()
}

// specAt returns the time left at now and the interval.
// Preconditions: p.mu is held.
func (p *posixTimer) specAt(now int64) TimerSpec {
	if p.deadline == 0 {
		return TimerSpec{Interval: p.interval}
	}
	left := p.deadline - now
	if left <= 0 {
		left = 1 // expired, not yet seen: Linux reports a tiny remainder
	}
	return TimerSpec{Value: left, Interval: p.interval}
}

func (p *posixTimer) disarmLocked(k *Kernel) {
	if p.wall != nil {
		p.wall.Stop()
		p.wall = nil
	}
	if p.deadline != 0 && p.clock.cpu() {
		k.cpuTimers.remove(p)
	}
	p.deadline = 0
}

// get returns the timer's setting now.
func (p *posixTimer) get(k *Kernel) TimerSpec {
	now := p.clock.now(k)
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.specAt(now)
}

// arm is set, then the expiry at once if the new value is already past.
// It returns the old setting.
func (p *posixTimer) arm(k *Kernel, abs bool, spec TimerSpec) TimerSpec {
	old, fireNow := p.set(k, abs, spec)
	if fireNow {
		p.expire(k)
	}
	return old
}

// set arms the timer and returns the old setting; fireNow says the new
// deadline has already passed.

func (p *posixTimer) set(k *Kernel, abs bool, spec TimerSpec) (old TimerSpec, fireNow bool) {
	now := p.clock.now(k)
	p.mu.Lock()
	defer p.mu.Unlock()
	old = p.specAt(now)
	p.disarmLocked(k)
	p.interval = spec.Interval
	if spec.Value == 0 || p.deleted {
		return old, false
	}
	deadline := now + spec.Value
	if abs {
		deadline = spec.Value
	}
	if deadline <= now {
		p.deadline = now
		return old, true
	}
	p.armLocked(k, deadline, now)
	return old, false
}

// armLocked sets the next expiry.
func (p *posixTimer) armLocked(k *Kernel, deadline, now int64) {
	p.deadline = deadline
	if p.clock.cpu() {
		k.cpuTimers.add(p)
		return
	}
	p.wall = time.AfterFunc(time.Duration(deadline-now), func() { p.expire(k) })
}

// expire is the timer going off: it notifies and rearms an interval
// timer.
func (p *posixTimer) expire(k *Kernel) {
	now := p.clock.now(k)
	p.mu.Lock()
	if p.deleted || p.deadline == 0 {
		p.mu.Unlock()
		return
	}
	if now < p.deadline {
		// A CPU timer checked early, or a wall timer that a settime
		// replaced just now.
		p.mu.Unlock()
		return
	}
	missed := int32(0)
	if p.interval > 0 {
		// Expiries that passed without a tick count as overruns.
		n := (now - p.deadline) / p.interval
		missed = int32(min(n, 1<<30))
		p.armLocked(k, p.deadline+(n+1)*p.interval, now)
	} else {
		p.deadline = 0
		p.wall = nil
	}
	if p.ev.Notify == SigevNone {
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	target := p.target
	if target != nil && target.exited.Load() {
		target = nil
	}
	if p.itimer {
		p.tg.send(nil, &linux.SignalInfo{Signo: int32(p.ev.Signo), Code: linux.SI_KERNEL})
		return
	}
	info := &linux.SignalInfo{Signo: int32(p.ev.Signo), Code: linux.SI_TIMER, TimerID: p.id, Value: p.ev.Value}
	queued := p.tg.sendTimerSignal(target, info)
	p.mu.Lock()
	if queued {
		p.overrun = missed
	} else {
		// Its signal is still pending: one more overrun.
		p.overrun = int32(min(int64(p.overrun)+1+int64(missed), 1<<31-1))
	}
	p.mu.Unlock()
}

// sendTimerSignal queues a timer's signal unless an instance of it is
// still pending, and reports whether it did.
func (tg *ThreadGroup) sendTimerSignal(target *Task, info *linux.SignalInfo) bool {
	tg.sigMu.Lock()
	q := &tg.pending
	if target != nil {
		q = &target.pending
	}
	pending := q.hasTimer(linux.Signal(info.Signo), info.TimerID)
	tg.sigMu.Unlock()
	if pending {
		return false
	}
	tg.send(target, info)
	return true
}

// hasTimer reports whether the signal of timer id is queued as sig.
func (q *sigQueue) hasTimer(sig linux.Signal, id int32) bool {
	for i := range q.queue[sig] {
		if in := &q.queue[sig][i]; in.Code == linux.SI_TIMER && in.TimerID == id {
			return true
		}
	}
	return false
}

// timerDelivered fills in the overruns of a timer's signal as the task
// takes it, and resets them.
// Preconditions: tg.sigMu is held.
func (tg *ThreadGroup) timerDelivered(info *linux.SignalInfo) {
	tg.timersMu.Lock()
	p := tg.timers[info.TimerID]
	tg.timersMu.Unlock()
	if p == nil {
		return
	}
	p.mu.Lock()
	p.overrunLast, p.overrun = p.overrun, 0
	info.Overrun = p.overrunLast
	p.mu.Unlock()
}
