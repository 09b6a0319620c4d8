package server

import (
	"github.com/cocoon-sandbox/cocoon/fsgofer/proto"
	"golang.org/x/sys/unix"
)

// newEntryDir checks the common head of Mkdir, Mknod and Symlink: dir fid and
// name, checked. It returns the directory with a reference, which the
// caller puts. Preconditions: s.mutateMu is held.
func (s *server) newEntryDir(dirFID proto.FID, name string) (*node, error) {
	dir, err := s.getDirFID(dirFID)
	if err != nil {
		return nil, err
	}
	err = unix.EINVAL
	if proto.ValidName(name) {
		err = s.mutation()
	}
	if err == nil && s.fidsFull() {
		err = unix.ENFILE
	}
	if err != nil {
		s.put(dir)
		return nil, err
	}
	return dir, nil
}

// finishNew walks to a just-made entry, chowns it to uid/gid and answers
// fid, attr. On failure it removes the entry again.
func (s *server) finishNew(dir *node, name string, uid, gid uint32, rmFlags int) error {
	n, a, err := s.walkOne(dir, name)
	if err != nil {
		unix.Unlinkat(dir.fd, name, rmFlags)
		return err
	}
	defer s.put(n)
	if uid != s.euid || gid != s.egid {
		if err := unix.Fchownat(n.fd, "", int(uid), int(gid), unix.AT_EMPTY_PATH|unix.AT_SYMLINK_NOFOLLOW); err != nil {
			unix.Unlinkat(dir.fd, name, rmFlags)
			return err
		}
		a.UID, a.GID = uid, gid
	}
	fid, err := s.addFID(n) // ENFILE if walks filled the table meanwhile
	if err != nil {
		unix.Unlinkat(dir.fd, name, rmFlags)
		return err
	}
	s.enc.U64(uint64(fid))
	s.enc.PutAttr(&a)
	return nil
}

// mkdir: dir fid, name, mode u32, uid u32, gid u32 -> fid, attr.
func (s *server) mkdir(d *proto.Decoder) error {
	dirFID := proto.FID(d.U64())
	name := d.Str(proto.MaxNameLen)
	mode, uid, gid := d.U32(), d.U32(), d.U32()
	if err := finish(d); err != nil {
		return err
	}
	s.mutateMu.Lock()
	defer s.mutateMu.Unlock()
	dir, err := s.newEntryDir(dirFID, name)
	if err != nil {
		return err
	}
	defer s.put(dir)
	if err := unix.Mkdirat(dir.fd, name, mode&0o7777); err != nil {
		return err
	}
	return s.finishNew(dir, name, uid, gid, unix.AT_REMOVEDIR)
}

// mknod: dir fid, name, mode u32, rdev u64, uid u32, gid u32 -> fid, attr.
// Only FIFOs and sockets: device nodes answer EPERM.
func (s *server) mknod(d *proto.Decoder) error {
	dirFID := proto.FID(d.U64())
	name := d.Str(proto.MaxNameLen)
	mode := d.U32()
	rdev := d.U64()
	uid, gid := d.U32(), d.U32()
	if err := finish(d); err != nil {
		return err
	}
	s.mutateMu.Lock()
	defer s.mutateMu.Unlock()
	dir, err := s.newEntryDir(dirFID, name)
	if err != nil {
		return err
	}
	defer s.put(dir)
	switch mode & unix.S_IFMT {
	case unix.S_IFIFO, unix.S_IFSOCK:
	case unix.S_IFREG, unix.S_IFDIR, unix.S_IFLNK, 0:
		return unix.EINVAL
	default:
		return unix.EPERM
	}
	if rdev != 0 {
		return unix.EINVAL
	}
	if err := unix.Mknodat(dir.fd, name, mode&(unix.S_IFMT|0o7777), 0); err != nil {
		return err
	}
	return s.finishNew(dir, name, uid, gid, 0)
}

// symlink: dir fid, name, target, uid u32, gid u32 -> fid, attr.
func (s *server) symlink(d *proto.Decoder) error {
	dirFID := proto.FID(d.U64())
	name := d.Str(proto.MaxNameLen)
	target := d.Str(proto.MaxPathLen)
	uid, gid := d.U32(), d.U32()
	if err := finish(d); err != nil {
		return err
	}
	s.mutateMu.Lock()
	defer s.mutateMu.Unlock()
	dir, err := s.newEntryDir(dirFID, name)
	if err != nil {
		return err
	}
	defer s.put(dir)
	if !proto.ValidTarget(target) {
		return unix.EINVAL
	}
	if err := unix.Symlinkat(target, dir.fd, name); err != nil {
		return err
	}
	return s.finishNew(dir, name, uid, gid, 0)
}

