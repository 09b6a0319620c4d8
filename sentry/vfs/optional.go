package vfs

// This file holds the optional interfaces a FileImpl may implement beyond
// interfaces.go; the VFS checks for them with a type assertion.

// OffsetOwner is implemented by files that keep their own file offset, such
// as a donated host FD whose offset is shared with processes outside the
// sandbox. For them the VFS passes off < 0 to Read and Write to mean "at
// and advancing your own offset" (read(2)/write(2)), and off >= 0 only for
// pread/pwrite; lseek goes to Seek.
type OffsetOwner interface {
	Seek(ctx Context, offset int64, whence int) (int64, error)
}

// FileStater is implemented by files that can describe themselves without
// a dentry (pipes, host FDs, sockets): fstat uses it in preference to the
// dentry's inode.
type FileStater interface {
	Stat(ctx Context) (Attr, error)
}

// StatusFlagsObserver is implemented by files that need to know the status
// flags of their description (O_NONBLOCK, O_APPEND): the VFS calls
// SetStatusFlags when the description is made and on fcntl(F_SETFL).
type StatusFlagsObserver interface {
	SetStatusFlags(flags uint32)
}

// Syncer is implemented by files that have something to flush (fsync).
type Syncer interface {
	Sync(ctx Context) error
}

// FileNamer is implemented by files without a dentry to give the name
// /proc/self/fd/N shows, e.g. "pipe:[12]".
type FileNamer interface {
	Name() string
}

// Waitable is implemented by files whose readiness can change while a task
// waits in poll, select or a blocking read (pipes, host terminals). A
// WaitQueue embedded in the file implements it.
type Waitable interface {
	// EventRegister asks for e.C to be signalled when any event of e.Mask
	// may have become ready.
	EventRegister(e *WaitEntry)
	// EventUnregister undoes EventRegister.
	EventUnregister(e *WaitEntry)
}

// TmpfileMaker is implemented by directories whose file system can make
// unnamed regular files, for open(2) with O_TMPFILE.
type TmpfileMaker interface {
	// MakeTmpfile returns a new regular file with mode's permission bits
	// and no name (nlink 0) on the directory's file system. linkable says
	// a later Link may still give it a name (Linux's I_LINKABLE; O_TMPFILE
	// without O_EXCL); Link of an unnamed file fails with ENOENT otherwise.
	MakeTmpfile(ctx Context, mode uint32, linkable bool) (Inode, error)
}

// FileAllocator is implemented by files that support fallocate(2).
type FileAllocator interface {
	Allocate(ctx Context, mode uint32, off, length int64) error
}

// FileTyper is implemented by inodes that know their file type without a
// Stat (an inode never changes type): the VFS asks it when it makes a
// dentry, so that a lookup on a remote file system (the gofer) costs no
// round trip beyond the lookup itself.
type FileTyper interface {
	FileType() FileType
}

// TypeOf returns the file type of in: from FileTyper, else from Stat.
func TypeOf(ctx Context, in Inode) (FileType, error) {
	if t, ok := in.(FileTyper); ok {
		return t.FileType(), nil
	}
	a, err := in.Stat(ctx)
	if err != nil {
		return 0, err
	}
	return FileType(a.Mode) & TypeMask, nil
}

// backgroundContext is the Context of work that no task asked for.
type backgroundContext struct{}

func (backgroundContext) UID() uint32                    { return 0 }
func (backgroundContext) GID() uint32                    { return 0 }
func (backgroundContext) Block(ch <-chan struct{}) error { <-ch; return nil }
func (backgroundContext) Interrupted() <-chan struct{}   { return nil }

// Background returns a Context with root credentials that is never
// interrupted: for the kernel's own file accesses (boot, mmap reads).
func Background() Context { return backgroundContext{} }

// WriteDiscarder is implemented by files that drop what is written without
// reading it (/dev/null): the syscall layer then never touches the
// application's buffer, so a write from a bad address succeeds as on
// Linux.
type WriteDiscarder interface {
	DiscardsWrites() bool
}

// DiscardsWrites reports whether impl drops writes unread.
func DiscardsWrites(impl FileImpl) bool {
	d, ok := impl.(WriteDiscarder)
	return ok && d.DiscardsWrites()
}
