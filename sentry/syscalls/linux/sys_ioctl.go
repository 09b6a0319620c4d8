package linux

import (
	"encoding/binary"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/arch"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// Generic ioctl requests (asm-generic/ioctls.h).
const (
	ioctlFIONBIO  = 0x5421
	ioctlFIONCLEX = 0x5450
	ioctlFIOCLEX  = 0x5451
	ioctlFIOASYNC = 0x5452
)

// Ioctl implements Linux syscall ioctl(2): the generic requests FIOCLEX,
// FIONCLEX, FIONBIO and FIOASYNC here, the rest by the file.
func Ioctl(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	fd, cmd, arg := int32(a[0]), uint32(a[1]), a[2]
	f, err := t.FDTable().Get(fd)
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	if f.IsPath() {
		return 0, unix.EBADF
	}
	switch cmd {
	case ioctlFIOCLEX:
		return 0, t.FDTable().SetFlags(fd, vfs.FDFlagCloexec)
	case ioctlFIONCLEX:
		return 0, t.FDTable().SetFlags(fd, 0)
	case ioctlFIONBIO, ioctlFIOASYNC:
		var b [4]byte
		if _, err := t.CopyIn(arg, b[:]); err != nil {
			return 0, err
		}
		bit := uint32(unix.O_NONBLOCK)
		if cmd == ioctlFIOASYNC {
			bit = unix.O_ASYNC
		}
		fl := f.StatusFlags()
		if binary.LittleEndian.Uint32(b[:]) != 0 {
			fl |= bit
		} else {
			fl &^= bit
		}
		f.SetStatusFlags(fl)
		return 0, nil
	}
	return f.Ioctl(t, t, cmd, arg)
}
