package server

import (
	"sync"

	"github.com/cocoon-sandbox/cocoon/fsgofer/proto"
	"golang.org/x/sys/unix"
)

// node is one walked file: an O_PATH|O_NOFOLLOW FD on it, and for
// non-directories the parent directory and name used to re-open it.
type node struct {
	// fd, dev, ino and mode are immutable; fd is O_PATH, owned by the
	// node and open while refs > 0.
	fd   int
	dev  uint64
	ino  uint64
	mode uint32 // S_IFMT bits

	// parent and name locate the file for re-opening. parent is nil for
	// the root and for a file unlinked or renamed over through this
	// connection (it cannot be re-opened then: ESTALE). Guarded by
	// conn.mu.
	parent *node
	name   string

	// refs counts FIDs naming this node, child nodes holding it as
	// parent, and requests using it. Guarded by conn.mu.
	refs int

	// dirMu guards dirFD, a readable FD for Getdents opened on first
	// use (-1 until then), and its offset.
	dirMu sync.Mutex
	dirFD int
}

// entryKey names a directory entry: the directory's (dev, ino) and a name.
type entryKey struct {
	dev, ino uint64
	name     string
}

// newNode makes a node with no references, holding one on parent.
// Preconditions: c.mu is held, or the node is the root.
func newNode(fd int, st *unix.Stat_t, parent *node, name string) *node {
	n := &node{
		fd:     fd,
		dev:    st.Dev,
		ino:    st.Ino,
		mode:   st.Mode & unix.S_IFMT,
		parent: parent,
		name:   name,
		dirFD:  -1,
	}
	if parent != nil {
		parent.refs++
	}
	return n
}

func (n *node) isDir() bool { return n.mode == unix.S_IFDIR }

// key is n's entry. Preconditions: c.mu is held; n.parent is set.
func (n *node) key() entryKey {
	return entryKey{dev: n.parent.dev, ino: n.parent.ino, name: n.name}
}

// registerLocked indexes a new non-directory node by its entry.
// Preconditions: c.mu is held.
func (c *conn) registerLocked(n *node) {
	if n.isDir() || n.parent == nil {
		return
	}
	k := n.key()
	c.byEntry[k] = append(c.byEntry[k], n)
}

func (c *conn) unregisterLocked(n *node) {
	if n.isDir() || n.parent == nil {
		return
	}
	k := n.key()
	list := c.byEntry[k]
	for i, m := range list {
		if m == n {
			list[i] = list[len(list)-1]
			list = list[:len(list)-1]
			break
		}
	}
	if len(list) == 0 {
		delete(c.byEntry, k)
	} else {
		c.byEntry[k] = list
	}
}

// decRefLocked drops one reference to n, releasing it and then its
// ancestors as they become unreferenced. Preconditions: c.mu is held.
func (c *conn) decRefLocked(n *node) {
	for n != nil {
		n.refs--
		if n.refs > 0 {
			return
		}
		c.unregisterLocked(n)
		unix.Close(n.fd)
		if n.dirFD >= 0 { // no one else refers to n: dirMu is not needed
			unix.Close(n.dirFD)
		}
		p := n.parent
		n.parent = nil
		n = p
	}
}

// put drops a request's reference to n (taken by getFID, walkOne or
// parentOf); nil is ignored.
func (c *conn) put(n *node) {
	if n == nil {
		return
	}
	c.mu.Lock()
	c.decRefLocked(n)
	c.mu.Unlock()
}

// parentOf returns n's parent, with a reference for the caller, and name
// in it; nil if n has none (the root, or unlinked).
func (c *conn) parentOf(n *node) (*node, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := n.parent
	if p != nil {
		p.refs++
	}
	return p, n.name
}

// detachEntryLocked marks the non-directory nodes at (dir, name) as no
// longer reachable by name (after unlink, or rename over them).
// Preconditions: c.mu is held.
func (c *conn) detachEntryLocked(dir *node, name string) {
	k := entryKey{dev: dir.dev, ino: dir.ino, name: name}
	list := c.byEntry[k]
	delete(c.byEntry, k)
	for _, n := range list {
		p := n.parent
		n.parent = nil
		n.name = ""
		c.decRefLocked(p)
	}
}

// moveEntryLocked re-points the nodes at (oldDir, oldName) to (newDir,
// newName). Preconditions: c.mu is held.
func (c *conn) moveEntryLocked(oldDir *node, oldName string, newDir *node, newName string) {
	k := entryKey{dev: oldDir.dev, ino: oldDir.ino, name: oldName}
	list := c.byEntry[k]
	delete(c.byEntry, k)
	for _, n := range list {
		p := n.parent
		n.parent = newDir
		newDir.refs++
		n.name = newName
		c.registerLocked(n)
		c.decRefLocked(p)
	}
}

// addFID gives n a new FID (taking a reference), or ENFILE.
func (c *conn) addFID(n *node) (proto.FID, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.fids) >= MaxFIDs {
		return 0, unix.ENFILE
	}
	fid := c.nextFID
	c.nextFID++
	c.fids[fid] = n
	n.refs++
	return fid, nil
}

// fidsFull says whether no FID can be added.
func (c *conn) fidsFull() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.fids) >= MaxFIDs
}

