package vfs

import (
	"io"
	"math"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/sentry/pgalloc"
)

// settableStatusFlags are the status flags fcntl(F_SETFL) may change, as in
// Linux's SETFL_MASK.
const settableStatusFlags = unix.O_APPEND | unix.O_NONBLOCK | unix.O_DIRECT | unix.O_NOATIME | unix.O_ASYNC

// FileDescription is an open file: a FileImpl with an offset, status flags
// and the place it was opened at; analogous to Linux's struct file. It is
// reference counted: descriptors in FD tables and in-flight system calls
// each hold a reference; the last DecRef releases the FileImpl.
type FileDescription struct {
	refs atomic.Int64
	impl FileImpl

	// vd is where the file was opened, with a reference, or nil for files
	// the kernel made (pipes, host stdio). Immutable.
	vd *VirtualDentry

	// flags are the access mode and status flags (O_RDONLY.., O_APPEND,
	// O_NONBLOCK, O_PATH, ...). Updated atomically.
	flags atomic.Uint32

	// offMu serializes operations that use the offset (Linux's
	// f_pos_lock) and guards the fields below.
	offMu sync.Mutex
	off   int64
	// dirents is the directory listing of a getdents stream, taken at the
	// first getdents after open or rewind; nil before.
	dirents []Dirent

	// owner is impl as an OffsetOwner, or nil. Immutable.
	owner OffsetOwner

	// hasLocks is set once the description took a flock or OFD lock, which
	// its last DecRef releases (locks.go).
	hasLocks atomic.Bool
	// locks holds the locks on the file when it has no inode (pipes);
	// otherwise they are the inode's (lockState).
	locks InodeLocks

	// releaseWatchers hear of the last DecRef (epoll registrations,
	// poll_support.go).
	releaseWatchers releaseWatchers
}

// NewFileDescription wraps impl in a description holding one reference
// (the caller's). flags are the open(2) flags (access mode and status
// flags; O_CREAT, O_EXCL, O_TRUNC, O_NOCTTY and O_CLOEXEC are dropped). vd
// may be nil; otherwise the description takes its own reference on *vd.
func NewFileDescription(impl FileImpl, flags uint32, vd *VirtualDentry) *FileDescription {
	fd := &FileDescription{impl: impl}
	fd.refs.Store(1)
	fd.flags.Store(flags &^ (unix.O_CREAT | unix.O_EXCL | unix.O_TRUNC | unix.O_NOCTTY | unix.O_CLOEXEC))
	if vd != nil {
		c := *vd
		c.IncRef()
		fd.vd = &c
	}
	fd.owner, _ = impl.(OffsetOwner)
	if o, ok := impl.(StatusFlagsObserver); ok {
		o.SetStatusFlags(fd.flags.Load())
	}
	return fd
}

// IncRef takes a reference.
func (fd *FileDescription) IncRef() { fd.refs.Add(1) }

// DecRef drops a reference; the last one releases the file.
func (fd *FileDescription) DecRef() {
	switch n := fd.refs.Add(-1); {
	case n == 0:
		fd.notifyReleased()
		if fd.hasLocks.Load() {
			releaseDescriptionLocks(fd)
		}
		fd.impl.Release()
		if fd.vd != nil {
			fd.vd.DecRef()
		}
	case n < 0:
		panic("vfs: FileDescription.DecRef without a reference")
	}
}

// Refs returns the number of references, for a collector that must tell
// references it knows of from all of them (unix sockets in flight). It
// may be stale as soon as it returns.
func (fd *FileDescription) Refs() int64 { return fd.refs.Load() }

// Impl returns the file system's open file.
func (fd *FileDescription) Impl() FileImpl { return fd.impl }

// VirtualDentry returns where the file was opened, or nil. The reference
// stays the description's.
func (fd *FileDescription) VirtualDentry() *VirtualDentry { return fd.vd }

// Inode returns the inode the file was opened at, or nil.
func (fd *FileDescription) Inode() Inode {
	if fd.vd == nil {
		return nil
	}
	return fd.vd.Dentry.inode
}

// StatusFlags returns the access mode and status flags (F_GETFL).
func (fd *FileDescription) StatusFlags() uint32 { return fd.flags.Load() }

// SetStatusFlags changes the settable status flags (F_SETFL): O_APPEND,
// O_NONBLOCK, O_DIRECT, O_NOATIME, O_ASYNC; the others are kept.
func (fd *FileDescription) SetStatusFlags(flags uint32) {
	for {
		old := fd.flags.Load()
		n := old&^settableStatusFlags | flags&settableStatusFlags
		if fd.flags.CompareAndSwap(old, n) {
			if o, ok := fd.impl.(StatusFlagsObserver); ok {
				o.SetStatusFlags(n)
			}
			return
		}
	}
}

