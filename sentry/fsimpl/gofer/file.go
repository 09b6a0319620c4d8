package gofer

import (
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
	"golang.org/x/sys/unix"
)

// File is an open gofer regular file: a host FD the gofer donated, read
// and written with pread/pwrite at the VFS's offset (so it also serves
// ReadAt-style reads, e.g. for file-backed private mappings). It
// implements vfs.FileImpl; open directories are vfs.DirectoryFile.
type File struct {
	// FileDefaults: seekable, no ioctls, always ready.
	vfs.FileDefaults
	// fd is the host FD, owned by the File; -1 for a directory or after
	// Release. Immutable until Release, which the VFS calls once, when no
	// Read or Write is in flight.
	fd  int
	dir bool
	// ino is the regular file's Inode, whose cached attributes writes
	// invalidate; writer says the File is registered as one of its
	// writers. Immutable.
	ino    *Inode
	writer bool
}

var _ vfs.FileImpl = (*File)(nil)

// newFile checks that a donated FD is a regular file (the gofer is not
// trusted to donate what was asked) and wraps it as an open file of ino;
// writable registers it as one of ino's writers.
func newFile(fd int, ino *Inode, writable bool) (*File, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		return nil, unix.EIO
	}
	f := &File{fd: fd, ino: ino, writer: writable}
	if writable {
		ino.addWriter(f)
	}
	return f, nil
}

// HostFD returns the donated host FD (for mapping the file); it stays owned
// by the File.
func (f *File) HostFD() int { return f.fd }

// Read implements vfs.FileImpl.Read with pread(2) at off.
func (f *File) Read(ctx vfs.Context, dst []byte, off int64) (int, error) {
	if off < 0 {
		return 0, unix.EINVAL
	}
	for {
		n, err := unix.Pread(f.fd, dst, off)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, err
		}
		return n, nil
	}
}

// Write implements vfs.FileImpl.Write with pwrite(2) at off. On a file
// opened O_APPEND the host appends at the end whatever off is.
func (f *File) Write(ctx vfs.Context, src []byte, off int64) (int, error) {
	if off < 0 {
		return 0, unix.EINVAL
	}
	for {
		n, err := unix.Pwrite(f.fd, src, off)
		if err == unix.EINTR {
			continue
		}
		if n > 0 {
			f.ino.invalidate() // size, mtime, ctime, blocks
		}
		if err != nil {
			return 0, err
		}
		return n, nil
	}
}

// Release implements vfs.FileImpl.Release: closes the host FD.
func (f *File) Release() {
	if f.fd >= 0 {
		if f.writer {
			f.ino.removeWriter(f)
		}
		unix.Close(f.fd)
		f.fd = -1
	}
}
