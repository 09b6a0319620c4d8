package linux

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/sentry/arch"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
)

const sigsetSize = 8

// Kill implements Linux syscall kill(2).
func Kill(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, t.KillPID(int32(a[0]), linux.Signal(a[1]))
}

// Tkill implements Linux syscall tkill(2).
func Tkill(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	if int32(a[0]) <= 0 {
		return 0, unix.EINVAL
	}
	return 0, t.TGKill(0 /* any process */, int32(a[0]), linux.Signal(a[1]))
}

// Tgkill implements Linux syscall tgkill(2).
func Tgkill(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	tgid, tid := int32(a[0]), int32(a[1])
	if tgid <= 0 || tid <= 0 {
		return 0, unix.EINVAL
	}
	return 0, t.TGKill(tgid, tid, linux.Signal(a[2]))
}

// RtSigaction implements Linux syscall rt_sigaction(2).
func RtSigaction(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	sig, newAddr, oldAddr, size := linux.Signal(a[0]), a[1], a[2], a[3]
	if size != sigsetSize || !sig.Valid() {
		return 0, unix.EINVAL
	}
	var buf [32]byte
	var newAct *linux.SigAction
	if newAddr != 0 {
		if sig == linux.SIGKILL || sig == linux.SIGSTOP {
			return 0, unix.EINVAL
		}
		if _, err := t.CopyIn(newAddr, buf[:]); err != nil {
			return 0, err
		}
		newAct = &linux.SigAction{
			Handler:  le.Uint64(buf[0:]),
			Flags:    le.Uint64(buf[8:]),
			Restorer: le.Uint64(buf[16:]),
			Mask:     linux.SignalSet(le.Uint64(buf[24:])) &^ linux.UnblockableSignals,
		}
	}
	old := t.SigAction(sig, newAct)
	if oldAddr != 0 {
		le.PutUint64(buf[0:], old.Handler)
		le.PutUint64(buf[8:], old.Flags)
		le.PutUint64(buf[16:], old.Restorer)
		le.PutUint64(buf[24:], uint64(old.Mask))
		if _, err := t.CopyOut(oldAddr, buf[:]); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

// RtSigprocmask implements Linux syscall rt_sigprocmask(2).
func RtSigprocmask(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	how, setAddr, oldAddr, size := int(a[0]), a[1], a[2], a[3]
	if size != sigsetSize {
		return 0, unix.EINVAL
	}
	old := t.SignalMask()
	if setAddr != 0 {
		set, err := copyInSigset(t, setAddr)
		if err != nil {
			return 0, err
		}
		switch how {
		case linux.SIG_BLOCK:
			t.SetSignalMask(old | set)
		case linux.SIG_UNBLOCK:
			t.SetSignalMask(old &^ set)
		case linux.SIG_SETMASK:
			t.SetSignalMask(set)
		default:
			return 0, unix.EINVAL
		}
	}
	if oldAddr != 0 {
		if err := copyOutSigset(t, oldAddr, old); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

func copyInSigset(t *kernel.Task, addr uintptr) (linux.SignalSet, error) {
	var b [8]byte
	if _, err := t.CopyIn(addr, b[:]); err != nil {
		return 0, err
	}
	return linux.SignalSet(le.Uint64(b[:])), nil
}

func copyOutSigset(t *kernel.Task, addr uintptr, s linux.SignalSet) error {
	var b [8]byte
	le.PutUint64(b[:], uint64(s))
	_, err := t.CopyOut(addr, b[:])
	return err
}

// RtSigreturn implements Linux syscall rt_sigreturn(2).
func RtSigreturn(t *kernel.Task, _ arch.SyscallArgs) (uintptr, error) { return 0, t.SigReturn() }

// RtSigpending implements Linux syscall rt_sigpending(2).
func RtSigpending(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	if a[1] != sigsetSize {
		return 0, unix.EINVAL
	}
	return 0, copyOutSigset(t, a[0], t.PendingSignals()&t.SignalMask())
}

// RtSigsuspend implements Linux syscall rt_sigsuspend(2).
func RtSigsuspend(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	if a[1] != sigsetSize {
		return 0, unix.EINVAL
	}
	set, err := copyInSigset(t, a[0])
	if err != nil {
		return 0, err
	}
	t.SetSavedSignalMask(set)
	t.Block(nil)
	return 0, kernel.ErrRestartNoHand
}

// Pause implements Linux syscall pause(2).
func Pause(t *kernel.Task, _ arch.SyscallArgs) (uintptr, error) {
	t.Block(nil)
	return 0, kernel.ErrRestartNoHand
}

// Sigaltstack implements Linux syscall sigaltstack(2).
func Sigaltstack(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	newAddr, oldAddr := a[0], a[1]
	var buf [24]byte
	var sp, size uint64
	var flags int32
	if newAddr != 0 {
		if _, err := t.CopyIn(newAddr, buf[:]); err != nil {
			return 0, err
		}
		sp, flags, size = le.Uint64(buf[0:]), int32(le.Uint32(buf[8:])), le.Uint64(buf[16:])
		if flags&^linux.SS_DISABLE != 0 {
			return 0, unix.EINVAL
		}
		if flags&linux.SS_DISABLE == 0 && size < linux.MINSIGSTKSZ {
			return 0, unix.ENOMEM
		}
	}
	oSP, oSize, oFlags, ok := t.SigAltStack(sp, size, flags, newAddr != 0)
	if !ok {
		return 0, unix.EPERM
	}
	if oldAddr != 0 {
		clear(buf[:])
		le.PutUint64(buf[0:], oSP)
		le.PutUint32(buf[8:], uint32(oFlags))
		le.PutUint64(buf[16:], oSize)
		if _, err := t.CopyOut(oldAddr, buf[:]); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

// Alarm implements Linux syscall alarm(2).
func Alarm(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	old, _ := t.SetRealTimer(time.Duration(uint32(a[0]))*time.Second, 0)
	secs := (old + time.Second/2) / time.Second
	if old > 0 && secs == 0 {
		secs = 1
	}
	return uintptr(secs), nil
}

// itimerval is two timevals: interval then value.
func encodeItimerval(b []byte, value, interval time.Duration) {
	le.PutUint64(b[0:], uint64(interval/time.Second))
	le.PutUint64(b[8:], uint64(interval%time.Second/time.Microsecond))
	le.PutUint64(b[16:], uint64(value/time.Second))
	le.PutUint64(b[24:], uint64(value%time.Second/time.Microsecond))
}

// Setitimer implements Linux syscall setitimer(2): ITIMER_REAL on the
// wall clock, ITIMER_VIRTUAL and ITIMER_PROF on the process's CPU time.
func Setitimer(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	which, newAddr, oldAddr := int(a[0]), a[1], a[2]
	if which < kernel.ItimerReal || which > kernel.ItimerProf {
		return 0, unix.EINVAL
	}
	var b [32]byte
	var value, interval time.Duration
	if newAddr != 0 {
		if _, err := t.CopyIn(newAddr, b[:]); err != nil {
			return 0, err
		}
		var err error
		if interval, err = timevalDuration(b[0:]); err != nil {
			return 0, err
		}
		if value, err = timevalDuration(b[16:]); err != nil {
			return 0, err
		}
	}
	var oldV, oldI time.Duration
	if which == kernel.ItimerReal {
		oldV, oldI = t.SetRealTimer(value, interval)
	} else {
		old, err := t.SetCPUItimer(which, kernel.TimerSpec{Value: int64(value), Interval: int64(interval)})
		if err != nil {
			return 0, err
		}
		oldV, oldI = time.Duration(old.Value), time.Duration(old.Interval)
	}
	if oldAddr != 0 {
		encodeItimerval(b[:], oldV, oldI)
		if _, err := t.CopyOut(oldAddr, b[:]); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

// Getitimer implements Linux syscall getitimer(2).
func Getitimer(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	which := int(a[0])
	var v, i time.Duration
	switch which {
	case kernel.ItimerReal:
		v, i = t.RealTimer()
	case kernel.ItimerVirtual, kernel.ItimerProf:
		s, err := t.CPUItimer(which)
		if err != nil {
			return 0, err
		}
		v, i = time.Duration(s.Value), time.Duration(s.Interval)
	default:
		return 0, unix.EINVAL
	}
	var b [32]byte
	encodeItimerval(b[:], v, i)
	_, err := t.CopyOut(a[1], b[:])
	return 0, err
}

func timevalDuration(b []byte) (time.Duration, error) {
	sec, usec := int64(le.Uint64(b)), int64(le.Uint64(b[8:]))
	if sec < 0 || usec < 0 || usec >= 1e6 || sec > 1<<32 {
		return 0, unix.EINVAL
	}
	return time.Duration(sec)*time.Second + time.Duration(usec)*time.Microsecond, nil
}

// RtSigtimedwait implements Linux syscall rt_sigtimedwait(2).
func RtSigtimedwait(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	setAddr, infoAddr, timeoutAddr, size := a[0], a[1], a[2], a[3]
	if size != sigsetSize {
		return 0, unix.EINVAL
	}
	set, err := copyInSigset(t, setAddr)
	if err != nil {
		return 0, err
	}
	var deadline <-chan struct{}
	if timeoutAddr != 0 {
		ns, err := copyInTimespec(t, timeoutAddr)
		if err != nil {
			return 0, err
		}
		done := make(chan struct{})
		timer := time.AfterFunc(time.Duration(ns), func() { close(done) })
		defer timer.Stop()
		deadline = done
	}
	info, err := t.SigTimedWait(set, deadline)
	if err != nil {
		return 0, err
	}
	if infoAddr != 0 {
		var b [linux.SignalInfoSize]byte
		info.Encode(b[:])
		if _, err := t.CopyOut(infoAddr, b[:]); err != nil {
			return 0, err
		}
	}
	return uintptr(info.Signo), nil
}

// RtSigqueueinfo implements Linux syscall rt_sigqueueinfo(2).
func RtSigqueueinfo(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, sigqueue(t, int32(a[0]), 0 /* the process */, linux.Signal(a[1]), a[2])
}

// RtTgsigqueueinfo implements Linux syscall rt_tgsigqueueinfo(2).
func RtTgsigqueueinfo(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	if int32(a[1]) <= 0 {
		return 0, unix.EINVAL
	}
	return 0, sigqueue(t, int32(a[0]), int32(a[1]), linux.Signal(a[2]), a[3])
}

// sigqueue sends sig with the caller's siginfo (its code and value; the
// sender's PID and UID are the caller's own) to process tgid, or to its
// thread tid if that is not 0.
func sigqueue(t *kernel.Task, tgid, tid int32, sig linux.Signal, infoAddr uintptr) error {
	if tgid <= 0 || tid < 0 {
		return unix.EINVAL
	}
	if !sig.Valid() {
		return unix.EINVAL
	}
	var b [linux.SignalInfoSize]byte
	if _, err := t.CopyIn(infoAddr, b[:]); err != nil {
		return err
	}
	code := int32(le.Uint32(b[8:]))
	// Only codes a process may forge: negative ones other than SI_TKILL,
	// unless it signals itself.
	if (code >= 0 || code == linux.SI_TKILL) && tgid != t.ThreadGroup().ID() {
		return unix.EPERM
	}
	return t.QueueSignal(tgid, tid, linux.SignalInfo{Signo: int32(sig), Code: code, Value: le.Uint64(b[24:])})
}
