package linux

import (
	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/sentry/arch"
	"github.com/cocoon-sandbox/cocoon/sentry/fsimpl/signalfd"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
)

// noteSignalfd is the table's note on signalfd and signalfd4.
const noteSignalfd = "poll and epoll see the signals pending for the process that made the signalfd " +
	"(Linux: for the polling thread), so a child that inherits one must read it or make its own; " +
	"ssi_utime and ssi_stime of SIGCHLD are 0; no /proc/[pid]/fdinfo"

// Signalfd implements Linux syscall signalfd(2).
func Signalfd(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return signalfd4(t, int32(a[0]), a[1], a[2], 0)
}

// Signalfd4 implements Linux syscall signalfd4(2).
func Signalfd4(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return signalfd4(t, int32(a[0]), a[1], a[2], int(int32(a[3])))
}

func signalfd4(t *kernel.Task, fd int32, maskAddr, size uintptr, flags int) (uintptr, error) {
	if flags&^(unix.SFD_CLOEXEC|unix.SFD_NONBLOCK) != 0 || size != sigsetSize {
		return 0, unix.EINVAL
	}
	var b [sigsetSize]byte
	if _, err := t.CopyIn(maskAddr, b[:]); err != nil {
		return 0, err
	}
	mask := linux.SignalSet(le.Uint64(b[:]))
	if fd == -1 {
		return newAnonFD(t, signalfd.New(t, mask), unix.O_RDWR|uint32(flags&unix.SFD_NONBLOCK), flags&unix.SFD_CLOEXEC != 0)
	}
	f, err := t.FDTable().Get(fd)
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	s, ok := f.Impl().(*signalfd.SignalFD)
	if !ok || f.IsPath() {
		return 0, unix.EINVAL
	}
	s.SetMask(mask)
	return uintptr(fd), nil
}
