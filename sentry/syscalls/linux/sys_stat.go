package linux

import (
	"encoding/binary"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/arch"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// Sizes of the structures these calls fill.
const (
	statSize   = 144 // struct stat on x86-64
	statxSize  = 256 // struct statx
	statfsSize = 120 // struct statfs on x86-64
)

// *at flags.
const (
	atSymlinkNofollow = 0x100
	atRemovedir       = 0x200
	atSymlinkFollow   = 0x400
	atNoAutomount     = 0x800
	atEmptyPath       = 0x1000
	atEaccess         = 0x200
	atStatxSyncMask   = 0x6000
)

// encodeStat lays out a as struct stat (arch/x86/include/uapi/asm/stat.h).
func encodeStat(b []byte, a *vfs.Attr) {
	le := binary.LittleEndian
	clear(b[:statSize])
	le.PutUint64(b[0:], a.Dev)
	le.PutUint64(b[8:], a.Ino)
	le.PutUint64(b[16:], a.Nlink)
	le.PutUint32(b[24:], a.Mode)
	le.PutUint32(b[28:], a.UID)
	le.PutUint32(b[32:], a.GID)
	le.PutUint64(b[40:], a.Rdev)
	le.PutUint64(b[48:], uint64(a.Size))
	le.PutUint64(b[56:], uint64(a.Blksize))
	le.PutUint64(b[64:], uint64(a.Blocks))
	le.PutUint64(b[72:], uint64(a.Atime.Sec))
	le.PutUint64(b[80:], uint64(a.Atime.Nsec))
	le.PutUint64(b[88:], uint64(a.Mtime.Sec))
	le.PutUint64(b[96:], uint64(a.Mtime.Nsec))
	le.PutUint64(b[104:], uint64(a.Ctime.Sec))
	le.PutUint64(b[112:], uint64(a.Ctime.Nsec))
}

func copyOutStat(t *kernel.Task, addr uintptr, a *vfs.Attr) error {
	var b [statSize]byte
	encodeStat(b[:], a)
	_, err := t.CopyOut(addr, b[:])
	return err
}

// Stat implements Linux syscall stat(2).
func Stat(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, fstatat(t, atFDCWD, a[0], a[1], 0)
}

// Lstat implements Linux syscall lstat(2).
func Lstat(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, fstatat(t, atFDCWD, a[0], a[1], atSymlinkNofollow)
}

// Newfstatat implements Linux syscall newfstatat(2).
func Newfstatat(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, fstatat(t, int32(a[0]), a[1], a[2], uint32(a[3]))
}

// Fstat implements Linux syscall fstat(2).
func Fstat(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	f, err := getFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	attr, err := f.Stat(t)
	if err != nil {
		return 0, err
	}
	return 0, copyOutStat(t, a[1], &attr)
}

// statAt stats path relative to dirfd, or dirfd itself for an empty path
// with AT_EMPTY_PATH.
func statAt(t *kernel.Task, dirfd int32, pathAddr uintptr, flags uint32) (vfs.Attr, error) {
	path, err := copyInPath(t, pathAddr)
	if err != nil {
		return vfs.Attr{}, err
	}
	if path == "" && flags&atEmptyPath != 0 {
		if dirfd == atFDCWD {
			return t.VFS().StatAt(t, t.FSContext(), vfs.VirtualDentry{}, ".", true)
		}
		f, err := t.FDTable().Get(dirfd)
		if err != nil {
			return vfs.Attr{}, err
		}
		defer f.DecRef()
		return f.Stat(t)
	}
	start, sf, err := dirStart(t, dirfd, path)
	if err != nil {
		return vfs.Attr{}, err
	}
	defer releaseStart(sf)
	return t.VFS().StatAt(t, t.FSContext(), start, path, flags&atSymlinkNofollow == 0)
}

func fstatat(t *kernel.Task, dirfd int32, pathAddr, statAddr uintptr, flags uint32) error {
	if flags&^(atSymlinkNofollow|atEmptyPath|atNoAutomount) != 0 {
		return unix.EINVAL
	}
	attr, err := statAt(t, dirfd, pathAddr, flags)
	if err != nil {
		return err
	}
	return copyOutStat(t, statAddr, &attr)
}

// Statx implements Linux syscall statx(2). Every basic field is always
// filled; btime is not.
func Statx(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	dirfd, pathAddr, flags, bufAddr := int32(a[0]), a[1], uint32(a[2]), a[4]
	mask := uint32(a[3])
	if flags&^(atSymlinkNofollow|atEmptyPath|atNoAutomount|atStatxSyncMask) != 0 {
		return 0, unix.EINVAL
	}
	if flags&atStatxSyncMask == atStatxSyncMask || mask&unix.STATX__RESERVED != 0 {
		return 0, unix.EINVAL
	}
	attr, err := statAt(t, dirfd, pathAddr, flags)
	if err != nil {
		return 0, err
	}
	le := binary.LittleEndian
	var b [statxSize]byte
	le.PutUint32(b[0:], unix.STATX_BASIC_STATS)
	le.PutUint32(b[4:], uint32(attr.Blksize))
	le.PutUint32(b[16:], uint32(attr.Nlink))
	le.PutUint32(b[20:], attr.UID)
	le.PutUint32(b[24:], attr.GID)
	le.PutUint16(b[28:], uint16(attr.Mode))
	le.PutUint64(b[32:], attr.Ino)
	le.PutUint64(b[40:], uint64(attr.Size))
	le.PutUint64(b[48:], uint64(attr.Blocks))
	putTS := func(off int, ts vfs.Timespec) {
		le.PutUint64(b[off:], uint64(ts.Sec))
		le.PutUint32(b[off+8:], uint32(ts.Nsec))
	}
	putTS(64, attr.Atime)
	putTS(96, attr.Ctime)
	putTS(112, attr.Mtime)
	le.PutUint32(b[128:], unix.Major(attr.Rdev))
	le.PutUint32(b[132:], unix.Minor(attr.Rdev))
	le.PutUint32(b[136:], unix.Major(attr.Dev))
	le.PutUint32(b[140:], unix.Minor(attr.Dev))
	_, err = t.CopyOut(bufAddr, b[:])
	return 0, err
}

func copyOutStatfs(t *kernel.Task, addr uintptr, s *vfs.Statfs) error {
	le := binary.LittleEndian
	var b [statfsSize]byte
	le.PutUint64(b[0:], s.Type)
	le.PutUint64(b[8:], uint64(s.Bsize))
	le.PutUint64(b[16:], s.Blocks)
	le.PutUint64(b[24:], s.Bfree)
	le.PutUint64(b[32:], s.Bavail)
	le.PutUint64(b[40:], s.Files)
	le.PutUint64(b[48:], s.Ffree)
	le.PutUint64(b[64:], s.NameLen)
	frsize := s.Frsize
	if frsize == 0 {
		frsize = s.Bsize
	}
	le.PutUint64(b[72:], uint64(frsize))
	_, err := t.CopyOut(addr, b[:])
	return err
}

// Statfs implements Linux syscall statfs(2).
func Statfs(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	path, err := copyInPath(t, a[0])
	if err != nil {
		return 0, err
	}
	s, err := t.VFS().StatFSAt(t, t.FSContext(), vfs.VirtualDentry{}, path)
	if err != nil {
		return 0, err
	}
	return 0, copyOutStatfs(t, a[1], &s)
}

// Fstatfs implements Linux syscall fstatfs(2).
func Fstatfs(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	f, err := getFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	s, err := f.StatFS(t)
	if err != nil {
		return 0, err
	}
	return 0, copyOutStatfs(t, a[1], &s)
}
