package server

import (
	"encoding/binary"

	"github.com/cocoon-sandbox/cocoon/fsgofer/proto"
	"golang.org/x/sys/unix"
)

// attach: version u32 -> fid, attr, flags u32.
func (s *server) attach(d *proto.Decoder) error {
	version := d.U32()
	if err := finish(d); err != nil {
		return err
	}
	if version != proto.Version {
		return unix.EINVAL
	}
	var st unix.Stat_t
	if err := unix.Fstat(s.root.fd, &st); err != nil {
		return err
	}
	fid, err := s.addFID(s.root) // the root's FD stays open until Serve returns
	if err != nil {
		return err
	}
	a := attrOf(&st)
	s.enc.U64(uint64(fid))
	s.enc.PutAttr(&a)
	var flags proto.AttachFlags
	if s.readOnly {
		flags |= proto.AttachReadOnly
	}
	s.enc.U32(uint32(flags))
	return nil
}

// walk: fid, count u16, names -> errno u32, count u16, (fid, attr)*count.
// It stops at the first component that cannot be walked; if that is the
// first one, the response is that error.
func (s *server) walk(d *proto.Decoder) error {
	fid := proto.FID(d.U64())
	count := d.Count(proto.MaxWalkNames, 4)
	var names [proto.MaxWalkNames]string
	for i := 0; i < count; i++ {
		names[i] = d.Str(proto.MaxNameLen)
	}
	if err := finish(d); err != nil {
		return err
	}
	if count == 0 {
		return unix.EINVAL
	}
	for i := 0; i < count; i++ {
		if !proto.ValidName(names[i]) {
			return unix.EINVAL
		}
	}
	// cur is pinned by the walk's own reference: the client may close
	// the FIDs it is given before it has seen them.
	cur, err := s.getFID(fid)
	if err != nil {
		return err
	}
	var (
		fids  [proto.MaxWalkNames]proto.FID
		attrs [proto.MaxWalkNames]proto.Attr
		found int
		stop  error
	)
	for ; found < count; found++ {
		n, a, err := s.walkOne(cur, names[found])
		if err == nil {
			fids[found], err = s.addFID(n)
			if err != nil {
				s.put(n)
			}
		}
		if err != nil {
			stop = err
			break
		}
		attrs[found] = a
		s.put(cur)
		cur = n
	}
	s.put(cur)
	if found == 0 {
		return stop
	}
	var errno unix.Errno
	if stop != nil {
		errno = toErrno(stop)
	}
	s.enc.U32(uint32(errno))
	s.enc.U16(uint16(found))
	for i := 0; i < found; i++ {
		s.enc.U64(uint64(fids[i]))
		s.enc.PutAttr(&attrs[i])
	}
	return nil
}

// stat: fid -> attr.
func (s *server) stat(d *proto.Decoder) error {
	fid := proto.FID(d.U64())
	if err := finish(d); err != nil {
		return err
	}
	n, err := s.getFID(fid)
	if err != nil {
		return err
	}
	defer s.put(n)
	var st unix.Stat_t
	if err := unix.Fstat(n.fd, &st); err != nil {
		return err
	}
	a := attrOf(&st)
	s.enc.PutAttr(&a)
	return nil
}

// readlink: fid -> target string.
func (s *server) readlink(d *proto.Decoder) error {
	fid := proto.FID(d.U64())
	if err := finish(d); err != nil {
		return err
	}
	n, err := s.getFID(fid)
	if err != nil {
		return err
	}
	defer s.put(n)
	if n.mode != unix.S_IFLNK {
		return unix.EINVAL
	}
	var buf [proto.MaxPathLen + 1]byte
	l, err := unix.Readlinkat(n.fd, "", buf[:])
	if err != nil {
		return err
	}
	if l > proto.MaxPathLen {
		return unix.ENAMETOOLONG
	}
	s.enc.Str(string(buf[:l]))
	return nil
}

