package linux

import (
	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/sentry/arch"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// atFDCWD is AT_FDCWD as the int32 a dirfd register holds.
const atFDCWD = -100

// copyInPath copies a path argument in (ENAMETOOLONG past PATH_MAX).
func copyInPath(t *kernel.Task, addr uintptr) (string, error) {
	return t.CopyInString(addr, linux.PATH_MAX)
}

// dirStart returns where a path relative to dirfd starts: unset (the cwd)
// for AT_FDCWD or an absolute path, else the directory dirfd was opened
// at. The returned description, if any, holds a reference the caller
// drops with releaseStart.
func dirStart(t *kernel.Task, dirfd int32, path string) (vfs.VirtualDentry, *vfs.FileDescription, error) {
	if dirfd == atFDCWD || (path != "" && path[0] == '/') {
		return vfs.VirtualDentry{}, nil, nil
	}
	f, err := t.FDTable().Get(dirfd)
	if err != nil {
		return vfs.VirtualDentry{}, nil, err
	}
	vd := f.VirtualDentry()
	if vd == nil {
		f.DecRef()
		return vfs.VirtualDentry{}, nil, unix.ENOTDIR
	}
	if path != "" && !vd.Dentry.IsDir() {
		f.DecRef()
		return vfs.VirtualDentry{}, nil, unix.ENOTDIR
	}
	return *vd, f, nil
}

func releaseStart(f *vfs.FileDescription) {
	if f != nil {
		f.DecRef()
	}
}

// pathAt copies in the path at addr and resolves dirfd for it.
func pathAt(t *kernel.Task, dirfd int32, addr uintptr) (string, vfs.VirtualDentry, *vfs.FileDescription, error) {
	path, err := copyInPath(t, addr)
	if err != nil {
		return "", vfs.VirtualDentry{}, nil, err
	}
	start, f, err := dirStart(t, dirfd, path)
	return path, start, f, err
}

// Open implements Linux syscall open(2).
func Open(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return openat(t, atFDCWD, a[0], uint32(a[1]), uint32(a[2]))
}

// Openat implements Linux syscall openat(2).
func Openat(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return openat(t, int32(a[0]), a[1], uint32(a[2]), uint32(a[3]))
}

// Creat implements Linux syscall creat(2).
func Creat(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return openat(t, atFDCWD, a[0], unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC, uint32(a[1]))
}

func openat(t *kernel.Task, dirfd int32, addr uintptr, flags, mode uint32) (uintptr, error) {
	flags &^= unix.O_LARGEFILE
	path, start, sf, err := pathAt(t, dirfd, addr)
	if err != nil {
		return 0, err
	}
	defer releaseStart(sf)
	f, err := t.VFS().OpenAt(t, t.FSContext(), start, path, flags, mode)
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	fd, err := t.FDTable().NewFD(f, 0, flags&unix.O_CLOEXEC != 0)
	return uintptr(fd), err
}

// Close implements Linux syscall close(2).
func Close(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, t.FDTable().Remove(int32(a[0]))
}

// CloseRange implements Linux syscall close_range(2).
func CloseRange(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	first, last, flags := uint32(a[0]), uint32(a[1]), uint32(a[2])
	const closeRangeUnshare, closeRangeCloexec = 2, 4
	if flags&^(closeRangeUnshare|closeRangeCloexec) != 0 || first > last {
		return 0, unix.EINVAL
	}
	var fds []int32
	t.FDTable().ForEach(func(fd int32, _ *vfs.FileDescription, _ bool) {
		if uint32(fd) >= first && uint32(fd) <= last {
			fds = append(fds, fd)
		}
	})
	for _, fd := range fds {
		if flags&closeRangeCloexec != 0 {
			t.FDTable().SetFlags(fd, vfs.FDFlagCloexec)
		} else {
			t.FDTable().Remove(fd)
		}
	}
	return 0, nil
}

// Dup implements Linux syscall dup(2).
func Dup(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	f, err := t.FDTable().Get(int32(a[0]))
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	fd, err := t.FDTable().NewFD(f, 0, false)
	return uintptr(fd), err
}

// Dup2 implements Linux syscall dup2(2).
func Dup2(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	oldfd, newfd := int32(a[0]), int32(a[1])
	f, err := t.FDTable().Get(oldfd)
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	if oldfd == newfd {
		return uintptr(newfd), nil
	}
	return uintptr(newfd), t.FDTable().SetFD(newfd, f, false)
}

// Dup3 implements Linux syscall dup3(2).
func Dup3(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	oldfd, newfd, flags := int32(a[0]), int32(a[1]), uint32(a[2])
	if flags&^unix.O_CLOEXEC != 0 || oldfd == newfd {
		return 0, unix.EINVAL
	}
	f, err := t.FDTable().Get(oldfd)
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	return uintptr(newfd), t.FDTable().SetFD(newfd, f, flags&unix.O_CLOEXEC != 0)
}

// Getcwd implements Linux syscall getcwd(2).
func Getcwd(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	addr, size := a[0], a[1]
	p, err := t.VFS().GetcwdPath(t.FSContext())
	if err != nil {
		return 0, err
	}
	if uintptr(len(p))+1 > size {
		return 0, unix.ERANGE
	}
	buf := t.Scratch(len(p) + 1)
	copy(buf, p)
	buf[len(p)] = 0
	if _, err := t.CopyOut(addr, buf); err != nil {
		return 0, err
	}
	return uintptr(len(buf)), nil
}

// Chdir implements Linux syscall chdir(2).
func Chdir(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	path, err := copyInPath(t, a[0])
	if err != nil {
		return 0, err
	}
	vd, err := t.VFS().GetDirAt(t, t.FSContext(), vfs.VirtualDentry{}, path)
	if err != nil {
		return 0, err
	}
	t.FSContext().SetCwd(vd)
	vd.DecRef()
	return 0, nil
}

// Fchdir implements Linux syscall fchdir(2).
func Fchdir(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	f, err := t.FDTable().Get(int32(a[0]))
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	vd := f.VirtualDentry()
	if vd == nil || !vd.Dentry.IsDir() {
		return 0, unix.ENOTDIR
	}
	if t.UID() != 0 {
		attr, err := vd.Inode().Stat(t)
		if err != nil {
			return 0, err
		}
		if err := vfs.MayAccess(t, attr, vfs.MayExec); err != nil {
			return 0, err
		}
	}
	t.FSContext().SetCwd(*vd)
	return 0, nil
}

// Chroot implements Linux syscall chroot(2).
func Chroot(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	if t.UID() != 0 {
		return 0, unix.EPERM
	}
	path, err := copyInPath(t, a[0])
	if err != nil {
		return 0, err
	}
	vd, err := t.VFS().GetDirAt(t, t.FSContext(), vfs.VirtualDentry{}, path)
	if err != nil {
		return 0, err
	}
	t.FSContext().SetRoot(vd)
	vd.DecRef()
	return 0, nil
}

// Umask implements Linux syscall umask(2).
func Umask(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return uintptr(t.FSContext().SwapUmask(uint32(a[0]))), nil
}

// The task is what file systems see of the caller.
var _ vfs.Context = (*kernel.Task)(nil)
