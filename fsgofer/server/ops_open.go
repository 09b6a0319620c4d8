package server

import (
	"github.com/cocoon-sandbox/cocoon/fsgofer/proto"
	"golang.org/x/sys/unix"
)

// openFlags are the open(2) flags a client may ask for; others are ignored.
// The server always adds O_NOFOLLOW, O_CLOEXEC and O_NOCTTY.
const openFlags = unix.O_ACCMODE | unix.O_TRUNC | unix.O_APPEND | unix.O_NONBLOCK | unix.O_SYNC | unix.O_DSYNC

// open: fid, flags u32 -> (empty) + FD.
func (s *server) open(d *proto.Decoder) (int, error) {
	fid := proto.FID(d.U64())
	flags := int(d.U32())
	if err := finish(d); err != nil {
		return -1, err
	}
	n, err := s.getFID(fid)
	if err != nil {
		return -1, err
	}
	defer s.put(n)
	flags &= openFlags
	acc := flags & unix.O_ACCMODE
	if acc == unix.O_ACCMODE {
		return -1, unix.EINVAL
	}
	switch n.mode {
	case unix.S_IFREG:
	case unix.S_IFDIR:
		if acc != unix.O_RDONLY || flags&unix.O_TRUNC != 0 {
			return -1, unix.EISDIR
		}
	case unix.S_IFLNK:
		return -1, unix.ELOOP
	default:
		return -1, unix.ENXIO
	}
	if s.readOnly && (acc != unix.O_RDONLY || flags&unix.O_TRUNC != 0) {
		return -1, unix.EROFS
	}
	// Truncate only after checking that the re-opened file is n.
	fd, err := s.reopen(n, flags&^unix.O_TRUNC)
	if err != nil {
		return -1, err
	}
	if flags&unix.O_TRUNC != 0 {
		if err := unix.Ftruncate(fd, 0); err != nil {
			unix.Close(fd)
			return -1, err
		}
	}
	return fd, nil
}

// create: dir fid, name, flags u32, mode u32, uid u32, gid u32 ->
// fid, attr + FD. The file must not exist (O_EXCL is implied).
func (s *server) create(d *proto.Decoder) (int, error) {
	dirFID := proto.FID(d.U64())
	name := d.Str(proto.MaxNameLen)
	flags := int(d.U32())
	mode := d.U32()
	uid, gid := d.U32(), d.U32()
	if err := finish(d); err != nil {
		return -1, err
	}
	s.mutateMu.Lock()
	defer s.mutateMu.Unlock()
	dir, err := s.getDirFID(dirFID)
	if err != nil {
		return -1, err
	}
	defer s.put(dir)
	if !proto.ValidName(name) || (mode&unix.S_IFMT != 0 && mode&unix.S_IFMT != unix.S_IFREG) {
		return -1, unix.EINVAL
	}
	if err := s.mutation(); err != nil {
		return -1, err
	}
	if s.fidsFull() {
		return -1, unix.ENFILE
	}
	flags &= unix.O_ACCMODE | unix.O_APPEND | unix.O_SYNC | unix.O_DSYNC
	if flags&unix.O_ACCMODE == unix.O_ACCMODE {
		return -1, unix.EINVAL
	}
	fd, err := openat(dir.fd, name, flags|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NOCTTY, mode&0o7777)
	if err != nil {
		return -1, err
	}
	undo := func() {
		unix.Close(fd)
		unix.Unlinkat(dir.fd, name, 0)
	}
	if uid != s.euid || gid != s.egid {
		if err := unix.Fchown(fd, int(uid), int(gid)); err != nil {
			undo()
			return -1, err
		}
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		undo()
		return -1, err
	}
	n, a, err := s.walkOne(dir, name)
	if err != nil {
		undo()
		return -1, err
	}
	defer s.put(n)
	if n.dev != st.Dev || n.ino != st.Ino {
		undo()
		return -1, unix.ESTALE
	}
	newFID, err := s.addFID(n) // ENFILE if walks filled the table meanwhile
	if err != nil {
		undo()
		return -1, err
	}
	s.enc.U64(uint64(newFID))
	s.enc.PutAttr(&a)
	return fd, nil
}

