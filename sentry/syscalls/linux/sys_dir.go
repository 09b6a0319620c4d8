package linux

import (
	"encoding/binary"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/arch"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// Getdents64 implements Linux syscall getdents64(2).
func Getdents64(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return getdents(t, a[0], a[1], int(min(a[2], maxRWCount)), true)
}

// Getdents implements Linux syscall getdents(2) (struct linux_dirent).
func Getdents(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return getdents(t, a[0], a[1], int(min(a[2], maxRWCount)), false)
}

// direntType is a dirent's d_type (DT_*): the S_IFMT bits shifted down.
func direntType(ft vfs.FileType) uint8 { return uint8(ft >> 12) }

func getdents(t *kernel.Task, fd, addr uintptr, size int, is64 bool) (uintptr, error) {
	f, err := getFile(t, fd)
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	// Entries are consumed as they are encoded: check the buffer first, so
	// that a bad one fails with EFAULT and loses nothing.
	if size > 0 {
		size = int(t.MemoryManager().AccessibleLength(addr, uintptr(size), true))
		if size == 0 {
			return 0, unix.EFAULT
		}
	}
	buf := t.Scratch(min(size, kernel.ScratchMax))
	n := 0
	le := binary.LittleEndian
	err = f.ReadDirents(t, func(d vfs.Dirent, next int64) bool {
		var reclen int
		if is64 {
			// ino, off, reclen, type, name, NUL; 8-aligned.
			reclen = (19 + len(d.Name) + 1 + 7) &^ 7
		} else {
			// ino, off, reclen, name, NUL, type; 8-aligned.
			reclen = (18 + len(d.Name) + 2 + 7) &^ 7
		}
		if n+reclen > len(buf) {
			return false
		}
		r := buf[n : n+reclen]
		clear(r)
		le.PutUint64(r[0:], d.Ino)
		le.PutUint64(r[8:], uint64(next))
		le.PutUint16(r[16:], uint16(reclen))
		if is64 {
			r[18] = direntType(d.Type)
			copy(r[19:], d.Name)
		} else {
			copy(r[18:], d.Name)
			r[reclen-1] = direntType(d.Type)
		}
		n += reclen
		return true
	})
	if err != nil {
		return 0, err
	}
	if n == 0 {
		// Nothing fit: EINVAL if an entry was left, else end of directory.
		var left bool
		f.ReadDirents(t, func(vfs.Dirent, int64) bool { left = true; return false })
		if left {
			return 0, unix.EINVAL
		}
		return 0, nil
	}
	if _, err := t.CopyOut(addr, buf[:n]); err != nil {
		return 0, err
	}
	return uintptr(n), nil
}
