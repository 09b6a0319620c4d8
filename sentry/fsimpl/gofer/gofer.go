// Package gofer is the sentry's file system over the gofer: each Inode is a
// FID of the file protocol (fsgofer/client, docs/fsgofer-protocol.md), and
// each opened File is a host FD the gofer donated, read and written
// directly with pread/pwrite (file data never moves through the protocol).
//
// Caching: lookup results are cached per directory by name, weakly: an
// entry lives as long as someone (the VFS) holds the Inode, and this file
// system keeps the cache right for its own mutations (create, unlink,
// rmdir, rename). With exclusive access (the default) each Inode also
// keeps its attributes (attr.go), so that a stat or fstat costs no round
// trip; with shared access every Stat asks the gofer. Changes made behind
// the sandbox's back on the host are not seen for cached names, nor for
// cached attributes. A path missing from the caches is walked in one
// round trip (LookupPath, a vfs.PathWalker). When an Inode is garbage
// collected its FID is closed on the gofer (batched by a background
// goroutine).
//
// The gofer is not trusted: its errnos pass to the application, but any
// protocol violation becomes EIO, donated FDs are checked to be what was
// asked for, and names it lists are checked to be single components.
//
// Locking: Inode.mu guards the Inode's child cache and Inode.attrMu its
// attributes; both are leaf locks held across no round trip. The client
// takes several calls in flight itself; filesystem.mu guards the
// pending-close list.
package gofer

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/cocoon-sandbox/cocoon/fsgofer/client"
	"github.com/cocoon-sandbox/cocoon/fsgofer/proto"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
	"golang.org/x/sys/unix"
)

// filesystem is one gofer connection.
type filesystem struct {
	client   *client.Client
	readOnly bool
	// exclusive says the sandbox is the only one changing the tree:
	// attributes are cached (attr.go).
	exclusive bool

	mu sync.Mutex
	// pending are FIDs of collected Inodes waiting to be closed; guarded
	// by mu.
	pending []proto.FID
	// wake tells the closer goroutine that pending is not empty.
	wake chan struct{}
}

// Options configure a gofer file system.
type Options struct {
	// Shared says that the tree may change behind the sandbox's back
	// (gVisor's --file-access=shared): attributes are then asked of the
	// gofer on every Stat instead of cached. The default is exclusive
	// access.
	Shared bool
}

// NewFilesystem is NewFilesystemWithOptions with exclusive access.
func NewFilesystem(sockFD int) (vfs.Inode, error) {
	return NewFilesystemWithOptions(sockFD, Options{})
}

// NewFilesystemWithOptions attaches to the gofer on the connected
// SOCK_SEQPACKET socket sockFD (which it takes ownership of) and returns
// the root Inode (an *Inode).
func NewFilesystemWithOptions(sockFD int, opts Options) (vfs.Inode, error) {
	c, err := client.New(sockFD)
	if err != nil {
		unix.Close(sockFD)
		return nil, err
	}
	fid, attr, flags, err := c.Attach()
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("attaching to gofer: %w", err)
	}
	// A directory, or a regular file (a file bind mount).
	if t := attr.Mode & unix.S_IFMT; t != unix.S_IFDIR && t != unix.S_IFREG {
		c.Close()
		return nil, fmt.Errorf("gofer root is neither a directory nor a regular file (mode %#o)", attr.Mode)
	}
	fs := &filesystem{
		client:    c,
		readOnly:  flags&proto.AttachReadOnly != 0,
		exclusive: !opts.Shared,
		wake:      make(chan struct{}, 1),
	}
	go fs.closer()
	return fs.newInode(fid, attr), nil
}

// newInode wraps fid, whose attributes the gofer just sent, closing it on
// the gofer once the Inode is collected.
func (fs *filesystem) newInode(fid proto.FID, attr proto.Attr) *Inode {
	ino := &Inode{fs: fs, fid: fid, ftype: vfs.FileType(attr.Mode) & vfs.TypeMask}
	ino.attr, ino.attrOK = attr, fs.cacheable(&attr)
	runtime.AddCleanup(ino, fs.releaseFID, fid)
	return ino
}

// releaseFID queues fid for closing. It runs on the runtime's cleanup
// goroutine and must not block on the gofer.
func (fs *filesystem) releaseFID(fid proto.FID) {
	fs.mu.Lock()
	fs.pending = append(fs.pending, fid)
	fs.mu.Unlock()
	select {
	case fs.wake <- struct{}{}:
	default:
	}
}

// closer closes queued FIDs in batches until the connection fails.
func (fs *filesystem) closer() {
	for range fs.wake {
		fs.mu.Lock()
		fids := fs.pending
		fs.pending = nil
		fs.mu.Unlock()
		if err := fs.client.CloseFIDs(fids...); err != nil {
			if _, ok := err.(unix.Errno); !ok {
				return // connection gone: the gofer released everything
			}
		}
	}
}

// errno turns a client error into what the application sees: the gofer's
// errno, or EIO for a failed connection or protocol violation.
func errno(err error) error {
	if err == nil {
		return nil
	}
	if e, ok := err.(unix.Errno); ok {
		return e
	}
	return unix.EIO
}

func toAttr(a *proto.Attr) vfs.Attr {
	return vfs.Attr{
		Mode:    a.Mode,
		Ino:     a.Ino,
		Dev:     a.Dev,
		Nlink:   a.Nlink,
		UID:     a.UID,
		GID:     a.GID,
		Rdev:    a.Rdev,
		Size:    a.Size,
		Blksize: a.Blksize,
		Blocks:  a.Blocks,
		Atime:   vfs.Timespec(a.Atime),
		Mtime:   vfs.Timespec(a.Mtime),
		Ctime:   vfs.Timespec(a.Ctime),
	}
}