// getFID returns the node of fid (EBADF if unknown) with a reference for
// the caller, who puts it when done.
func (c *conn) getFID(fid proto.FID) (*node, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, ok := c.fids[fid]
	if !ok {
		return nil, unix.EBADF
	}
	n.refs++
	return n, nil
}

// getDirFID is getFID for a directory (ENOTDIR otherwise).
func (c *conn) getDirFID(fid proto.FID) (*node, error) {
	n, err := c.getFID(fid)
	if err != nil {
		return nil, err
	}
	if !n.isDir() {
		c.put(n)
		return nil, unix.ENOTDIR
	}
	return n, nil
}

// dropFIDLocked releases fid. Preconditions: c.mu is held.
func (c *conn) dropFIDLocked(fid proto.FID) bool {
	n, ok := c.fids[fid]
	if !ok {
		return false
	}
	delete(c.fids, fid)
	c.decRefLocked(n)
	return true
}

// closeAll releases every FID and the root: the end of the connection,
// once no worker is left.
func (c *conn) closeAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for fid := range c.fids {
		c.dropFIDLocked(fid)
	}
	c.decRefLocked(c.root)
}

// walkOne opens name in dir without following it and returns its node,
// with a reference for the caller, and its attributes.
func (c *conn) walkOne(dir *node, name string) (*node, proto.Attr, error) {
	if !proto.ValidName(name) {
		return nil, proto.Attr{}, unix.EINVAL
	}
	if !dir.isDir() {
		return nil, proto.Attr{}, unix.ENOTDIR
	}
	fd, err := openat(dir.fd, name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, proto.Attr{}, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, proto.Attr{}, err
	}
	c.mu.Lock()
	n := newNode(fd, &st, dir, name)
	n.refs = 1
	c.registerLocked(n)
	c.mu.Unlock()
	return n, attrOf(&st), nil
}

// reopenRootFile opens a file root (ServeFile) by duplicating its I/O
// descriptor: EACCES for a write through a read-only one.
func (c *conn) reopenRootFile(flags int) (int, error) {
	ioAcc, err := unix.FcntlInt(uintptr(c.rootIO), unix.F_GETFL, 0)
	if err != nil {
		return -1, err
	}
	if flags&unix.O_ACCMODE != unix.O_RDONLY && ioAcc&unix.O_ACCMODE == unix.O_RDONLY {
		return -1, unix.EACCES
	}
	return unix.FcntlInt(uintptr(c.rootIO), unix.F_DUPFD_CLOEXEC, 0)
}

// reopen opens n for I/O with flags (no O_CREAT, no O_TRUNC): directories
// through "." of their own FD, other files by name in their parent with
// O_NOFOLLOW, checked to be the same inode as n.
func (c *conn) reopen(n *node, flags int) (int, error) {
	flags |= unix.O_CLOEXEC | unix.O_NOCTTY | unix.O_NOFOLLOW
	if n.isDir() {
		return openat(n.fd, ".", flags|unix.O_DIRECTORY, 0)
	}
	if n == c.root && c.rootIO >= 0 {
		return c.reopenRootFile(flags)
	}
	parent, name := c.parentOf(n)
	if parent == nil {
		return -1, unix.ESTALE
	}
	defer c.put(parent)
	// O_NONBLOCK: if the name was swapped on the host for a FIFO, the open
	// must not hang before the identity check below rejects it.
	fd, err := openat(parent.fd, name, flags|unix.O_NONBLOCK, 0)
	if err != nil {
		if err == unix.ENOENT {
			return -1, unix.ESTALE
		}
		return -1, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return -1, err
	}
	if st.Dev != n.dev || st.Ino != n.ino {
		unix.Close(fd)
		return -1, unix.ESTALE
	}
	if flags&unix.O_NONBLOCK == 0 {
		// F_SETFL sets O_APPEND and O_NONBLOCK (and flags never asked for).
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFL, flags&unix.O_APPEND); err != nil {
			unix.Close(fd)
			return -1, err
		}
	}
	return fd, nil
}

func attrOf(st *unix.Stat_t) proto.Attr {
	return proto.Attr{
		Mode:    st.Mode,
		Ino:     st.Ino,
		Dev:     st.Dev,
		Nlink:   st.Nlink,
		UID:     st.Uid,
		GID:     st.Gid,
		Rdev:    st.Rdev,
		Size:    st.Size,
		Blksize: st.Blksize,
		Blocks:  st.Blocks,
		Atime:   proto.Timespec{Sec: st.Atim.Sec, Nsec: st.Atim.Nsec},
		Mtime:   proto.Timespec{Sec: st.Mtim.Sec, Nsec: st.Mtim.Nsec},
		Ctime:   proto.Timespec{Sec: st.Ctim.Sec, Nsec: st.Ctim.Nsec},
	}
}

// openat is unix.Openat retried on EINTR (opening a FIFO may block and be
// interrupted).
func openat(dirfd int, name string, flags int, mode uint32) (int, error) {
	for {
		fd, err := unix.Openat(dirfd, name, flags, mode)
		if err != unix.EINTR {
			return fd, err
		}
	}
}
