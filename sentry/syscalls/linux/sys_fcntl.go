package linux

import (
	"encoding/binary"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/arch"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// fcntl commands beyond x/sys's names.
const (
	fOFDGetlk  = 36
	fOFDSetlk  = 37
	fOFDSetlkw = 38
)

// Fcntl implements Linux syscall fcntl(2). Record locks are accepted and
// not enforced (one sandbox, cooperating processes): F_GETLK always
// reports the range unlocked.
func Fcntl(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	fd, cmd, arg := int32(a[0]), int(a[1]), a[2]
	f, err := t.FDTable().Get(fd)
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	switch cmd {
	case unix.F_DUPFD, unix.F_DUPFD_CLOEXEC:
		if int64(arg) < 0 || int64(arg) > int64(t.FDTable().Limit()) {
			return 0, unix.EINVAL
		}
		nfd, err := t.FDTable().NewFD(f, int32(arg), cmd == unix.F_DUPFD_CLOEXEC)
		return uintptr(nfd), err
	case unix.F_GETFD:
		fl, err := t.FDTable().GetFlags(fd)
		return uintptr(fl), err
	case unix.F_SETFD:
		return 0, t.FDTable().SetFlags(fd, int(arg)&vfs.FDFlagCloexec)
	case unix.F_GETFL:
		return uintptr(f.StatusFlags() | unix.O_LARGEFILE), nil
	}
	if f.IsPath() {
		return 0, unix.EBADF
	}
	switch cmd {
	case unix.F_SETFL:
		f.SetStatusFlags(uint32(arg))
		return 0, nil
	case unix.F_GETLK, fOFDGetlk:
		// struct flock starts with short l_type.
		var b [2]byte
		binary.LittleEndian.PutUint16(b[:], unix.F_UNLCK)
		_, err := t.CopyOut(arg, b[:])
		return 0, err
	case unix.F_SETLK, unix.F_SETLKW, fOFDSetlk, fOFDSetlkw:
		var b [32]byte
		if _, err := t.CopyIn(arg, b[:]); err != nil {
			return 0, err
		}
		switch typ := binary.LittleEndian.Uint16(b[:]); typ {
		case unix.F_RDLCK:
			if !f.Readable() {
				return 0, unix.EBADF
			}
		case unix.F_WRLCK:
			if !f.Writable() {
				return 0, unix.EBADF
			}
		case unix.F_UNLCK:
		default:
			return 0, unix.EINVAL
		}
		return 0, nil
	case unix.F_GETOWN, unix.F_SETOWN, unix.F_GETSIG, unix.F_SETSIG:
		return 0, nil
	case unix.F_GETPIPE_SZ:
		if f.VirtualDentry() != nil {
			return 0, unix.EBADF
		}
		return 65536, nil
	case unix.F_SETPIPE_SZ:
		if f.VirtualDentry() != nil {
			return 0, unix.EBADF
		}
		return max(arg, 65536), nil
	case unix.F_GET_SEALS, unix.F_ADD_SEALS:
		return 0, unix.EINVAL
	}
	return 0, unix.EINVAL
}

// Flock implements Linux syscall flock(2): accepted, not enforced.
func Flock(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	f, err := getFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	op := int(a[1]) &^ unix.LOCK_NB
	if op != unix.LOCK_SH && op != unix.LOCK_EX && op != unix.LOCK_UN {
		return 0, unix.EINVAL
	}
	return 0, nil
}

// Fsync implements Linux syscall fsync(2).
func Fsync(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	f, err := getFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	if f.IsPath() {
		return 0, unix.EBADF
	}
	return 0, f.Sync(t)
}

// Fdatasync implements Linux syscall fdatasync(2).
func Fdatasync(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) { return Fsync(t, a) }

// Sync implements Linux syscall sync(2): the sandbox's file systems are
// in memory or synced by the gofer's host.
func Sync(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) { return 0, nil }

// Syncfs implements Linux syscall syncfs(2).
func Syncfs(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	f, err := getFile(t, a[0])
	if err != nil {
		return 0, err
	}
	f.DecRef()
	return 0, nil
}

// Fadvise64 implements Linux syscall fadvise64(2): advice is accepted and
// ignored.
func Fadvise64(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	f, err := getFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	if !f.Impl().Seekable() {
		return 0, unix.ESPIPE
	}
	if int64(a[2]) < 0 || a[3] > 5 {
		return 0, unix.EINVAL
	}
	return 0, nil
}

// Fallocate implements Linux syscall fallocate(2).
func Fallocate(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	f, err := getFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	if !f.Writable() {
		return 0, unix.EBADF
	}
	off, length := int64(a[2]), int64(a[3])
	if off < 0 || length <= 0 {
		return 0, unix.EINVAL
	}
	fa, ok := f.Impl().(vfs.FileAllocator)
	if !ok {
		if !f.Impl().Seekable() {
			return 0, unix.ESPIPE
		}
		return 0, unix.EOPNOTSUPP
	}
	return 0, fa.Allocate(t, uint32(a[1]), off, length)
}
