package tmpfs

import (
	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// maxFileSize bounds offsets so that off+len cannot overflow.
const maxFileSize = 1 << 62

// regularFile is an open regular file.
type regularFile struct {
	vfs.FileDefaults
	inode *inode
}

// Read implements vfs.FileImpl.
func (f *regularFile) Read(ctx vfs.Context, dst []byte, off int64) (int, error) {
	i := f.inode
	i.mu.RLock()
	defer i.mu.RUnlock()
	if off < 0 {
		return 0, unix.EINVAL
	}
	if off >= int64(len(i.data)) {
		return 0, nil
	}
	n := int(min(int64(len(dst)), int64(len(i.data))-off))
	i.spansLocked(off, n, func(b []byte, done int) { copy(dst[done:], b) })
	return n, nil
}

// Write implements vfs.FileImpl.
func (f *regularFile) Write(ctx vfs.Context, src []byte, off int64) (int, error) {
	i := f.inode
	if off < 0 {
		return 0, unix.EINVAL
	}
	if len(src) == 0 {
		return 0, nil
	}
	if off > maxFileSize || int64(len(src)) > maxFileSize-off {
		return 0, unix.EFBIG
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	end := off + int64(len(src))
	if end > int64(len(i.data)) {
		if err := i.growLocked(end); err != nil {
			return 0, err
		}
	}
	i.spansLocked(off, len(src), func(b []byte, done int) { copy(b, src[done:]) })
	n := len(src)
	t := now()
	i.attr.Mtime, i.attr.Ctime = t, t
	return n, nil
}

// growLocked extends the data to size bytes. Preconditions: i.mu held.
func (i *inode) growLocked(size int64) error {
	old := int64(len(i.data))
	if !i.fs.reserve(size - old) {
		return unix.ENOSPC
	}
	if size <= int64(cap(i.data)) {
		i.data = i.data[:size]
	} else {
		c := 2 * int64(cap(i.data))
		if c < size {
			c = size
		}
		if c > size+(64<<20) {
			c = size + 64<<20
		}
		nd := make([]byte, size, c)
		copy(nd, i.data)
		i.data = nd
	}
	i.attr.Size = size
	i.resizeCacheLocked(old, size)
	return nil
}

// Release implements vfs.FileImpl: the last open of the file takes its
// page cache back into data (no mapping can remain).
func (f *regularFile) Release() {
	i := f.inode
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.opens--; i.opens == 0 {
		i.writeBackCacheLocked()
	}
}

// Allocate implements vfs.FileAllocator (fallocate mode 0 and
// FALLOC_FL_KEEP_SIZE).
func (f *regularFile) Allocate(ctx vfs.Context, mode uint32, off, length int64) error {
	if mode&^unix.FALLOC_FL_KEEP_SIZE != 0 {
		return unix.EOPNOTSUPP
	}
	if off < 0 || length <= 0 || off > maxFileSize || length > maxFileSize-off {
		return unix.EINVAL
	}
	if mode&unix.FALLOC_FL_KEEP_SIZE != 0 {
		return nil
	}
	i := f.inode
	i.mu.Lock()
	defer i.mu.Unlock()
	if end := off + length; end > int64(len(i.data)) {
		return i.growLocked(end)
	}
	return nil
}
