package linux

import (
	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/sentry/arch"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
)

// pidfdNonblock is PIDFD_NONBLOCK (O_NONBLOCK).
const pidfdNonblock = unix.O_NONBLOCK

// PidfdOpen implements Linux syscall pidfd_open(2).
func PidfdOpen(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	pid, flags := int32(a[0]), uint32(a[1])
	if flags&^pidfdNonblock != 0 || pid <= 0 {
		return 0, unix.EINVAL
	}
	f, err := t.PIDFDOpen(pid, flags)
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	fd, err := t.FDTable().NewFD(f, 0, true)
	return uintptr(fd), err
}

// pidfdProcess returns the process of pidfd fd: EBADF for no file, and
// EBADF for a file that is not a pidfd, as Linux.
func pidfdProcess(t *kernel.Task, fd int32) (*kernel.ThreadGroup, error) {
	f, err := t.FDTable().Get(fd)
	if err != nil {
		return nil, err
	}
	defer f.DecRef()
	p, ok := f.Impl().(*kernel.PIDFD)
	if !ok {
		return nil, unix.EBADF
	}
	return p.ThreadGroup(), nil
}

// PidfdSendSignal implements Linux syscall pidfd_send_signal(2).
func PidfdSendSignal(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	fd, sig, infoAddr, flags := int32(a[0]), linux.Signal(a[1]), a[2], a[3]
	if flags != 0 {
		return 0, unix.EINVAL
	}
	tg, err := pidfdProcess(t, fd)
	if err != nil {
		return 0, err
	}
	var info *linux.SignalInfo
	if infoAddr != 0 {
		var b [linux.SignalInfoSize]byte
		if _, err := t.CopyIn(infoAddr, b[:]); err != nil {
			return 0, err
		}
		info = &linux.SignalInfo{Signo: int32(le.Uint32(b[0:])), Code: int32(le.Uint32(b[8:])),
			PID: t.ThreadGroup().ID(), UID: t.Credentials().RUID, Value: le.Uint64(b[24:])}
	}
	return 0, t.PIDFDSendSignal(tg, sig, info)
}

// PidfdGetfd implements Linux syscall pidfd_getfd(2): the new descriptor
// is close-on-exec.
func PidfdGetfd(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	pidfd, targetFD, flags := int32(a[0]), int32(a[1]), a[2]
	if flags != 0 {
		return 0, unix.EINVAL
	}
	tg, err := pidfdProcess(t, pidfd)
	if err != nil {
		return 0, err
	}
	f, err := t.PIDFDGetFD(tg, targetFD)
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	fd, err := t.FDTable().NewFD(f, 0, true)
	return uintptr(fd), err
}
