// Package vfs is the sentry's virtual file system: mounts, dentries, path
// resolution (symlinks, "..", mount crossings), open file descriptions and
// the FD table. File systems live in sentry/fsimpl/* and implement the
// Inode and FileImpl interfaces of interfaces.go, plus the optional ones
// of optional.go and resolve.go (OffsetOwner, FileStater, Waitable,
// DynamicDir, MagicLink, ...).
//
// Reference counting: FileDescription, FDTable and FSContext are counted
// (the last DecRef/Release frees them); VirtualDentry references are
// counted but the dentry cache is not evicted yet.
//
// Lock order, outermost first:
//
//	FSContext.mu, FDTable.mu              (leaves: nothing is called under them)
//	VFS.renameMu                          (rename; path printing reads under it)
//	Dentry.mu of an old parent, then of a new parent, then of a child
//	                                      (only rename nests them; elsewhere one at a time)
//	FileDescription.offMu                 (file offset and directory listing)
//	VFS.mountMu                           (mount table; a leaf)
//	lockSet.mu                            (one file's flock and record locks, locks.go; a leaf)
//	releaseWatchers.mu                    (poll_support.go; a leaf, dropped before watchers run)
//	WaitQueue.mu                          (waiter.go; callbacks under it take only their own leaf locks)
//
// Inode methods are called with at most one Dentry.mu held (or two parents
// and a child in rename) and must not call back into the VFS.
package vfs

import "errors"

// ErrInterrupted is returned by Context.Block when the caller was
// interrupted; the syscall layer turns it into EINTR or a restart.
var ErrInterrupted = errors.New("interrupted")