// IsPath says whether the file was opened with O_PATH.
func (fd *FileDescription) IsPath() bool { return fd.flags.Load()&unix.O_PATH != 0 }

// Readable says whether the access mode allows reading.
func (fd *FileDescription) Readable() bool {
	f := fd.flags.Load()
	return f&unix.O_PATH == 0 && f&unix.O_ACCMODE != unix.O_WRONLY
}

// Writable says whether the access mode allows writing.
func (fd *FileDescription) Writable() bool {
	f := fd.flags.Load()
	return f&unix.O_PATH == 0 && f&unix.O_ACCMODE != unix.O_RDONLY
}

// isDir says whether the file is an open directory.
func (fd *FileDescription) isDir() bool { return fd.vd != nil && fd.vd.Dentry.IsDir() }

// Read reads into dst at the file's offset and advances it.
func (fd *FileDescription) Read(ctx Context, dst []byte) (int, error) {
	if !fd.Readable() {
		return 0, unix.EBADF
	}
	if fd.isDir() {
		return 0, unix.EISDIR
	}
	if fd.owner != nil || !fd.impl.Seekable() {
		return fd.impl.Read(ctx, dst, -1)
	}
	fd.offMu.Lock()
	defer fd.offMu.Unlock()
	n, err := fd.impl.Read(ctx, dst, fd.off)
	if n > 0 {
		fd.off += int64(n)
	}
	return n, err
}

// Write writes src at the file's offset, or at its end with O_APPEND, and
// advances the offset.
func (fd *FileDescription) Write(ctx Context, src []byte) (int, error) {
	if !fd.Writable() {
		return 0, unix.EBADF
	}
	if fd.owner != nil || !fd.impl.Seekable() {
		return fd.impl.Write(ctx, src, -1)
	}
	fd.offMu.Lock()
	defer fd.offMu.Unlock()
	if fd.flags.Load()&unix.O_APPEND != 0 {
		a, err := fd.Stat(ctx)
		if err != nil {
			return 0, err
		}
		fd.off = a.Size
	}
	src, err := fd.limitWrite(ctx, src, fd.off)
	if err != nil {
		return 0, err
	}
	n, err := fd.impl.Write(ctx, src, fd.off)
	if n > 0 {
		fd.off += int64(n)
	}
	return n, err
}

// PRead reads at off without using or moving the file offset.
func (fd *FileDescription) PRead(ctx Context, dst []byte, off int64) (int, error) {
	if !fd.Readable() {
		return 0, unix.EBADF
	}
	if off < 0 {
		return 0, unix.EINVAL
	}
	if fd.isDir() {
		return 0, unix.EISDIR
	}
	if !fd.impl.Seekable() {
		return 0, unix.ESPIPE
	}
	return fd.impl.Read(ctx, dst, off)
}

// PWrite writes at off without using or moving the file offset; as in
// Linux, O_APPEND makes it append regardless of off.
func (fd *FileDescription) PWrite(ctx Context, src []byte, off int64) (int, error) {
	if !fd.Writable() {
		return 0, unix.EBADF
	}
	if off < 0 {
		return 0, unix.EINVAL
	}
	if !fd.impl.Seekable() {
		return 0, unix.ESPIPE
	}
	if fd.owner == nil && fd.flags.Load()&unix.O_APPEND != 0 {
		a, err := fd.Stat(ctx)
		if err != nil {
			return 0, err
		}
		off = a.Size
	}
	src, err := fd.limitWrite(ctx, src, off)
	if err != nil {
		return 0, err
	}
	return fd.impl.Write(ctx, src, off)
}

// FileSizeLimiter is implemented by a Context whose writes are limited in
// how large they may make a file (RLIMIT_FSIZE).
type FileSizeLimiter interface {
	// FileSizeLimit returns the limit in bytes; math.MaxUint64 for none.
	FileSizeLimit() uint64
}

// FileSizeLimit returns ctx's file size limit, math.MaxUint64 if none.
func FileSizeLimit(ctx Context) uint64 {
	if l, ok := ctx.(FileSizeLimiter); ok {
		return l.FileSizeLimit()
	}
	return math.MaxUint64
}

