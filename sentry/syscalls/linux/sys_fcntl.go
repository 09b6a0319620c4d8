package linux

import (
	"encoding/binary"
	"io"
	"math"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/arch"
	"github.com/cocoon-sandbox/cocoon/sentry/fsimpl/memfd"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel/pipe"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// fcntl commands beyond x/sys's names.
const (
	fOFDGetlk  = 36
	fOFDSetlk  = 37
	fOFDSetlkw = 38
)

// Fcntl implements Linux syscall fcntl(2).
func Fcntl(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	fd, cmd, arg := int32(a[0]), int(a[1]), a[2]
	f, err := t.FDTable().Get(fd)
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	switch cmd {
	case unix.F_DUPFD, unix.F_DUPFD_CLOEXEC:
		if int64(arg) < 0 || int64(arg) >= int64(t.FDTable().Limit()) {
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
	case unix.F_GETLK, unix.F_SETLK, unix.F_SETLKW, fOFDGetlk, fOFDSetlk, fOFDSetlkw:
		return 0, fcntlLock(t, f, cmd, arg)
	case unix.F_GETOWN, unix.F_SETOWN, unix.F_GETSIG, unix.F_SETSIG:
		return 0, nil
	case unix.F_GETPIPE_SZ:
		if !isPipe(f) {
			return 0, unix.EBADF
		}
		return 65536, nil
	case unix.F_SETPIPE_SZ:
		if !isPipe(f) {
			return 0, unix.EBADF
		}
		return max(arg, 65536), nil
	case unix.F_GET_SEALS:
		seals, err := memfd.Seals(f)
		return uintptr(seals), err
	case unix.F_ADD_SEALS:
		return 0, memfd.AddSeals(f, uint32(arg))
	}
	return 0, unix.EINVAL
}

// Flock implements Linux syscall flock(2).
func Flock(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	f, err := getFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	if f.IsPath() {
		return 0, unix.EBADF
	}
	return 0, vfs.Flock(t, f, int(a[1]))
}

// flockSize is sizeof(struct flock) on x86-64: short l_type, short
// l_whence, off_t l_start at 8, off_t l_len at 16, pid_t l_pid at 24.
const flockSize = 32

// fcntlLock implements the record lock commands of fcntl(2): F_GETLK,
// F_SETLK, F_SETLKW and their OFD variants; analogous to Linux's
// fcntl_getlk() and fcntl_setlk(). POSIX locks belong to the process
// (tasks are whole processes here, so the TID is the TGID).
func fcntlLock(t *kernel.Task, f *vfs.FileDescription, cmd int, arg uintptr) error {
	var b [flockSize]byte
	if _, err := t.CopyIn(arg, b[:]); err != nil {
		return err
	}
	typ := vfs.LockType(int16(binary.LittleEndian.Uint16(b[0:])))
	whence := int16(binary.LittleEndian.Uint16(b[2:]))
	start := int64(binary.LittleEndian.Uint64(b[8:]))
	length := int64(binary.LittleEndian.Uint64(b[16:]))
	lpid := int32(binary.LittleEndian.Uint32(b[24:]))
	ofd := cmd == fOFDGetlk || cmd == fOFDSetlk || cmd == fOFDSetlkw
	pid := t.TID()
	if ofd {
		if lpid != 0 {
			return unix.EINVAL
		}
		pid = -1
	}
	r, err := lockRange(t, f, whence, start, length)
	if err != nil {
		return err
	}
	r.Type = typ
	if cmd == unix.F_GETLK || cmd == fOFDGetlk {
		if typ != vfs.ReadLock && typ != vfs.WriteLock {
			return unix.EINVAL
		}
		l, ok := vfs.TestRecordLock(f, pid, r)
		if !ok {
			binary.LittleEndian.PutUint16(b[0:], uint16(vfs.Unlock))
		} else {
			binary.LittleEndian.PutUint16(b[0:], uint16(l.Type))
			binary.LittleEndian.PutUint16(b[2:], io.SeekStart)
			binary.LittleEndian.PutUint64(b[8:], uint64(l.Start))
			n := int64(0)
			if l.End != vfs.LockEOF {
				n = l.End - l.Start
			}
			binary.LittleEndian.PutUint64(b[16:], uint64(n))
			binary.LittleEndian.PutUint32(b[24:], uint32(l.PID))
		}
		_, err := t.CopyOut(arg, b[:])
		return err
	}
	switch typ {
	case vfs.ReadLock:
		if !f.Readable() {
			return unix.EBADF
		}
	case vfs.WriteLock:
		if !f.Writable() {
			return unix.EBADF
		}
	case vfs.Unlock:
	default:
		return unix.EINVAL
	}
	wait := cmd == unix.F_SETLKW || cmd == fOFDSetlkw
	return vfs.SetRecordLock(t, f, pid, r, wait)
}

// lockRange turns struct flock's l_whence, l_start and l_len into a byte
// range, as Linux's flock_to_posix_lock().
func lockRange(t *kernel.Task, f *vfs.FileDescription, whence int16, start, length int64) (vfs.LockRange, error) {
	var base int64
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		off, err := f.Seek(t, 0, io.SeekCurrent)
		if err != nil {
			off = f.Offset()
		}
		base = off
	case io.SeekEnd:
		a, err := f.Stat(t)
		if err != nil {
			return vfs.LockRange{}, err
		}
		base = a.Size
	default:
		return vfs.LockRange{}, unix.EINVAL
	}
	if (start > 0 && base > math.MaxInt64-start) || base+start < 0 {
		return vfs.LockRange{}, unix.EINVAL
	}
	r := vfs.LockRange{Start: base + start, End: vfs.LockEOF}
	switch {
	case length > 0:
		if r.Start > math.MaxInt64-length {
			return vfs.LockRange{}, unix.EOVERFLOW
		}
		r.End = r.Start + length
	case length < 0:
		r.End = r.Start
		r.Start += length
		if r.Start < 0 {
			return vfs.LockRange{}, unix.EINVAL
		}
	}
	return r, nil
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

// isPipe says whether f is an end of a pipe or FIFO (the pipe-size
// commands apply to nothing else: EBADF, as on Linux).
func isPipe(f *vfs.FileDescription) bool {
	switch f.Impl().(type) {
	case *pipe.ReadEnd, *pipe.WriteEnd:
		return true
	}
	return false
}
