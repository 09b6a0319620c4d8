package client

import (
	"github.com/cocoon-sandbox/cocoon/fsgofer/proto"
	"golang.org/x/sys/unix"
)

// WalkResult is one component reached by Walk.
type WalkResult struct {
	FID  proto.FID
	Attr proto.Attr
}

// Attach returns a FID for the served root, its attributes and the
// server's flags.
func (c *Client) Attach() (proto.FID, proto.Attr, proto.AttachFlags, error) {
	var (
		fid   proto.FID
		attr  proto.Attr
		flags proto.AttachFlags
	)
	_, err := c.call(proto.OpAttach, false,
		func(e *proto.Encoder) { e.U32(proto.Version) },
		func(d *proto.Decoder) {
			fid = proto.FID(d.U64())
			attr = d.Attr()
			flags = proto.AttachFlags(d.U32())
		})
	if err == nil && fid == 0 {
		err = c.protoErr(proto.OpAttach, "FID 0")
	}
	return fid, attr, flags, err
}

// Walk walks names from the directory fid, one component each, in one round
// trip, and returns a new FID with attributes for each component reached.
// If it stops early, err is the errno of the component that failed (ENOENT,
// ENOTDIR, ...) and the results so far are still returned; the caller owns
// (and must eventually CloseFIDs) every returned FID either way.
func (c *Client) Walk(fid proto.FID, names []string) ([]WalkResult, error) {
	if len(names) == 0 || len(names) > proto.MaxWalkNames {
		return nil, unix.EINVAL
	}
	for _, n := range names {
		if !proto.ValidName(n) {
			if len(n) > proto.MaxNameLen {
				return nil, unix.ENAMETOOLONG
			}
			return nil, unix.EINVAL
		}
	}
	var (
		res    []WalkResult
		errno  unix.Errno
		badFID bool
	)
	_, err := c.call(proto.OpWalk, false,
		func(e *proto.Encoder) {
			e.U64(uint64(fid))
			e.U16(uint16(len(names)))
			for _, n := range names {
				e.Str(n)
			}
		},
		func(d *proto.Decoder) {
			errno = unix.Errno(d.U32())
			count := d.Count(len(names), 8+proto.AttrSize)
			res = make([]WalkResult, count)
			for i := range res {
				res[i].FID = proto.FID(d.U64())
				res[i].Attr = d.Attr()
				badFID = badFID || res[i].FID == 0
			}
		})
	if err != nil {
		return nil, err
	}
	switch {
	case badFID, len(res) == 0, errno > 4095,
		len(res) < len(names) && errno == 0,
		len(res) == len(names) && errno != 0:
		return nil, c.protoErr(proto.OpWalk, "inconsistent walk response")
	case len(res) < len(names):
		return res, errno
	}
	return res, nil
}

// Stat returns the attributes of fid.
func (c *Client) Stat(fid proto.FID) (proto.Attr, error) {
	var attr proto.Attr
	_, err := c.call(proto.OpStat, false,
		func(e *proto.Encoder) { e.U64(uint64(fid)) },
		func(d *proto.Decoder) { attr = d.Attr() })
	return attr, err
}

// SetAttr changes the attributes of fid selected by sa.Mask and returns
// the attributes after the change.
func (c *Client) SetAttr(fid proto.FID, sa proto.SetAttr) (proto.Attr, error) {
	var attr proto.Attr
	_, err := c.call(proto.OpSetAttr, false,
		func(e *proto.Encoder) {
			e.U64(uint64(fid))
			e.PutSetAttr(&sa)
		},
		func(d *proto.Decoder) { attr = d.Attr() })
	return attr, err
}

// Open opens fid (a regular file or directory) with the open(2) flags and
// returns the donated host FD, which the caller owns.
func (c *Client) Open(fid proto.FID, flags uint32) (int, error) {
	return c.call(proto.OpOpen, true,
		func(e *proto.Encoder) {
			e.U64(uint64(fid))
			e.U32(flags)
		}, nil)
}

// Create makes the regular file name in dir (which must not exist), owned
// by uid/gid, and opens it with flags. It returns the new FID, its
// attributes and the host FD (the caller owns both).
func (c *Client) Create(dir proto.FID, name string, flags, mode, uid, gid uint32) (proto.FID, proto.Attr, int, error) {
	if err := checkName(name); err != nil {
		return 0, proto.Attr{}, -1, err
	}
	var r WalkResult
	fd, err := c.call(proto.OpCreate, true,
		func(e *proto.Encoder) {
			e.U64(uint64(dir))
			e.Str(name)
			e.U32(flags)
			e.U32(mode)
			e.U32(uid)
			e.U32(gid)
		},
		func(d *proto.Decoder) { r = readResult(d) })
	if err == nil && r.FID == 0 {
		unix.Close(fd)
		return 0, proto.Attr{}, -1, c.protoErr(proto.OpCreate, "FID 0")
	}
	return r.FID, r.Attr, fd, err
}

// Mkdir makes the directory name in dir, owned by uid/gid.
func (c *Client) Mkdir(dir proto.FID, name string, mode, uid, gid uint32) (proto.FID, proto.Attr, error) {
	return c.newEntry(proto.OpMkdir, dir, name, func(e *proto.Encoder) {
		e.U32(mode)
		e.U32(uid)
		e.U32(gid)
	})
}

// Mknod makes a FIFO or socket name in dir (mode carries the type), owned
// by uid/gid. Device nodes answer EPERM.
func (c *Client) Mknod(dir proto.FID, name string, mode uint32, rdev uint64, uid, gid uint32) (proto.FID, proto.Attr, error) {
	return c.newEntry(proto.OpMknod, dir, name, func(e *proto.Encoder) {
		e.U32(mode)
		e.U64(rdev)
		e.U32(uid)
		e.U32(gid)
	})
}

