package vfs

// This file is the contract between the VFS and the file systems under
// sentry/fsimpl: what a file system implements (Inode, FileImpl) and what the
// VFS hands it (Context). Errors returned to the application are
// golang.org/x/sys/unix Errno values (ENOENT, EROFS, ...).

// Context is what a file system may ask of the calling task.
type Context interface {
	// UID and GID are the caller's effective file-system credentials.
	UID() uint32
	GID() uint32

	// Block waits until ch is closed or receives, or until the caller is
	// interrupted by a signal or kill, in which case it returns
	// ErrInterrupted. Files that may wait (pipes, host terminals) block
	// only through it.
	Block(ch <-chan struct{}) error

	// Interrupt returns a channel that is closed or readable when the caller
	// is interrupted; for selecting together with other channels. Block
	// is the usual way.
	Interrupted() <-chan struct{}
}

// FileType is the S_IFMT part of a mode.
type FileType uint32

// File types, as in S_IFMT.
const (
	TypeRegular   FileType = 0o100000
	TypeDirectory FileType = 0o040000
	TypeSymlink   FileType = 0o120000
	TypeCharDev   FileType = 0o020000
	TypeBlockDev  FileType = 0o060000
	TypeFIFO      FileType = 0o010000
	TypeSocket    FileType = 0o140000
	TypeMask      FileType = 0o170000
)

// Timespec is a time in seconds and nanoseconds since the epoch.
type Timespec struct {
	Sec  int64
	Nsec int64
}

// Attr is what stat(2) reports about an inode.
type Attr struct {
	Mode    uint32 // type and permission bits
	Ino     uint64
	Dev     uint64
	Nlink   uint64
	UID     uint32
	GID     uint32
	Rdev    uint64
	Size    int64
	Blksize int64
	Blocks  int64
	Atime   Timespec
	Mtime   Timespec
	Ctime   Timespec
}

// SetAttrMask says which fields of SetAttr to apply.
type SetAttrMask uint32

// SetAttr fields.
const (
	SetMode SetAttrMask = 1 << iota
	SetUID
	SetGID
	SetSize
	SetAtime
	SetMtime
)

// SetAttr is a change of attributes (chmod, chown, truncate, utimensat).
type SetAttr struct {
	Mask  SetAttrMask
	Mode  uint32
	UID   uint32
	GID   uint32
	Size  int64
	Atime Timespec
	Mtime Timespec
	// TimesExplicit says Atime or Mtime is a time the caller chose (not
	// "now"): only the owner may set those (EPERM), while setting the
	// current time needs only write access (utimensat(2)).
	TimesExplicit bool
}

// Dirent is one directory entry.
type Dirent struct {
	Name string
	Ino  uint64
	Type FileType
}

// Statfs is what statfs(2) reports.
type Statfs struct {
	Type    uint64
	Bsize   int64
	Blocks  uint64
	Bfree   uint64
	Bavail  uint64
	Files   uint64
	Ffree   uint64
	NameLen uint64
	Frsize  int64
}

// Inode is one file-system object, implemented by each file system. Names
// passed to it are single path components, never "", "." or "..", never
// containing "/"; the VFS resolves paths and symlinks itself. Methods that
// do not apply return ENOTDIR, EINVAL, EPERM or EROFS as Linux would.
type Inode interface {
	// Stat returns the inode's attributes.
	Stat(ctx Context) (Attr, error)
	// SetAttr changes attributes.
	SetAttr(ctx Context, a SetAttr) error
	// StatFS describes the file system holding the inode.
	StatFS(ctx Context) (Statfs, error)

	// Lookup returns the child called name of a directory (ENOENT when
	// missing).
	Lookup(ctx Context, name string) (Inode, error)
	// Readdir lists a directory, without "." and "..".
	Readdir(ctx Context) ([]Dirent, error)
	// Readlink returns a symlink's target.
	Readlink(ctx Context) (string, error)

	// Open opens the inode with the O_* flags of open(2) (access mode,
	// O_TRUNC, O_APPEND, O_NONBLOCK; O_CREAT and O_EXCL are handled by the
	// VFS). The returned FileImpl belongs to the caller.
	Open(ctx Context, flags uint32) (FileImpl, error)

	// Create makes a regular file name in a directory and returns it.
	Create(ctx Context, name string, mode uint32) (Inode, error)
	// Mkdir makes a directory.
	Mkdir(ctx Context, name string, mode uint32) (Inode, error)
	// Mknod makes a FIFO, socket or device node.
	Mknod(ctx Context, name string, mode uint32, rdev uint64) (Inode, error)
	// Symlink makes a symbolic link to target.
	Symlink(ctx Context, name, target string) (Inode, error)
	// Link makes name a new hard link to target (same file system).
	Link(ctx Context, name string, target Inode) error
	// Unlink removes a non-directory.
	Unlink(ctx Context, name string) error
	// Rmdir removes an empty directory.
	Rmdir(ctx Context, name string) error
	// Rename moves oldName of this directory to newName of newDir (same
	// file system), replacing what was there as rename(2) does.
	Rename(ctx Context, oldName string, newDir Inode, newName string) error

	// Locks returns the advisory locks on the inode (flock and fcntl
	// record locks), the same for every open of it; embedding an
	// InodeLocks implements it.
	Locks() *InodeLocks
}

// FileImpl is an open file, implemented by each file system. The VFS keeps
// the file offset and calls Read and Write with it; files that are not
// seekable (pipes, terminals, sockets) ignore off.
type FileImpl interface {
	Read(ctx Context, dst []byte, off int64) (int, error)
	Write(ctx Context, src []byte, off int64) (int, error)
	// Seekable says whether lseek and pread apply (ESPIPE if not).
	Seekable() bool
	// Ioctl handles ioctl(2); the argument is the raw register value and
	// the file copies memory through io.
	Ioctl(ctx Context, io IO, cmd uint32, arg uintptr) (uintptr, error)
	// Readiness returns which of the poll events in mask are ready now.
	Readiness(mask uint32) uint32
	// Release closes the file.
	Release()
}

// IO lets a file copy to and from application memory (for ioctl).
type IO interface {
	CopyIn(addr uintptr, dst []byte) (int, error)
	CopyOut(addr uintptr, src []byte) (int, error)
}
