package kernel_test

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel/kerneltest"
)

// TestPosixTimerOverruns: an interval timer whose signal stays blocked
// queues it once and counts the other expiries as overruns, which the
// taken siginfo and timer_getoverrun report; a deleted timer is gone.
func TestPosixTimerOverruns(t *testing.T) {
	e := newEnv(t)
	e.Run(rootCreds(), func(a *kerneltest.App) {
		sigprocmask(a, unix.SIG_BLOCK, linux.SIGUSR1.Mask())
		ev := uintptr(kerneltest.DataAddr + 0x900)
		a.Store64(ev, 77)                      // sigval
		a.Store32(ev+8, uint32(linux.SIGUSR1)) // signo
		a.Store32(ev+12, 0)                    // SIGEV_SIGNAL
		idAddr := ev + 0x40
		wantErrno(t, "timer_create", errnoOf(a, unix.SYS_TIMER_CREATE, unix.CLOCK_MONOTONIC, ev, idAddr), 0)
		id := uintptr(a.Load32(idAddr))
		spec := ev + 0x80 // interval 1 ms, value 1 ms
		a.Store64(spec, 0)
		a.Store64(spec+8, 1_000_000)
		a.Store64(spec+16, 0)
		a.Store64(spec+24, 1_000_000)
		wantErrno(t, "timer_settime", errnoOf(a, unix.SYS_TIMER_SETTIME, id, 0, spec, 0), 0)
		ts := ev + 0xc0 // 30 ms
		a.Store64(ts, 0)
		a.Store64(ts+8, 30_000_000)
		a.Call(unix.SYS_NANOSLEEP, ts, 0)

		a.Store64(setAddr, uint64(linux.SIGUSR1.Mask()))
		sig, errno := a.Call(unix.SYS_RT_SIGTIMEDWAIT, setAddr, infoAddr, 0, 8)
		wantErrno(t, "rt_sigtimedwait", errno, 0)
		wantEq(t, "signal", sig, uintptr(linux.SIGUSR1))
		wantEq(t, "si_code", int32(a.Load32(infoAddr+8)), linux.SI_TIMER)
		wantEq(t, "si_timerid", uintptr(a.Load32(infoAddr+16)), id)
		overrun := int32(a.Load32(infoAddr + 20))
		if overrun < 5 {
			t.Errorf("si_overrun = %d after 30 ms of a 1 ms timer, want >= 5", overrun)
		}
		wantEq(t, "si_value", a.Load64(infoAddr+24), 77)
		n, _ := a.Call(unix.SYS_TIMER_GETOVERRUN, id)
		wantEq(t, "timer_getoverrun", int32(n), overrun)
		wantErrno(t, "timer_delete", errnoOf(a, unix.SYS_TIMER_DELETE, id), 0)
		wantErrno(t, "timer_delete again", errnoOf(a, unix.SYS_TIMER_DELETE, id), unix.EINVAL)
	})
}