// statfs: fid -> statfs.
func (s *server) statfs(d *proto.Decoder) error {
	fid := proto.FID(d.U64())
	if err := finish(d); err != nil {
		return err
	}
	n, err := s.getFID(fid)
	if err != nil {
		return err
	}
	defer s.put(n)
	var st unix.Statfs_t
	if err := unix.Fstatfs(n.fd, &st); err != nil {
		return err
	}
	s.enc.PutStatfs(&proto.Statfs{
		Type:    uint64(st.Type),
		Bsize:   st.Bsize,
		Blocks:  st.Blocks,
		Bfree:   st.Bfree,
		Bavail:  st.Bavail,
		Files:   st.Files,
		Ffree:   st.Ffree,
		NameLen: uint64(st.Namelen),
		Frsize:  st.Frsize,
	})
	return nil
}

// getdents: fid, cookie u64 -> count u16, dirents. An empty list is the
// end of the directory. "." and ".." are never listed.
func (s *server) getdents(d *proto.Decoder) error {
	fid := proto.FID(d.U64())
	cookie := d.U64()
	if err := finish(d); err != nil {
		return err
	}
	n, err := s.getDirFID(fid)
	if err != nil {
		return err
	}
	defer s.put(n)
	n.dirMu.Lock()
	defer n.dirMu.Unlock()
	if n.dirFD < 0 {
		fd, err := s.reopen(n, unix.O_RDONLY)
		if err != nil {
			return err
		}
		n.dirFD = fd
	}
	if cookie > 1<<63-1 {
		return unix.EINVAL
	}
	if _, err := unix.Seek(n.dirFD, int64(cookie), 0 /* SEEK_SET */); err != nil {
		return err
	}
	if s.dirBuf == nil {
		s.dirBuf = make([]byte, 32<<10)
	}
	countAt := len(s.enc.Bytes())
	s.enc.U16(0) // patched below
	count := 0
	room := proto.MaxMessageSize - len(s.enc.Bytes())
	for count == 0 {
		l, err := getdents(n.dirFD, s.dirBuf)
		if err != nil {
			return err
		}
		if l == 0 {
			break // end of directory
		}
		full := false
		forEachDirent(s.dirBuf[:l], func(ino uint64, off int64, typ uint8, name []byte) bool {
			if string(name) == "." || string(name) == ".." {
				return true
			}
			size := proto.DirentMinSize + len(name)
			if size > room || count == 0xffff {
				full = true
				return false
			}
			room -= size
			count++
			s.enc.U64(ino)
			s.enc.U64(uint64(off))
			s.enc.U8(typ)
			s.enc.U32(uint32(len(name)))
			for _, c := range name {
				s.enc.U8(c)
			}
			return true
		})
		if full {
			break
		}
	}
	binary.LittleEndian.PutUint16(s.enc.Bytes()[countAt:], uint16(count))
	return nil
}

func getdents(fd int, buf []byte) (int, error) {
	for {
		n, err := unix.Getdents(fd, buf)
		if err != unix.EINTR {
			return n, err
		}
	}
}

// forEachDirent calls fn for each linux_dirent64 in buf until fn returns
// false; it stops at the first record that does not fit.
func forEachDirent(buf []byte, fn func(ino uint64, off int64, typ uint8, name []byte) bool) {
	const hdr = 8 + 8 + 2 + 1
	for len(buf) >= hdr {
		reclen := int(binary.LittleEndian.Uint16(buf[16:]))
		if reclen < hdr || reclen > len(buf) {
			return
		}
		rec := buf[:reclen]
		buf = buf[reclen:]
		name := rec[hdr:]
		for i, c := range name {
			if c == 0 {
				name = name[:i]
				break
			}
		}
		if !fn(binary.LittleEndian.Uint64(rec), int64(binary.LittleEndian.Uint64(rec[8:])), rec[18], name) {
			return
		}
	}
}

// closeFIDs: count u16, fids. Unknown FIDs answer EBADF after the known
// ones are closed.
func (s *server) closeFIDs(d *proto.Decoder) error {
	count := d.Count(proto.MaxCloseFIDs, 8)
	var fids [proto.MaxCloseFIDs]proto.FID
	for i := 0; i < count; i++ {
		fids[i] = proto.FID(d.U64())
	}
	if err := finish(d); err != nil {
		return err
	}
	var err error
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := 0; i < count; i++ {
		if !s.dropFIDLocked(fids[i]) {
			err = unix.EBADF
		}
	}
	return err
}
