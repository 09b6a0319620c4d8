package platformtest

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/cocoon-sandbox/cocoon/platform"
)

// watchdog fails the test and keeps interrupting ctx if the test has not
// called the returned stop function within d: a lost interrupt would
// otherwise hang Switch forever on a spinning thread.
func watchdog(t *testing.T, ctx platform.Context, d time.Duration) (stop func()) {
	done := make(chan struct{})
	var fired atomic.Bool
	go func() {
		select {
		case <-done:
			return
		case <-time.After(d):
		}
		fired.Store(true)
		for {
			ctx.Interrupt()
			select {
			case <-done:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	return func() {
		close(done)
		if fired.Load() {
			t.Errorf("watchdog fired: an interrupt was lost")
		}
	}
}

func testInterruptRunning(t *testing.T, e *env) {
	st := e.code(e.as, spin)
	defer watchdog(t, e.ctx, 10*time.Second)()
	for i, delay := range []time.Duration{0, time.Microsecond, 100 * time.Microsecond, 5 * time.Millisecond, 30 * time.Millisecond} {
		go func() {
			time.Sleep(delay)
			e.ctx.Interrupt()
		}()
		ev, info := e.run(e.as, st)
		if ev != platform.EventInterrupted {
			t.Fatalf("round %d: event %v (%+v), want EventInterrupted", i, ev, info)
		}
		if st.IP() != codeAddr {
			t.Fatalf("round %d: rip = %#x, want the spin loop at %#x", i, st.IP(), codeAddr)
		}
	}
}

func testInterruptNotRunning(t *testing.T, e *env) {
	st := e.code(e.as, syscallLoop)
	e.expect(e.as, st, platform.EventSyscall)
	e.ctx.Interrupt()
	before := st.Regs
	e.expect(e.as, st, platform.EventInterrupted)
	if st.Regs != before {
		t.Errorf("registers changed by an interrupted Switch that should not have run")
	}
	// Consumed: the next Switch runs.
	e.expect(e.as, st, platform.EventSyscall)
	e.expect(e.as, st, platform.EventSyscall)
}

// testInterruptRace interrupts a thread that makes system calls as fast as
// it can, so interrupts land while it runs, while it is stopped and in
// between. Every interrupt must be reported exactly by some later Switch
// (it is not lost), and nothing may come back but system calls and
// interrupts (a stale interrupt signal is never misreported).
func testInterruptRace(t *testing.T, e *env) {
	st := e.code(e.as, syscallLoop)
	st.Regs.Rax = 1
	const rounds = 300
	reported := make(chan struct{})
	go func() {
		for i := 0; i < rounds; i++ {
			if i%3 != 0 {
				time.Sleep(time.Duration(i%7) * 10 * time.Microsecond)
			}
			e.ctx.Interrupt()
			<-reported
		}
	}()
	defer watchdog(t, e.ctx, 20*time.Second)()
	got := 0
	for got < rounds {
		ev, info := e.run(e.as, st)
		switch ev {
		case platform.EventInterrupted:
			got++
			reported <- struct{}{}
		case platform.EventSyscall:
			if st.SyscallNo() != 1 {
				t.Fatalf("system call %d, want 1", st.SyscallNo())
			}
			st.SetReturn(1)
		default:
			t.Fatalf("event %v (%+v) while racing interrupts", ev, info)
		}
	}
	// No interrupt is outstanding now: the next Switches are plain.
	for i := 0; i < 5; i++ {
		e.expect(e.as, st, platform.EventSyscall)
		st.SetReturn(1)
	}
}
