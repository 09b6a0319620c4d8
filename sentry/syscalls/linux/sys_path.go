package linux

import (
	"encoding/binary"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/arch"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// Access implements Linux syscall access(2).
func Access(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, faccessat(t, atFDCWD, a[0], uint32(a[1]), 0)
}

// Faccessat implements Linux syscall faccessat(2).
func Faccessat(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, faccessat(t, int32(a[0]), a[1], uint32(a[2]), 0)
}

// Faccessat2 implements Linux syscall faccessat2(2).
func Faccessat2(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, faccessat(t, int32(a[0]), a[1], uint32(a[2]), uint32(a[3]))
}

func faccessat(t *kernel.Task, dirfd int32, pathAddr uintptr, mode, flags uint32) error {
	if flags&^(atEaccess|atSymlinkNofollow|atEmptyPath) != 0 || mode&^7 != 0 {
		return unix.EINVAL
	}
	path, err := copyInPath(t, pathAddr)
	if err != nil {
		return err
	}
	// access(2) checks with the real IDs unless AT_EACCESS.
	ctx := vfs.Context(t)
	if flags&atEaccess == 0 {
		ctx = t.RealIDs()
	}
	if path == "" {
		if flags&atEmptyPath == 0 {
			return unix.ENOENT
		}
		path = "."
		if dirfd != atFDCWD {
			f, err := t.FDTable().Get(dirfd)
			if err != nil {
				return err
			}
			defer f.DecRef()
			if f.VirtualDentry() == nil {
				return nil
			}
			return t.VFS().AccessAt(ctx, t.FSContext(), *f.VirtualDentry(), ".", mode, true)
		}
	}
	start, sf, err := dirStart(t, dirfd, path)
	if err != nil {
		return err
	}
	defer releaseStart(sf)
	return t.VFS().AccessAt(ctx, t.FSContext(), start, path, mode, flags&atSymlinkNofollow == 0)
}

// Mkdir implements Linux syscall mkdir(2).
func Mkdir(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, mkdirat(t, atFDCWD, a[0], uint32(a[1]))
}

// Mkdirat implements Linux syscall mkdirat(2).
func Mkdirat(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, mkdirat(t, int32(a[0]), a[1], uint32(a[2]))
}

func mkdirat(t *kernel.Task, dirfd int32, pathAddr uintptr, mode uint32) error {
	path, start, sf, err := pathAt(t, dirfd, pathAddr)
	if err != nil {
		return err
	}
	defer releaseStart(sf)
	return t.VFS().MkdirAt(t, t.FSContext(), start, path, mode)
}

// Mknod implements Linux syscall mknod(2).
func Mknod(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, mknodat(t, atFDCWD, a[0], uint32(a[1]), uint64(a[2]))
}

// Mknodat implements Linux syscall mknodat(2).
func Mknodat(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, mknodat(t, int32(a[0]), a[1], uint32(a[2]), uint64(a[3]))
}

func mknodat(t *kernel.Task, dirfd int32, pathAddr uintptr, mode uint32, dev uint64) error {
	path, start, sf, err := pathAt(t, dirfd, pathAddr)
	if err != nil {
		return err
	}
	defer releaseStart(sf)
	// The dev argument is the old 32-bit encoding.
	rdev := unix.Mkdev(uint32(dev>>8)&0xfff, uint32(dev&0xff)|uint32(dev>>12)&0xfff00)
	return t.VFS().MknodAt(t, t.FSContext(), start, path, mode, rdev)
}

// Rmdir implements Linux syscall rmdir(2).
func Rmdir(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, unlinkat(t, atFDCWD, a[0], atRemovedir)
}

// Unlink implements Linux syscall unlink(2).
func Unlink(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, unlinkat(t, atFDCWD, a[0], 0)
}

// Unlinkat implements Linux syscall unlinkat(2).
func Unlinkat(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, unlinkat(t, int32(a[0]), a[1], uint32(a[2]))
}

func unlinkat(t *kernel.Task, dirfd int32, pathAddr uintptr, flags uint32) error {
	if flags&^atRemovedir != 0 {
		return unix.EINVAL
	}
	path, start, sf, err := pathAt(t, dirfd, pathAddr)
	if err != nil {
		return err
	}
	defer releaseStart(sf)
	if flags&atRemovedir != 0 {
		return t.VFS().RmdirAt(t, t.FSContext(), start, path)
	}
	return t.VFS().UnlinkAt(t, t.FSContext(), start, path)
}

// Rename implements Linux syscall rename(2).
func Rename(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, renameat(t, atFDCWD, a[0], atFDCWD, a[1], 0)
}

// Renameat implements Linux syscall renameat(2).
func Renameat(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, renameat(t, int32(a[0]), a[1], int32(a[2]), a[3], 0)
}

// Renameat2 implements Linux syscall renameat2(2) (RENAME_NOREPLACE;
// RENAME_EXCHANGE and RENAME_WHITEOUT answer EINVAL).
func Renameat2(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, renameat(t, int32(a[0]), a[1], int32(a[2]), a[3], uint32(a[4]))
}

func renameat(t *kernel.Task, olddirfd int32, oldAddr uintptr, newdirfd int32, newAddr uintptr, flags uint32) error {
	oldPath, oldStart, osf, err := pathAt(t, olddirfd, oldAddr)
	if err != nil {
		return err
	}
	defer releaseStart(osf)
	newPath, newStart, nsf, err := pathAt(t, newdirfd, newAddr)
	if err != nil {
		return err
	}
	defer releaseStart(nsf)
	return t.VFS().RenameAt(t, t.FSContext(), oldStart, oldPath, newStart, newPath, flags)
}

// Symlink implements Linux syscall symlink(2).
func Symlink(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, symlinkat(t, a[0], atFDCWD, a[1])
}

// Symlinkat implements Linux syscall symlinkat(2).
func Symlinkat(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, symlinkat(t, a[0], int32(a[1]), a[2])
}

func symlinkat(t *kernel.Task, targetAddr uintptr, dirfd int32, pathAddr uintptr) error {
	target, err := copyInPath(t, targetAddr)
	if err != nil {
		return err
	}
	path, start, sf, err := pathAt(t, dirfd, pathAddr)
	if err != nil {
		return err
	}
	defer releaseStart(sf)
	return t.VFS().SymlinkAt(t, t.FSContext(), target, start, path)
}

// Link implements Linux syscall link(2).
func Link(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, linkat(t, atFDCWD, a[0], atFDCWD, a[1], 0)
}

// Linkat implements Linux syscall linkat(2).
func Linkat(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, linkat(t, int32(a[0]), a[1], int32(a[2]), a[3], uint32(a[4]))
}

func linkat(t *kernel.Task, olddirfd int32, oldAddr uintptr, newdirfd int32, newAddr uintptr, flags uint32) error {
	if flags&^(atSymlinkFollow|atEmptyPath) != 0 {
		return unix.EINVAL
	}
	oldPath, err := copyInPath(t, oldAddr)
	if err != nil {
		return err
	}
	if oldPath == "" && flags&atEmptyPath != 0 {
		f, err := t.FDTable().Get(olddirfd)
		if err != nil {
			return err
		}
		defer f.DecRef()
		if f.VirtualDentry() == nil {
			return unix.ENOENT
		}
		newPath, newStart, nsf, err := pathAt(t, newdirfd, newAddr)
		if err != nil {
			return err
		}
		defer releaseStart(nsf)
		return t.VFS().LinkFrom(t, t.FSContext(), *f.VirtualDentry(), newStart, newPath)
	}
	oldStart, osf, err := dirStart(t, olddirfd, oldPath)
	if err != nil {
		return err
	}
	defer releaseStart(osf)
	newPath, newStart, nsf, err := pathAt(t, newdirfd, newAddr)
	if err != nil {
		return err
	}
	defer releaseStart(nsf)
	return t.VFS().LinkAt(t, t.FSContext(), oldStart, oldPath, newStart, newPath, flags&atSymlinkFollow != 0)
}

// Readlink implements Linux syscall readlink(2).
func Readlink(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return readlinkat(t, atFDCWD, a[0], a[1], a[2])
}

// Readlinkat implements Linux syscall readlinkat(2).
func Readlinkat(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return readlinkat(t, int32(a[0]), a[1], a[2], a[3])
}

func readlinkat(t *kernel.Task, dirfd int32, pathAddr, bufAddr, size uintptr) (uintptr, error) {
	if int(size) <= 0 {
		return 0, unix.EINVAL
	}
	path, start, sf, err := pathAt(t, dirfd, pathAddr)
	if err != nil {
		return 0, err
	}
	defer releaseStart(sf)
	if path == "" {
		return 0, unix.ENOENT
	}
	target, err := t.VFS().ReadlinkAt(t, t.FSContext(), start, path)
	if err != nil {
		return 0, err
	}
	n := min(len(target), int(size))
	buf := t.Scratch(n)
	copy(buf, target)
	if _, err := t.CopyOut(bufAddr, buf); err != nil {
		return 0, err
	}
	return uintptr(n), nil
}

// setAttrAt applies sa to path relative to dirfd, or to dirfd itself for
// an empty path with AT_EMPTY_PATH.
func setAttrAt(t *kernel.Task, dirfd int32, pathAddr uintptr, follow, emptyOK bool, sa vfs.SetAttr) error {
	path, err := copyInPath(t, pathAddr)
	if err != nil {
		return err
	}
	if path == "" && emptyOK {
		return setAttrFD(t, dirfd, sa)
	}
	start, sf, err := dirStart(t, dirfd, path)
	if err != nil {
		return err
	}
	defer releaseStart(sf)
	return t.VFS().SetAttrAt(t, t.FSContext(), start, path, follow, sa)
}

// setAttrFD applies sa to the file open at fd.
func setAttrFD(t *kernel.Task, fd int32, sa vfs.SetAttr) error {
	if fd == atFDCWD {
		return t.VFS().SetAttrAt(t, t.FSContext(), vfs.VirtualDentry{}, ".", true, sa)
	}
	f, err := t.FDTable().Get(fd)
	if err != nil {
		return err
	}
	defer f.DecRef()
	return f.SetAttr(t, sa)
}

// Chmod implements Linux syscall chmod(2).
func Chmod(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, setAttrAt(t, atFDCWD, a[0], true, false, vfs.SetAttr{Mask: vfs.SetMode, Mode: uint32(a[1])})
}

// Fchmod implements Linux syscall fchmod(2).
func Fchmod(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, setAttrFD(t, int32(a[0]), vfs.SetAttr{Mask: vfs.SetMode, Mode: uint32(a[1])})
}

// Fchmodat implements Linux syscall fchmodat(2).
func Fchmodat(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, setAttrAt(t, int32(a[0]), a[1], true, false, vfs.SetAttr{Mask: vfs.SetMode, Mode: uint32(a[2])})
}

// chownAttr builds the change of chown: -1 leaves an ID alone.
func chownAttr(uid, gid uintptr) vfs.SetAttr {
	var sa vfs.SetAttr
	if int32(uid) != -1 {
		sa.Mask |= vfs.SetUID
		sa.UID = uint32(uid)
	}
	if int32(gid) != -1 {
		sa.Mask |= vfs.SetGID
		sa.GID = uint32(gid)
	}
	return sa
}

// Chown implements Linux syscall chown(2).
func Chown(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, setAttrAt(t, atFDCWD, a[0], true, false, chownAttr(a[1], a[2]))
}

// Lchown implements Linux syscall lchown(2).
func Lchown(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, setAttrAt(t, atFDCWD, a[0], false, false, chownAttr(a[1], a[2]))
}

// Fchown implements Linux syscall fchown(2).
func Fchown(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, setAttrFD(t, int32(a[0]), chownAttr(a[1], a[2]))
}

// Fchownat implements Linux syscall fchownat(2).
func Fchownat(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	flags := uint32(a[4])
	if flags&^(atSymlinkNofollow|atEmptyPath) != 0 {
		return 0, unix.EINVAL
	}
	return 0, setAttrAt(t, int32(a[0]), a[1], flags&atSymlinkNofollow == 0, flags&atEmptyPath != 0, chownAttr(a[2], a[3]))
}

// Truncate implements Linux syscall truncate(2).
func Truncate(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	if int64(a[1]) < 0 {
		return 0, unix.EINVAL
	}
	err := setAttrAt(t, atFDCWD, a[0], true, false, vfs.SetAttr{Mask: vfs.SetSize, Size: int64(a[1])})
	if err == unix.EFBIG {
		fileSizeExceeded(t)
	}
	return 0, err
}

// Ftruncate implements Linux syscall ftruncate(2).
func Ftruncate(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	if int64(a[1]) < 0 {
		return 0, unix.EINVAL
	}
	err := setAttrFD(t, int32(a[0]), vfs.SetAttr{Mask: vfs.SetSize, Size: int64(a[1])})
	if err == unix.EFBIG {
		fileSizeExceeded(t)
	}
	return 0, err
}

// UTIME_NOW and UTIME_OMIT of utimensat(2).
const (
	utimeNow  = 1<<30 - 1
	utimeOmit = 1<<30 - 2
)

func nowTS() vfs.Timespec {
	n := time.Now()
	return vfs.Timespec{Sec: n.Unix(), Nsec: int64(n.Nanosecond())}
}

// Utimensat implements Linux syscall utimensat(2); a NULL path changes
// dirfd itself (futimens).
func Utimensat(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	dirfd, pathAddr, timesAddr, flags := int32(a[0]), a[1], a[2], uint32(a[3])
	if flags&^(atSymlinkNofollow|atEmptyPath) != 0 {
		return 0, unix.EINVAL
	}
	sa := vfs.SetAttr{Mask: vfs.SetAtime | vfs.SetMtime, Atime: nowTS(), Mtime: nowTS()}
	if timesAddr != 0 {
		var b [32]byte
		if _, err := t.CopyIn(timesAddr, b[:]); err != nil {
			return 0, err
		}
		sa.Mask = 0
		for i, dst := range []*vfs.Timespec{&sa.Atime, &sa.Mtime} {
			sec := int64(binary.LittleEndian.Uint64(b[16*i:]))
			nsec := int64(binary.LittleEndian.Uint64(b[16*i+8:]))
			bit := []vfs.SetAttrMask{vfs.SetAtime, vfs.SetMtime}[i]
			switch {
			case nsec == utimeOmit:
				continue
			case nsec == utimeNow:
			case nsec < 0 || nsec >= 1e9:
				return 0, unix.EINVAL
			default:
				*dst = vfs.Timespec{Sec: sec, Nsec: nsec}
				sa.TimesExplicit = true
			}
			sa.Mask |= bit
		}
	}
	if pathAddr == 0 {
		return 0, setAttrFD(t, dirfd, sa)
	}
	return 0, setAttrAt(t, dirfd, pathAddr, flags&atSymlinkNofollow == 0, flags&atEmptyPath != 0, sa)
}

// Utime implements Linux syscall utime(2).
func Utime(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	sa := vfs.SetAttr{Mask: vfs.SetAtime | vfs.SetMtime, Atime: nowTS(), Mtime: nowTS()}
	if a[1] != 0 {
		var b [16]byte
		if _, err := t.CopyIn(a[1], b[:]); err != nil {
			return 0, err
		}
		sa.Atime = vfs.Timespec{Sec: int64(binary.LittleEndian.Uint64(b[0:]))}
		sa.Mtime = vfs.Timespec{Sec: int64(binary.LittleEndian.Uint64(b[8:]))}
		sa.TimesExplicit = true
	}
	return 0, setAttrAt(t, atFDCWD, a[0], true, false, sa)
}

// Utimes implements Linux syscall utimes(2).
func Utimes(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return futimesat(t, atFDCWD, a[0], a[1])
}

// Futimesat implements Linux syscall futimesat(2).
func Futimesat(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return futimesat(t, int32(a[0]), a[1], a[2])
}

func futimesat(t *kernel.Task, dirfd int32, pathAddr, timesAddr uintptr) (uintptr, error) {
	sa := vfs.SetAttr{Mask: vfs.SetAtime | vfs.SetMtime, Atime: nowTS(), Mtime: nowTS()}
	if timesAddr != 0 {
		var b [32]byte
		if _, err := t.CopyIn(timesAddr, b[:]); err != nil {
			return 0, err
		}
		for i, dst := range []*vfs.Timespec{&sa.Atime, &sa.Mtime} {
			sec := int64(binary.LittleEndian.Uint64(b[16*i:]))
			usec := int64(binary.LittleEndian.Uint64(b[16*i+8:]))
			if usec < 0 || usec >= 1e6 {
				return 0, unix.EINVAL
			}
			*dst = vfs.Timespec{Sec: sec, Nsec: usec * 1000}
		}
		sa.TimesExplicit = true
	}
	if pathAddr == 0 {
		return 0, setAttrFD(t, dirfd, sa)
	}
	return 0, setAttrAt(t, dirfd, pathAddr, true, false, sa)
}
