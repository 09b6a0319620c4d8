package overlay

import (
	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// copyBufSize is the chunk size of copy-up.
const copyBufSize = 64 << 10

// copyUpLocked gives i an upper part, copying its parents first, its
// metadata, and its data if withData. Preconditions: i.fs.mu held.
func (i *inode) copyUpLocked(ctx vfs.Context, withData bool) error {
	i.mu.Lock()
	up, low, parent, name := i.upper, i.lower, i.parent, i.name
	i.mu.Unlock()
	if up != nil {
		return nil
	}
	if parent == nil || low == nil {
		return unix.EIO // the root always has an upper part
	}
	if err := parent.copyUpLocked(ctx, true); err != nil {
		return err
	}
	pu, _ := parent.layers()
	a, err := low.Stat(ctx)
	if err != nil {
		return err
	}
	var nu vfs.Inode
	switch i.ftype {
	case vfs.TypeDirectory:
		nu, err = pu.Mkdir(ctx, name, a.Mode&0o7777)
	case vfs.TypeRegular:
		nu, err = pu.Create(ctx, name, a.Mode&0o7777)
		if err == nil && withData {
			if err = copyData(ctx, low, nu); err != nil {
				pu.Unlink(ctx, name)
			}
		}
	case vfs.TypeSymlink:
		var target string
		if target, err = low.Readlink(ctx); err == nil {
			nu, err = pu.Symlink(ctx, name, target)
		}
	default:
		nu, err = pu.Mknod(ctx, name, a.Mode, a.Rdev)
	}
	if err != nil {
		return err
	}
	sa := vfs.SetAttr{Mask: vfs.SetUID | vfs.SetGID | vfs.SetAtime | vfs.SetMtime,
		UID: a.UID, GID: a.GID, Atime: a.Atime, Mtime: a.Mtime}
	if i.ftype != vfs.TypeSymlink {
		sa.Mask |= vfs.SetMode
		sa.Mode = a.Mode & 0o7777
	}
	if err := nu.SetAttr(ctx, sa); err != nil {
		return err
	}
	i.mu.Lock()
	i.upper = nu
	i.mu.Unlock()
	return nil
}

// copyData copies a regular file's content from src to dst.
func copyData(ctx vfs.Context, src, dst vfs.Inode) error {
	r, err := src.Open(ctx, unix.O_RDONLY)
	if err != nil {
		return err
	}
	defer r.Release()
	w, err := dst.Open(ctx, unix.O_WRONLY)
	if err != nil {
		return err
	}
	defer w.Release()
	buf := make([]byte, copyBufSize)
	var off int64
	for {
		n, err := r.Read(ctx, buf, off)
		if n > 0 {
			if _, werr := w.Write(ctx, buf[:n], off); werr != nil {
				return werr
			}
			off += int64(n)
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
	}
}

// lowerHas says whether name of directory i is visible from the lower
// layer (so that removing it needs a whiteout).
func (i *inode) lowerHas(ctx vfs.Context, name string) bool {
	i.mu.Lock()
	low := i.lower
	_, whited := i.whiteouts[name]
	i.mu.Unlock()
	if low == nil || whited {
		return false
	}
	_, err := low.Lookup(ctx, name)
	return err == nil
}

// addChild caches a new child of i. Preconditions: i.fs.mu held.
func (i *inode) addChild(name string, c *inode) {
	i.mu.Lock()
	if i.children == nil {
		i.children = make(map[string]*inode)
	}
	i.children[name] = c
	i.mu.Unlock()
}

// whiteout hides name of the lower layer and forgets the cached child.
func (i *inode) forget(name string, whiteout bool) {
	i.mu.Lock()
	delete(i.children, name)
	if whiteout {
		if i.whiteouts == nil {
			i.whiteouts = make(map[string]struct{})
		}
		i.whiteouts[name] = struct{}{}
	}
	i.mu.Unlock()
}

// create makes a new upper-only child with mk.
func (i *inode) create(ctx vfs.Context, name string, ft vfs.FileType, mk func(u vfs.Inode) (vfs.Inode, error)) (vfs.Inode, error) {
	if i.ftype != vfs.TypeDirectory {
		return nil, unix.ENOTDIR
	}
	i.fs.mu.Lock()
	defer i.fs.mu.Unlock()
	if _, err := i.child(ctx, name); err == nil {
		return nil, unix.EEXIST
	} else if err != unix.ENOENT {
		return nil, err
	}
	if err := i.copyUpLocked(ctx, true); err != nil {
		return nil, err
	}
	u, _ := i.layers()
	nu, err := mk(u)
	if err != nil {
		return nil, err
	}
	if ft == 0 {
		if ft, err = vfs.TypeOf(ctx, nu); err != nil {
			return nil, err
		}
	}
	c := i.fs.newInode(ft, nu, nil, i, name)
	i.addChild(name, c)
	return c, nil
}

// Create implements vfs.Inode.
func (i *inode) Create(ctx vfs.Context, name string, mode uint32) (vfs.Inode, error) {
	return i.create(ctx, name, vfs.TypeRegular, func(u vfs.Inode) (vfs.Inode, error) {
		return u.Create(ctx, name, mode)
	})
}

// MakeTmpfile implements vfs.TmpfileMaker: the unnamed file is made in
// the upper layer, as Linux's ovl_tmpfile().
func (i *inode) MakeTmpfile(ctx vfs.Context, mode uint32, linkable bool) (vfs.Inode, error) {
	if i.ftype != vfs.TypeDirectory {
		return nil, unix.ENOTDIR
	}
	i.fs.mu.Lock()
	defer i.fs.mu.Unlock()
	if err := i.copyUpLocked(ctx, true); err != nil {
		return nil, err
	}
	u, _ := i.layers()
	tm, ok := u.(vfs.TmpfileMaker)
	if !ok {
		return nil, unix.EOPNOTSUPP
	}
	nu, err := tm.MakeTmpfile(ctx, mode, linkable)
	if err != nil {
		return nil, err
	}
	return i.fs.newInode(vfs.TypeRegular, nu, nil, i, ""), nil
}

// Mkdir implements vfs.Inode. A directory made where a lower one was
// removed has no lower part: it is opaque.
func (i *inode) Mkdir(ctx vfs.Context, name string, mode uint32) (vfs.Inode, error) {
	return i.create(ctx, name, vfs.TypeDirectory, func(u vfs.Inode) (vfs.Inode, error) {
		return u.Mkdir(ctx, name, mode)
	})
}

// Mknod implements vfs.Inode.
func (i *inode) Mknod(ctx vfs.Context, name string, mode uint32, rdev uint64) (vfs.Inode, error) {
	return i.create(ctx, name, 0, func(u vfs.Inode) (vfs.Inode, error) {
		return u.Mknod(ctx, name, mode, rdev)
	})
}

// Symlink implements vfs.Inode.
func (i *inode) Symlink(ctx vfs.Context, name, target string) (vfs.Inode, error) {
	return i.create(ctx, name, vfs.TypeSymlink, func(u vfs.Inode) (vfs.Inode, error) {
		return u.Symlink(ctx, name, target)
	})
}

// Link implements vfs.Inode: the target is copied up and linked in the
// upper layer; both names share the overlay inode number.
func (i *inode) Link(ctx vfs.Context, name string, target vfs.Inode) error {
	t, ok := target.(*inode)
	if !ok || t.fs != i.fs {
		return unix.EXDEV
	}
	i.fs.mu.Lock()
	defer i.fs.mu.Unlock()
	if _, err := i.child(ctx, name); err == nil {
		return unix.EEXIST
	}
	if err := t.copyUpLocked(ctx, true); err != nil {
		return err
	}
	if err := i.copyUpLocked(ctx, true); err != nil {
		return err
	}
	u, _ := i.layers()
	tu, _ := t.layers()
	if err := u.Link(ctx, name, tu); err != nil {
		return err
	}
	c := i.fs.newInode(t.ftype, tu, nil, i, name)
	c.ino = t.ino
	i.addChild(name, c)
	return nil
}

// Unlink implements vfs.Inode.
func (i *inode) Unlink(ctx vfs.Context, name string) error {
	return i.remove(ctx, name, false)
}

// Rmdir implements vfs.Inode.
func (i *inode) Rmdir(ctx vfs.Context, name string) error {
	return i.remove(ctx, name, true)
}

func (i *inode) remove(ctx vfs.Context, name string, dir bool) error {
	i.fs.mu.Lock()
	defer i.fs.mu.Unlock()
	c, err := i.child(ctx, name)
	if err != nil {
		return err
	}
	isDir := c.ftype == vfs.TypeDirectory
	switch {
	case dir && !isDir:
		return unix.ENOTDIR
	case !dir && isDir:
		return unix.EISDIR
	}
	if isDir {
		es, err := c.Readdir(ctx)
		if err != nil {
			return err
		}
		if len(es) != 0 {
			return unix.ENOTEMPTY
		}
	}
	whiteout := i.lowerHas(ctx, name)
	if cu, _ := c.layers(); cu != nil {
		u, _ := i.layers()
		if dir {
			err = u.Rmdir(ctx, name)
		} else {
			err = u.Unlink(ctx, name)
		}
		if err != nil {
			return err
		}
	}
	i.forget(name, whiteout)
	return nil
}

// Rename implements vfs.Inode. Directories with a lower part answer EXDEV.
func (i *inode) Rename(ctx vfs.Context, oldName string, newDir vfs.Inode, newName string) error {
	nd, ok := newDir.(*inode)
	if !ok || nd.fs != i.fs {
		return unix.EXDEV
	}
	i.fs.mu.Lock()
	defer i.fs.mu.Unlock()
	c, err := i.child(ctx, oldName)
	if err != nil {
		return err
	}
	if _, low := c.layers(); c.ftype == vfs.TypeDirectory && low != nil {
		return unix.EXDEV
	}
	victim, err := nd.child(ctx, newName)
	switch {
	case err == unix.ENOENT:
		victim = nil
	case err != nil:
		return err
	}
	if victim == c {
		return nil
	}
	if victim != nil {
		cDir, vDir := c.ftype == vfs.TypeDirectory, victim.ftype == vfs.TypeDirectory
		switch {
		case cDir && !vDir:
			return unix.ENOTDIR
		case !cDir && vDir:
			return unix.EISDIR
		case vDir:
			es, err := victim.Readdir(ctx)
			if err != nil {
				return err
			}
			if len(es) != 0 {
				return unix.ENOTEMPTY
			}
		}
	}
	if err := c.copyUpLocked(ctx, true); err != nil {
		return err
	}
	if err := nd.copyUpLocked(ctx, true); err != nil {
		return err
	}
	oldWhiteout := i.lowerHas(ctx, oldName)
	newWhiteout := nd.lowerHas(ctx, newName)
	u, _ := i.layers()
	nu, _ := nd.layers()
	if err := u.Rename(ctx, oldName, nu, newName); err != nil {
		return err
	}
	i.forget(oldName, oldWhiteout)
	nd.forget(newName, newWhiteout)
	nd.addChild(newName, c)
	c.mu.Lock()
	c.parent, c.name = nd, newName
	c.mu.Unlock()
	return nil
}