// Symlink makes the symlink name in dir pointing to target, owned by
// uid/gid.
func (c *Client) Symlink(dir proto.FID, name, target string, uid, gid uint32) (proto.FID, proto.Attr, error) {
	if target == "" {
		return 0, proto.Attr{}, unix.ENOENT
	}
	if !proto.ValidTarget(target) {
		if len(target) > proto.MaxPathLen {
			return 0, proto.Attr{}, unix.ENAMETOOLONG
		}
		return 0, proto.Attr{}, unix.EINVAL
	}
	return c.newEntry(proto.OpSymlink, dir, name, func(e *proto.Encoder) {
		e.Str(target)
		e.U32(uid)
		e.U32(gid)
	})
}

func (c *Client) newEntry(op proto.Op, dir proto.FID, name string, rest func(*proto.Encoder)) (proto.FID, proto.Attr, error) {
	if err := checkName(name); err != nil {
		return 0, proto.Attr{}, err
	}
	var r WalkResult
	_, err := c.call(op, false,
		func(e *proto.Encoder) {
			e.U64(uint64(dir))
			e.Str(name)
			rest(e)
		},
		func(d *proto.Decoder) { r = readResult(d) })
	if err == nil && r.FID == 0 {
		err = c.protoErr(op, "FID 0")
	}
	return r.FID, r.Attr, err
}

// Link makes name in dir a new hard link to target.
func (c *Client) Link(dir proto.FID, name string, target proto.FID) error {
	if err := checkName(name); err != nil {
		return err
	}
	_, err := c.call(proto.OpLink, false,
		func(e *proto.Encoder) {
			e.U64(uint64(dir))
			e.Str(name)
			e.U64(uint64(target))
		}, nil)
	return err
}

// Unlink removes name from dir; flags is 0 or proto.UnlinkRemoveDir.
func (c *Client) Unlink(dir proto.FID, name string, flags uint32) error {
	if err := checkName(name); err != nil {
		return err
	}
	_, err := c.call(proto.OpUnlink, false,
		func(e *proto.Encoder) {
			e.U64(uint64(dir))
			e.Str(name)
			e.U32(flags)
		}, nil)
	return err
}

// Rename moves oldName in oldDir to newName in newDir, as renameat(2).
func (c *Client) Rename(oldDir proto.FID, oldName string, newDir proto.FID, newName string) error {
	if err := checkName(oldName); err != nil {
		return err
	}
	if err := checkName(newName); err != nil {
		return err
	}
	_, err := c.call(proto.OpRename, false,
		func(e *proto.Encoder) {
			e.U64(uint64(oldDir))
			e.Str(oldName)
			e.U64(uint64(newDir))
			e.Str(newName)
		}, nil)
	return err
}

// Readlink returns the target of the symlink fid.
func (c *Client) Readlink(fid proto.FID) (string, error) {
	var target string
	_, err := c.call(proto.OpReadlink, false,
		func(e *proto.Encoder) { e.U64(uint64(fid)) },
		func(d *proto.Decoder) { target = d.Str(proto.MaxPathLen) })
	if err == nil && !proto.ValidTarget(target) {
		return "", c.protoErr(proto.OpReadlink, "bad symlink target")
	}
	return target, err
}

// Getdents returns the entries of directory fid from cookie on (0 is the
// start), as many as fit in one message; pass the last entry's Off as the
// next cookie. An empty result is the end. "." and ".." are never listed.
func (c *Client) Getdents(fid proto.FID, cookie uint64) ([]proto.Dirent, error) {
	var ents []proto.Dirent
	_, err := c.call(proto.OpGetdents, false,
		func(e *proto.Encoder) {
			e.U64(uint64(fid))
			e.U64(cookie)
		},
		func(d *proto.Decoder) {
			ents = make([]proto.Dirent, d.Count(0xffff, proto.DirentMinSize))
			for i := range ents {
				ents[i] = proto.Dirent{Ino: d.U64(), Off: d.U64(), Type: d.U8(), Name: d.Str(proto.MaxNameLen)}
			}
		})
	if err != nil {
		return nil, err
	}
	for i := range ents {
		if !proto.ValidName(ents[i].Name) {
			return nil, c.protoErr(proto.OpGetdents, "bad directory entry name")
		}
	}
	return ents, nil
}

// Statfs describes the file system holding fid.
func (c *Client) Statfs(fid proto.FID) (proto.Statfs, error) {
	var st proto.Statfs
	_, err := c.call(proto.OpStatfs, false,
		func(e *proto.Encoder) { e.U64(uint64(fid)) },
		func(d *proto.Decoder) { st = d.Statfs() })
	return st, err
}

// CloseFIDs releases fids (at most proto.MaxCloseFIDs per round trip; more
// take several).
func (c *Client) CloseFIDs(fids ...proto.FID) error {
	var firstErr error
	for len(fids) > 0 {
		batch := fids[:min(len(fids), proto.MaxCloseFIDs)]
		fids = fids[len(batch):]
		_, err := c.call(proto.OpClose, false,
			func(e *proto.Encoder) {
				e.U16(uint16(len(batch)))
				for _, f := range batch {
					e.U64(uint64(f))
				}
			}, nil)
		if err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return firstErr
}

func readResult(d *proto.Decoder) WalkResult {
	return WalkResult{FID: proto.FID(d.U64()), Attr: d.Attr()}
}

func checkName(name string) error {
	if proto.ValidName(name) {
		return nil
	}
	if len(name) > proto.MaxNameLen {
		return unix.ENAMETOOLONG
	}
	return unix.EINVAL
}