// link: dir fid, name, target fid -> (empty).
func (s *server) link(d *proto.Decoder) error {
	dirFID := proto.FID(d.U64())
	name := d.Str(proto.MaxNameLen)
	targetFID := proto.FID(d.U64())
	if err := finish(d); err != nil {
		return err
	}
	s.mutateMu.Lock()
	defer s.mutateMu.Unlock()
	dir, err := s.getDirFID(dirFID)
	if err != nil {
		return err
	}
	defer s.put(dir)
	target, err := s.getFID(targetFID)
	if err != nil {
		return err
	}
	defer s.put(target)
	if !proto.ValidName(name) {
		return unix.EINVAL
	}
	if err := s.mutation(); err != nil {
		return err
	}
	if target.isDir() {
		return unix.EPERM
	}
	// Linking the O_PATH FD itself needs CAP_DAC_READ_SEARCH; without it,
	// link by name in the parent (linkat does not follow symlinks).
	err = unix.Linkat(target.fd, "", dir.fd, name, unix.AT_EMPTY_PATH)
	if err == unix.ENOENT || err == unix.EPERM {
		parent, pname := s.parentOf(target)
		if parent == nil {
			return unix.ESTALE
		}
		err = unix.Linkat(parent.fd, pname, dir.fd, name, 0)
		s.put(parent)
	}
	return err
}

// unlink: dir fid, name, flags u32 (UnlinkRemoveDir) -> (empty).
func (s *server) unlink(d *proto.Decoder) error {
	dirFID := proto.FID(d.U64())
	name := d.Str(proto.MaxNameLen)
	flags := d.U32()
	if err := finish(d); err != nil {
		return err
	}
	s.mutateMu.Lock()
	defer s.mutateMu.Unlock()
	dir, err := s.getDirFID(dirFID)
	if err != nil {
		return err
	}
	defer s.put(dir)
	if !proto.ValidName(name) || flags&^proto.UnlinkRemoveDir != 0 {
		return unix.EINVAL
	}
	if err := s.mutation(); err != nil {
		return err
	}
	if err := unix.Unlinkat(dir.fd, name, int(flags)); err != nil {
		return err
	}
	s.mu.Lock()
	s.detachEntryLocked(dir, name)
	s.mu.Unlock()
	return nil
}

// rename: old dir fid, old name, new dir fid, new name -> (empty).
func (s *server) rename(d *proto.Decoder) error {
	oldFID := proto.FID(d.U64())
	oldName := d.Str(proto.MaxNameLen)
	newFID := proto.FID(d.U64())
	newName := d.Str(proto.MaxNameLen)
	if err := finish(d); err != nil {
		return err
	}
	s.mutateMu.Lock()
	defer s.mutateMu.Unlock()
	oldDir, err := s.getDirFID(oldFID)
	if err != nil {
		return err
	}
	defer s.put(oldDir)
	newDir, err := s.getDirFID(newFID)
	if err != nil {
		return err
	}
	defer s.put(newDir)
	if !proto.ValidName(oldName) || !proto.ValidName(newName) {
		return unix.EINVAL
	}
	if err := s.mutation(); err != nil {
		return err
	}
	// rename(2) of two links to one inode does nothing; keep the table.
	var ost, nst unix.Stat_t
	same := unix.Fstatat(oldDir.fd, oldName, &ost, unix.AT_SYMLINK_NOFOLLOW) == nil &&
		unix.Fstatat(newDir.fd, newName, &nst, unix.AT_SYMLINK_NOFOLLOW) == nil &&
		ost.Dev == nst.Dev && ost.Ino == nst.Ino
	if err := unix.Renameat(oldDir.fd, oldName, newDir.fd, newName); err != nil {
		return err
	}
	if !same {
		s.mu.Lock()
		s.detachEntryLocked(newDir, newName)
		s.moveEntryLocked(oldDir, oldName, newDir, newName)
		s.mu.Unlock()
	}
	return nil
}