// limitWrite trims a write of src at pos to a regular file so that it
// ends at ctx's file size limit, or fails with EFBIG when pos is at or
// past it; analogous to Linux's generic_write_check_limits() (the caller
// sends SIGXFSZ).
func (fd *FileDescription) limitWrite(ctx Context, src []byte, pos int64) ([]byte, error) {
	limit := FileSizeLimit(ctx)
	if limit == math.MaxUint64 || fd.vd == nil || fd.vd.Dentry.ftype != TypeRegular || len(src) == 0 {
		return src, nil
	}
	if uint64(pos) >= limit {
		return nil, unix.EFBIG
	}
	if room := limit - uint64(pos); uint64(len(src)) > room {
		src = src[:room]
	}
	return src, nil
}

// Seek implements lseek(2).
func (fd *FileDescription) Seek(ctx Context, offset int64, whence int) (int64, error) {
	if fd.IsPath() {
		return 0, unix.EBADF
	}
	if fd.owner != nil {
		return fd.owner.Seek(ctx, offset, whence)
	}
	dir := fd.isDir()
	if !dir && !fd.impl.Seekable() {
		return 0, unix.ESPIPE
	}
	fd.offMu.Lock()
	defer fd.offMu.Unlock()
	var base int64
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		base = fd.off
	case io.SeekEnd, unix.SEEK_DATA, unix.SEEK_HOLE:
		if dir {
			return 0, unix.EINVAL
		}
		a, err := fd.Stat(ctx)
		if err != nil {
			return 0, err
		}
		if whence != io.SeekEnd {
			// The whole file is data: SEEK_DATA stays, SEEK_HOLE goes
			// to the end; both fail with ENXIO at or past the end.
			if offset < 0 || offset >= a.Size {
				return 0, unix.ENXIO
			}
			if whence == unix.SEEK_HOLE {
				offset = a.Size
			}
			fd.off = offset
			return offset, nil
		}
		base = a.Size
	default:
		return 0, unix.EINVAL
	}
	n := base + offset
	if n < 0 || (offset > 0 && n < base) {
		return 0, unix.EINVAL
	}
	fd.off = n
	if dir && n == 0 {
		fd.dirents = nil
	}
	return n, nil
}

// Offset returns the file offset (for /proc/self/fdinfo).
func (fd *FileDescription) Offset() int64 {
	fd.offMu.Lock()
	defer fd.offMu.Unlock()
	return fd.off
}

// Stat returns the file's attributes (fstat). ctx may be nil for the
// kernel's own use.
func (fd *FileDescription) Stat(ctx Context) (Attr, error) {
	if ctx == nil {
		ctx = Background()
	}
	if s, ok := fd.impl.(FileStater); ok {
		return s.Stat(ctx)
	}
	if fd.vd != nil {
		return fd.vd.Dentry.inode.Stat(ctx)
	}
	return Attr{Mode: uint32(TypeFIFO) | 0o600, Nlink: 1, Blksize: 4096}, nil
}

// Ioctl passes ioctl(2) to the file.
func (fd *FileDescription) Ioctl(ctx Context, io IO, cmd uint32, arg uintptr) (uintptr, error) {
	if fd.IsPath() {
		return 0, unix.EBADF
	}
	return fd.impl.Ioctl(ctx, io, cmd, arg)
}

// Readiness returns which poll events of mask are ready.
func (fd *FileDescription) Readiness(mask uint32) uint32 {
	if fd.IsPath() {
		return linux.POLLNVAL
	}
	return fd.impl.Readiness(mask)
}

// Sync flushes the file (fsync); a no-op for files with nothing to flush.
func (fd *FileDescription) Sync(ctx Context) error {
	if s, ok := fd.impl.(Syncer); ok {
		return s.Sync(ctx)
	}
	return nil
}

// FileIdentity names the file the description opened, the same for every
// open of it (futex keys of shared file mappings): its inode.
func (fd *FileDescription) FileIdentity() any {
	if fd.vd == nil {
		return fd
	}
	return fd.vd.Dentry.Inode()
}

// FrameSource returns the file as a source of frames for shared mappings
// (pgalloc.FrameSource), or nil if it keeps none.
func (fd *FileDescription) FrameSource() pgalloc.FrameSource {
	src, _ := fd.impl.(pgalloc.FrameSource)
	return src
}

// ReadAt reads at off for the memory manager (mmap of a file): it needs no
// task. EACCES if the file is not open for reading, ENODEV if it is not a
// regular file.
func (fd *FileDescription) ReadAt(p []byte, off int64) (int, error) {
	if fd.vd == nil || fd.vd.Dentry.IsDir() || !fd.impl.Seekable() {
		return 0, unix.ENODEV
	}
	if !fd.Readable() {
		return 0, unix.EACCES
	}
	if off < 0 {
		return 0, unix.EINVAL
	}
	return fd.impl.Read(Background(), p, off)
}
