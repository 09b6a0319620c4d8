package linux

import (
	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/arch"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// Extended attributes are not supported by the sandbox's file systems
// yet: lookups resolve the file (so ENOENT and friends are right) and then
// find no attributes: get and remove answer ENODATA, list an empty list,
// set EOPNOTSUPP (what Linux answers on a file system without xattrs).

// xattrMaxName is XATTR_NAME_MAX.
const xattrMaxName = 255

// xattrTarget resolves the file of an xattr call: a path (following a
// final symlink if follow) or, with isFD, descriptor a0.
func xattrTarget(t *kernel.Task, a0 uintptr, isFD, follow bool) error {
	if isFD {
		f, err := getFile(t, a0)
		if err != nil {
			return err
		}
		f.DecRef()
		return nil
	}
	path, err := copyInPath(t, a0)
	if err != nil {
		return err
	}
	_, err = t.VFS().StatAt(t, t.FSContext(), vfs.VirtualDentry{}, path, follow)
	return err
}

// xattrName checks the attribute name argument.
func xattrName(t *kernel.Task, addr uintptr) error {
	name, err := t.CopyInString(addr, xattrMaxName+1)
	if err != nil {
		if err == unix.ENAMETOOLONG {
			return unix.ERANGE
		}
		return err
	}
	if name == "" || len(name) > xattrMaxName {
		return unix.ERANGE
	}
	return nil
}

func getxattr(t *kernel.Task, a arch.SyscallArgs, isFD, follow bool) (uintptr, error) {
	if err := xattrTarget(t, a[0], isFD, follow); err != nil {
		return 0, err
	}
	if err := xattrName(t, a[1]); err != nil {
		return 0, err
	}
	return 0, unix.ENODATA
}

// Getxattr implements Linux syscall getxattr(2).
func Getxattr(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return getxattr(t, a, false, true)
}

// Lgetxattr implements Linux syscall lgetxattr(2).
func Lgetxattr(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return getxattr(t, a, false, false)
}

// Fgetxattr implements Linux syscall fgetxattr(2).
func Fgetxattr(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return getxattr(t, a, true, true)
}

func listxattr(t *kernel.Task, a arch.SyscallArgs, isFD, follow bool) (uintptr, error) {
	return 0, xattrTarget(t, a[0], isFD, follow)
}

// Listxattr implements Linux syscall listxattr(2).
func Listxattr(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return listxattr(t, a, false, true)
}

// Llistxattr implements Linux syscall llistxattr(2).
func Llistxattr(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return listxattr(t, a, false, false)
}

// Flistxattr implements Linux syscall flistxattr(2).
func Flistxattr(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return listxattr(t, a, true, true)
}

func setxattr(t *kernel.Task, a arch.SyscallArgs, isFD, follow bool) (uintptr, error) {
	if err := xattrTarget(t, a[0], isFD, follow); err != nil {
		return 0, err
	}
	if err := xattrName(t, a[1]); err != nil {
		return 0, err
	}
	if flags := a[4]; flags&^(unix.XATTR_CREATE|unix.XATTR_REPLACE) != 0 {
		return 0, unix.EINVAL
	}
	return 0, unix.EOPNOTSUPP
}

// Setxattr implements Linux syscall setxattr(2).
func Setxattr(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return setxattr(t, a, false, true)
}

// Lsetxattr implements Linux syscall lsetxattr(2).
func Lsetxattr(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return setxattr(t, a, false, false)
}

// Fsetxattr implements Linux syscall fsetxattr(2).
func Fsetxattr(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return setxattr(t, a, true, true)
}

func removexattr(t *kernel.Task, a arch.SyscallArgs, isFD, follow bool) (uintptr, error) {
	if err := xattrTarget(t, a[0], isFD, follow); err != nil {
		return 0, err
	}
	if err := xattrName(t, a[1]); err != nil {
		return 0, err
	}
	return 0, unix.ENODATA
}

// Removexattr implements Linux syscall removexattr(2).
func Removexattr(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return removexattr(t, a, false, true)
}

// Lremovexattr implements Linux syscall lremovexattr(2).
func Lremovexattr(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return removexattr(t, a, false, false)
}

// Fremovexattr implements Linux syscall fremovexattr(2).
func Fremovexattr(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return removexattr(t, a, true, true)
}
