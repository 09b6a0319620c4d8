package server

import (
	"github.com/cocoon-sandbox/cocoon/fsgofer/proto"
	"golang.org/x/sys/unix"
)

// node is one walked file: an O_PATH|O_NOFOLLOW FD on it, and for
// non-directories the parent directory and name used to re-open it.
type node struct {
	fd   int // O_PATH; owned by the node
	dev  uint64
	ino  uint64
	mode uint32 // S_IFMT bits

	// parent and name locate the file for re-opening. parent is nil for
	// the root and for a file unlinked or renamed over through this
	// connection (it cannot be re-opened then: ESTALE).
	parent *node
	name   string

	// refs counts FIDs naming this node plus child nodes holding it as
	// parent.
	refs int

	// dirFD is a readable FD for Getdents, opened on first use; -1 until
	// then.
	dirFD int
}

// entryKey names a directory entry: the directory's (dev, ino) and a name.
type entryKey struct {
	dev, ino uint64
	name     string
}

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

func (n *node) key() entryKey {
	return entryKey{dev: n.parent.dev, ino: n.parent.ino, name: n.name}
}

// register indexes a new non-directory node by its entry.
func (s *server) register(n *node) {
	if n.isDir() || n.parent == nil {
		return
	}
	k := n.key()
	s.byEntry[k] = append(s.byEntry[k], n)
}

func (s *server) unregister(n *node) {
	if n.isDir() || n.parent == nil {
		return
	}
	k := n.key()
	list := s.byEntry[k]
	for i, m := range list {
		if m == n {
			list[i] = list[len(list)-1]
			list = list[:len(list)-1]
			break
		}
	}
	if len(list) == 0 {
		delete(s.byEntry, k)
	} else {
		s.byEntry[k] = list
	}
}

// decRef drops one reference to n, releasing it and then its ancestors as
// they become unreferenced.
func (s *server) decRef(n *node) {
	for n != nil {
		n.refs--
		if n.refs > 0 {
			return
		}
		s.unregister(n)
		unix.Close(n.fd)
		if n.dirFD >= 0 {
			unix.Close(n.dirFD)
		}
		p := n.parent
		n.parent = nil
		n = p
	}
}

// detachEntry marks the non-directory nodes at (dir, name) as no longer
// reachable by name (after unlink, or rename over them).
func (s *server) detachEntry(dir *node, name string) {
	k := entryKey{dev: dir.dev, ino: dir.ino, name: name}
	list := s.byEntry[k]
	delete(s.byEntry, k)
	for _, n := range list {
		p := n.parent
		n.parent = nil
		n.name = ""
		s.decRef(p)
	}
}

// moveEntry re-points the nodes at (oldDir, oldName) to (newDir, newName).
func (s *server) moveEntry(oldDir *node, oldName string, newDir *node, newName string) {
	k := entryKey{dev: oldDir.dev, ino: oldDir.ino, name: oldName}
	list := s.byEntry[k]
	delete(s.byEntry, k)
	for _, n := range list {
		p := n.parent
		n.parent = newDir
		newDir.refs++
		n.name = newName
		s.register(n)
		s.decRef(p)
	}
}

// addFID gives n a new FID (taking a reference).
func (s *server) addFID(n *node) (proto.FID, error) {
	if len(s.fids) >= MaxFIDs {
		return 0, unix.ENFILE
	}
	fid := s.nextFID
	s.nextFID++
	s.fids[fid] = n
	n.refs++
	return fid, nil
}

// lookupFID returns the node of fid (EBADF if unknown).
func (s *server) lookupFID(fid proto.FID) (*node, error) {
	n, ok := s.fids[fid]
	if !ok {
		return nil, unix.EBADF
	}
	return n, nil
}

// dirFID returns the node of fid, which must be a directory.
func (s *server) dirFID(fid proto.FID) (*node, error) {
	n, err := s.lookupFID(fid)
	if err != nil {
		return nil, err
	}
	if !n.isDir() {
		return nil, unix.ENOTDIR
	}
	return n, nil
}

func (s *server) dropFID(fid proto.FID) bool {
	n, ok := s.fids[fid]
	if !ok {
		return false
	}
	delete(s.fids, fid)
	s.decRef(n)
	return true
}

// closeAll releases every FID and the root: the end of the connection.
func (s *server) closeAll() {
	for fid := range s.fids {
		s.dropFID(fid)
	}
	s.decRef(s.root)
}

// walkOne opens name in dir without following it and returns its node
// (with no references yet) and attributes.
func (s *server) walkOne(dir *node, name string) (*node, proto.Attr, error) {
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
	n := newNode(fd, &st, dir, name)
	s.register(n)
	return n, attrOf(&st), nil
}

// reopen opens n for I/O with flags (no O_CREAT, no O_TRUNC): directories
// through "." of their own FD, other files by name in their parent with
// O_NOFOLLOW, checked to be the same inode as n.
func (s *server) reopen(n *node, flags int) (int, error) {
	flags |= unix.O_CLOEXEC | unix.O_NOCTTY | unix.O_NOFOLLOW
	if n.isDir() {
		return openat(n.fd, ".", flags|unix.O_DIRECTORY, 0)
	}
	if n.parent == nil {
		return -1, unix.ESTALE
	}
	// O_NONBLOCK: if the name was swapped on the host for a FIFO, the open
	// must not hang before the identity check below rejects it.
	fd, err := openat(n.parent.fd, n.name, flags|unix.O_NONBLOCK, 0)
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