// setAttr: fid, setattr -> attr (after the change). Applied in the order
// chown, chmod, truncate, times (chown may clear set-ID bits that chmod
// then sets).
func (s *server) setAttr(d *proto.Decoder) error {
	fid := proto.FID(d.U64())
	sa := d.SetAttr()
	if err := finish(d); err != nil {
		return err
	}
	n, err := s.getFID(fid)
	if err != nil {
		return err
	}
	defer s.put(n)
	if !proto.ValidSetAttrMask(sa.Mask) {
		return unix.EINVAL
	}
	if sa.Mask&proto.SetAttrSize != 0 {
		switch {
		case sa.Size < 0:
			return unix.EINVAL
		case n.isDir():
			return unix.EISDIR
		case n.mode != unix.S_IFREG:
			return unix.EINVAL
		}
	}
	for _, t := range []proto.Timespec{sa.Atime, sa.Mtime} {
		if !validNsec(t.Nsec) {
			return unix.EINVAL
		}
	}
	if sa.Mask != 0 {
		if err := s.mutation(); err != nil {
			return err
		}
		if err := s.applySetAttr(n, &sa); err != nil {
			return err
		}
	}
	var st unix.Stat_t
	if err := unix.Fstat(n.fd, &st); err != nil {
		return err
	}
	a := attrOf(&st)
	s.enc.PutAttr(&a)
	return nil
}

// applySetAttr makes the changes of sa to n.
func (s *server) applySetAttr(n *node, sa *proto.SetAttr) error {
	if sa.Mask&(proto.SetAttrUID|proto.SetAttrGID) != 0 {
		uid, gid := -1, -1
		if sa.Mask&proto.SetAttrUID != 0 {
			uid = int(sa.UID)
		}
		if sa.Mask&proto.SetAttrGID != 0 {
			gid = int(sa.GID)
		}
		if err := unix.Fchownat(n.fd, "", uid, gid, unix.AT_EMPTY_PATH|unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return err
		}
	}
	if sa.Mask&proto.SetAttrMode != 0 {
		if err := s.chmod(n, sa.Mode&0o7777); err != nil {
			return err
		}
	}
	if sa.Mask&proto.SetAttrSize != 0 {
		fd, err := s.reopen(n, unix.O_WRONLY|unix.O_NONBLOCK)
		if err != nil {
			return err
		}
		err = unix.Ftruncate(fd, sa.Size)
		unix.Close(fd)
		if err != nil {
			return err
		}
	}
	if sa.Mask&(proto.SetAttrAtime|proto.SetAttrMtime) != 0 {
		ts := []unix.Timespec{{Nsec: unix.UTIME_OMIT}, {Nsec: unix.UTIME_OMIT}}
		if sa.Mask&proto.SetAttrAtime != 0 {
			ts[0] = unix.Timespec{Sec: sa.Atime.Sec, Nsec: sa.Atime.Nsec}
		}
		if sa.Mask&proto.SetAttrMtime != 0 {
			ts[1] = unix.Timespec{Sec: sa.Mtime.Sec, Nsec: sa.Mtime.Nsec}
		}
		if err := s.utimes(n, ts); err != nil {
			return err
		}
	}
	return nil
}

func validNsec(ns int64) bool {
	return (ns >= 0 && ns < 1e9) || ns == unix.UTIME_NOW || ns == unix.UTIME_OMIT
}

// chmod changes n's mode without following symlinks: fchmodat2 with
// AT_EMPTY_PATH on the O_PATH FD (Linux 6.6+), else fchmod on a re-opened
// FD for regular files and directories.
func (s *server) chmod(n *node, mode uint32) error {
	err := unix.Fchmodat(n.fd, "", mode, unix.AT_EMPTY_PATH)
	if err != unix.EOPNOTSUPP || n.mode == unix.S_IFLNK {
		return err
	}
	if n.mode != unix.S_IFREG && !n.isDir() {
		return err
	}
	fd, err := s.reopen(n, unix.O_RDONLY|unix.O_NONBLOCK)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	return unix.Fchmod(fd, mode)
}

// utimes sets n's times without following symlinks: utimensat with
// AT_EMPTY_PATH on the O_PATH FD (Linux 5.8+), else by name in the parent
// with AT_SYMLINK_NOFOLLOW (or "." for a directory).
func (s *server) utimes(n *node, ts []unix.Timespec) error {
	err := unix.UtimesNanoAt(n.fd, "", ts, unix.AT_EMPTY_PATH)
	if err != unix.EINVAL && err != unix.ENOENT {
		return err
	}
	if n.isDir() {
		return unix.UtimesNanoAt(n.fd, ".", ts, 0)
	}
	parent, name := s.parentOf(n)
	if parent == nil {
		return err
	}
	defer s.put(parent)
	return unix.UtimesNanoAt(parent.fd, name, ts, unix.AT_SYMLINK_NOFOLLOW)
}
