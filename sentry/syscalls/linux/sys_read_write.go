package linux

import (
	"encoding/binary"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/sentry/arch"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
	unixsocket "github.com/cocoon-sandbox/cocoon/sentry/socket/unix"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// maxRWCount is MAX_RW_COUNT: one read or write moves at most this much.
const maxRWCount = 0x7ffff000

// uioMaxIOV is UIO_MAXIOV, the most iovecs one call takes.
const uioMaxIOV = 1024

// ioDone turns the outcome of an I/O loop into the syscall's result: the
// bytes moved if any (the error is then dropped, as Linux reports it on
// the next call), else the error.
func ioDone(n int, err error) (uintptr, error) {
	if n > 0 {
		return uintptr(n), nil
	}
	return 0, err
}

// getFile returns the description at fd with a reference.
func getFile(t *kernel.Task, fd uintptr) (*vfs.FileDescription, error) {
	return t.FDTable().Get(int32(fd))
}

// Read implements Linux syscall read(2).
func Read(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return ioDone(singleIO(t, a[0], a[1], a[2], -1, false))
}

// Pread64 implements Linux syscall pread64(2).
func Pread64(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	if int64(a[3]) < 0 {
		return 0, unix.EINVAL
	}
	return ioDone(singleIO(t, a[0], a[1], a[2], int64(a[3]), false))
}

// Write implements Linux syscall write(2).
func Write(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return ioDone(singleIO(t, a[0], a[1], a[2], -1, true))
}

// Pwrite64 implements Linux syscall pwrite64(2).
func Pwrite64(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	if int64(a[3]) < 0 {
		return 0, unix.EINVAL
	}
	return ioDone(singleIO(t, a[0], a[1], a[2], int64(a[3]), true))
}

// singleIO is read, write, pread64 and pwrite64: vectored I/O with one
// buffer.
func singleIO(t *kernel.Task, fd, addr, count uintptr, off int64, write bool) (int, error) {
	f, err := getFile(t, fd)
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	iov := [1]iovec{{base: addr, len: int(min(count, maxRWCount))}}
	return transfer(t, f, iov[:], off, write)
}

// writeChunk writes one buffer, raising SIGPIPE on EPIPE and SIGXFSZ on
// EFBIG past RLIMIT_FSIZE.
func writeChunk(t *kernel.Task, f *vfs.FileDescription, chunk []byte, off int64, done int) (int, error) {
	var w int
	var err error
	if off < 0 {
		w, err = f.Write(t, chunk)
	} else {
		w, err = f.PWrite(t, chunk, off+int64(done))
	}
	switch err {
	case unix.EPIPE:
		t.SendSignalNo(linux.SIGPIPE)
	case unix.EFBIG:
		fileSizeExceeded(t)
	}
	return w, err
}

// fileSizeExceeded sends SIGXFSZ after an EFBIG, when RLIMIT_FSIZE is set
// (as Linux's generic_write_check_limits() and inode_newsize_ok()).
func fileSizeExceeded(t *kernel.Task) {
	if t.FileSizeLimit() != kernel.RLimInfinity {
		t.SendSignalNo(linux.SIGXFSZ)
	}
}

// iovec is one struct iovec.
type iovec struct {
	base uintptr
	len  int
}

// copyInIovecs reads iovcnt struct iovecs at addr into dst (reused when
// large enough), checking the total against MAX_RW_COUNT as Linux does.
func copyInIovecs(t *kernel.Task, addr uintptr, iovcnt uintptr, dst []iovec) ([]iovec, int, error) {
	if iovcnt > uioMaxIOV {
		return nil, 0, unix.EINVAL
	}
	var raw [16 * 8]byte
	var b []byte
	if iovcnt <= 8 {
		b = raw[:16*iovcnt]
	} else {
		b = make([]byte, 16*iovcnt)
	}
	if _, err := t.CopyIn(addr, b); err != nil {
		return nil, 0, err
	}
	iovs := dst[:0]
	total := 0
	for i := uintptr(0); i < iovcnt; i++ {
		base := uintptr(binary.LittleEndian.Uint64(b[16*i:]))
		l := int64(binary.LittleEndian.Uint64(b[16*i+8:]))
		if l < 0 {
			return nil, 0, unix.EINVAL
		}
		if int64(total)+l > maxRWCount {
			l = maxRWCount - int64(total)
		}
		total += int(l)
		iovs = append(iovs, iovec{base, int(l)})
	}
	return iovs, total, nil
}

// Readv implements Linux syscall readv(2).
func Readv(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return ioDone(vectorIO(t, a[0], a[1], a[2], -1, false))
}

// Writev implements Linux syscall writev(2).
func Writev(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return ioDone(vectorIO(t, a[0], a[1], a[2], -1, true))
}

// Preadv implements Linux syscall preadv(2).
func Preadv(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	if int64(a[3]) < 0 {
		return 0, unix.EINVAL
	}
	return ioDone(vectorIO(t, a[0], a[1], a[2], int64(a[3]), false))
}

// Pwritev implements Linux syscall pwritev(2).
func Pwritev(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	if int64(a[3]) < 0 {
		return 0, unix.EINVAL
	}
	return ioDone(vectorIO(t, a[0], a[1], a[2], int64(a[3]), true))
}

// Preadv2 implements Linux syscall preadv2(2) (an offset of -1 means the
// file offset; flags are accepted and ignored).
func Preadv2(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	off := int64(a[3])
	if off < -1 {
		return 0, unix.EINVAL
	}
	return ioDone(vectorIO(t, a[0], a[1], a[2], off, false))
}

// Pwritev2 implements Linux syscall pwritev2(2).
func Pwritev2(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	off := int64(a[3])
	if off < -1 {
		return 0, unix.EINVAL
	}
	return ioDone(vectorIO(t, a[0], a[1], a[2], off, true))
}

// vectorIO is readv, writev and their p/p2 forms: it reads the iovecs at
// iovAddr and transfers.
func vectorIO(t *kernel.Task, fd, iovAddr, iovcnt uintptr, off int64, write bool) (int, error) {
	f, err := getFile(t, fd)
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	var small [8]iovec
	iovs, _, err := copyInIovecs(t, iovAddr, iovcnt, small[:])
	if err != nil {
		return 0, err
	}
	return transfer(t, f, iovs, off, write)
}

// accessiblePrefix trims iovs to the application memory that the transfer
// may touch (readable for a write to the file, writable for a read), as
// Linux's copy routines stop at the first bad byte. It returns the trimmed
// iovecs, their total, and whether memory ran out before the request did.
func accessiblePrefix(t *kernel.Task, iovs []iovec, write bool) ([]iovec, int, bool) {
	m := t.MemoryManager()
	total := 0
	for i, v := range iovs {
		if v.len == 0 {
			continue
		}
		n := int(m.AccessibleLength(v.base, uintptr(v.len), !write))
		total += n
		if n < v.len {
			iovs[i].len = n
			return iovs[:i+1], total, true
		}
	}
	return iovs, total, false
}

// transfer moves data between f and the iovecs, through the task's scratch
// buffer: a read fills the buffer once per round and scatters it (so a
// pipe is read once), a write gathers a buffer and writes it. At the file
// offset if off < 0, else at off. Memory is checked before any data moves:
// a bad buffer fails with EFAULT without consuming input or moving the
// offset; a partly bad one transfers the good prefix.
func transfer(t *kernel.Task, f *vfs.FileDescription, iovs []iovec, off int64, write bool) (int, error) {
	if s, ok := f.Impl().(*unixsocket.Socket); ok && off < 0 {
		return socketIO(t, s, iovs, write)
	}
	requested := 0
	for _, v := range iovs {
		requested += v.len
	}
	if write && requested > 0 && vfs.DiscardsWrites(f.Impl()) {
		// Like Linux's /dev/null: the data is never read.
		if !f.Writable() {
			return 0, unix.EBADF
		}
		return requested, nil
	}
	iovs, total, short := accessiblePrefix(t, iovs, write)
	if total == 0 {
		if requested > 0 && short {
			return 0, unix.EFAULT
		}
		// Still check that the file may be read or written.
		if write && !f.Writable() || !write && !f.Readable() {
			return 0, unix.EBADF
		}
		return 0, nil
	}
	buf := t.Scratch(min(total, kernel.ScratchMax))
	seekable := f.Impl().Seekable()
	done := 0
	// cur and curOff walk the iovecs.
	cur, curOff := 0, 0
	for done < total {
		chunk := buf[:min(total-done, len(buf))]
		if write {
			if err := gather(t, iovs, &cur, &curOff, chunk); err != nil {
				return done, err
			}
			w, err := writeChunk(t, f, chunk, off, done)
			done += w
			if err != nil {
				return done, err
			}
			if w < len(chunk) {
				return done, nil
			}
			continue
		}
		var r int
		var err error
		if off < 0 {
			r, err = f.Read(t, chunk)
		} else {
			r, err = f.PRead(t, chunk, off+int64(done))
		}
		if r > 0 {
			if cerr := scatter(t, iovs, &cur, &curOff, chunk[:r]); cerr != nil {
				return done, cerr
			}
			done += r
		}
		if err != nil {
			return done, err
		}
		if r < len(chunk) || !seekable {
			return done, nil
		}
	}
	return done, nil
}

// gather fills buf from the iovecs starting at (*cur, *off).
func gather(t *kernel.Task, iovs []iovec, cur, off *int, buf []byte) error {
	for len(buf) > 0 && *cur < len(iovs) {
		v := iovs[*cur]
		n := min(v.len-*off, len(buf))
		if n > 0 {
			if _, err := t.CopyIn(v.base+uintptr(*off), buf[:n]); err != nil {
				return err
			}
		}
		buf = buf[n:]
		*off += n
		if *off == v.len {
			*cur, *off = *cur+1, 0
		}
	}
	return nil
}

// scatter copies buf out to the iovecs starting at (*cur, *off).
func scatter(t *kernel.Task, iovs []iovec, cur, off *int, buf []byte) error {
	for len(buf) > 0 && *cur < len(iovs) {
		v := iovs[*cur]
		n := min(v.len-*off, len(buf))
		if n > 0 {
			if _, err := t.CopyOut(v.base+uintptr(*off), buf[:n]); err != nil {
				return err
			}
		}
		buf = buf[n:]
		*off += n
		if *off == v.len {
			*cur, *off = *cur+1, 0
		}
	}
	return nil
}

// Lseek implements Linux syscall lseek(2).
func Lseek(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	f, err := getFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	whence := int(a[2])
	if whence < 0 || whence > unix.SEEK_HOLE {
		return 0, unix.EINVAL
	}
	off, err := f.Seek(t, int64(a[1]), whence)
	return uintptr(off), err
}

// Sendfile implements Linux syscall sendfile(2).
func Sendfile(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	out, err := getFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer out.DecRef()
	in, err := getFile(t, a[1])
	if err != nil {
		return 0, err
	}
	defer in.DecRef()
	offAddr, count := a[2], int(min(a[3], maxRWCount))
	if !in.Readable() || !out.Writable() {
		return 0, unix.EBADF
	}
	if out.StatusFlags()&unix.O_APPEND != 0 {
		return 0, unix.EINVAL
	}
	off := int64(-1)
	if offAddr != 0 {
		var b [8]byte
		if _, err := t.CopyIn(offAddr, b[:]); err != nil {
			return 0, err
		}
		off = int64(binary.LittleEndian.Uint64(b[:]))
		if off < 0 {
			return 0, unix.EINVAL
		}
	}
	buf := t.Scratch(min(max(count, 1), kernel.ScratchMax))
	done := 0
	var ioErr error
	for done < count {
		chunk := buf[:min(count-done, len(buf))]
		var r int
		if off < 0 {
			r, ioErr = in.Read(t, chunk)
		} else {
			r, ioErr = in.PRead(t, chunk, off+int64(done))
		}
		if r == 0 {
			break
		}
		w, werr := writeChunk(t, out, chunk[:r], -1, 0)
		done += w
		if werr != nil {
			ioErr = werr
			break
		}
		if w < r {
			// Give back what was read but not written.
			if off < 0 && in.Impl().Seekable() {
				in.Seek(t, int64(w-r), unix.SEEK_CUR)
			}
			break
		}
		if ioErr != nil || r < len(chunk) || !in.Impl().Seekable() {
			break
		}
	}
	if offAddr != 0 {
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], uint64(off+int64(done)))
		if _, err := t.CopyOut(offAddr, b[:]); err != nil {
			return 0, err
		}
	}
	return ioDone(done, ioErr)
}
