package vfs

import (
	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
)

// mayModifyDir checks that the caller may add or remove entries of dir:
// a writable mount, a live directory, write and search permission.
func mayModifyDir(ctx Context, dir VirtualDentry) error {
	if dir.Mount.readOnly {
		return unix.EROFS
	}
	if ctx.UID() == 0 {
		return nil
	}
	a, err := dir.Dentry.inode.Stat(ctx)
	if err != nil {
		return err
	}
	return MayAccess(ctx, a, MayWrite|MayExec)
}

// checkSticky enforces the sticky bit of dir on removing or renaming
// victim: only the owner of either, or root, may.
func checkSticky(ctx Context, dir, victim Inode) error {
	if ctx.UID() == 0 {
		return nil
	}
	da, err := dir.Stat(ctx)
	if err != nil {
		return err
	}
	if da.Mode&unix.S_ISVTX == 0 || da.UID == ctx.UID() {
		return nil
	}
	va, err := victim.Stat(ctx)
	if err != nil {
		return err
	}
	if va.UID == ctx.UID() {
		return nil
	}
	return unix.EPERM
}

// create makes a new entry name in parent with mk, under parent's lock so
// that it cannot race with another create of the same name (EEXIST).
func (v *VFS) create(ctx Context, parent VirtualDentry, name string, mk func(dir Inode) (Inode, error)) (*Dentry, error) {
	if len(name) > linux.NAME_MAX {
		return nil, unix.ENAMETOOLONG
	}
	if err := mayModifyDir(ctx, parent); err != nil {
		// Linux reports EEXIST before EROFS or EACCES for an
		// existing name.
		if _, lerr := v.lookupDentry(ctx, parent.Dentry, name); lerr == nil {
			return nil, unix.EEXIST
		}
		return nil, err
	}
	dir := parent.Dentry
	dir.mu.Lock()
	defer dir.mu.Unlock()
	if dir.dead {
		return nil, unix.ENOENT
	}
	if _, err := v.lookupDentryLocked(ctx, dir, name); err == nil {
		return nil, unix.EEXIST
	} else if err != unix.ENOENT {
		return nil, err
	}
	inode, err := mk(dir.inode)
	if err != nil {
		return nil, err
	}
	ft, err := TypeOf(ctx, inode)
	if err != nil {
		return nil, err
	}
	c := newDentry(inode, dir, name, ft)
	if dd, ok := dir.inode.(DynamicDir); !ok || !dd.DynamicChildren() {
		dir.insertChildLocked(name, c)
	}
	return c, nil
}

// createAt resolves the parent of path and makes its last component with
// mk; dirOK says a trailing slash is allowed (mkdir).
func (v *VFS) createAt(ctx Context, fsctx *FSContext, start VirtualDentry, path string, dirOK bool, mk func(dir Inode, name string) (Inode, error)) error {
	res, err := v.walk(ctx, fsctx, start, path, walkParent)
	if err != nil {
		return err
	}
	switch res.name {
	case "", ".", "..":
		return unix.EEXIST
	}
	if res.trailingSlash && !dirOK {
		if _, err := v.lookupDentry(ctx, res.parent.Dentry, res.name); err == nil {
			return unix.EEXIST
		}
		return unix.ENOENT
	}
	_, err = v.create(ctx, res.parent, res.name, func(dir Inode) (Inode, error) {
		return mk(dir, res.name)
	})
	return err
}

// MkdirAt implements mkdirat(2); mode is masked with the umask.
func (v *VFS) MkdirAt(ctx Context, fsctx *FSContext, start VirtualDentry, path string, mode uint32) error {
	mode = mode&0o1777&^fsctx.Umask() | uint32(TypeDirectory)
	return v.createAt(ctx, fsctx, start, path, true, func(dir Inode, name string) (Inode, error) {
		return dir.Mkdir(ctx, name, mode)
	})
}

// MknodAt implements mknodat(2) for FIFOs, sockets, device nodes and
// regular files; mode includes the file type and is masked with the umask.
func (v *VFS) MknodAt(ctx Context, fsctx *FSContext, start VirtualDentry, path string, mode uint32, rdev uint64) error {
	ft := FileType(mode) & TypeMask
	perm := mode & 0o7777 &^ fsctx.Umask()
	switch ft {
	case 0, TypeRegular:
		return v.createAt(ctx, fsctx, start, path, false, func(dir Inode, name string) (Inode, error) {
			return dir.Create(ctx, name, perm|uint32(TypeRegular))
		})
	case TypeFIFO, TypeSocket, TypeCharDev, TypeBlockDev:
		if (ft == TypeCharDev || ft == TypeBlockDev) && ctx.UID() != 0 {
			return unix.EPERM
		}
		return v.createAt(ctx, fsctx, start, path, false, func(dir Inode, name string) (Inode, error) {
			return dir.Mknod(ctx, name, perm|uint32(ft), rdev)
		})
	case TypeDirectory:
		return unix.EPERM
	default:
		return unix.EINVAL
	}
}

// SymlinkAt implements symlinkat(2): path becomes a link to target.
func (v *VFS) SymlinkAt(ctx Context, fsctx *FSContext, target string, start VirtualDentry, path string) error {
	if target == "" {
		return unix.ENOENT
	}
	if len(target) >= linux.PATH_MAX {
		return unix.ENAMETOOLONG
	}
	return v.createAt(ctx, fsctx, start, path, false, func(dir Inode, name string) (Inode, error) {
		return dir.Symlink(ctx, name, target)
	})
}

// LinkAt implements linkat(2): newPath becomes a hard link to oldPath
// (following a final symlink of oldPath if follow).
func (v *VFS) LinkAt(ctx Context, fsctx *FSContext, oldStart VirtualDentry, oldPath string, newStart VirtualDentry, newPath string, follow bool) error {
	old, err := v.lookupAt(ctx, fsctx, oldStart, oldPath, follow)
	if err != nil {
		return err
	}
	return v.LinkFrom(ctx, fsctx, old, newStart, newPath)
}

// LinkFrom makes newPath a hard link to the file old (linkat with
// AT_EMPTY_PATH).
func (v *VFS) LinkFrom(ctx Context, fsctx *FSContext, old VirtualDentry, newStart VirtualDentry, newPath string) error {
	if old.Dentry.IsDir() {
		return unix.EPERM
	}
	res, err := v.walk(ctx, fsctx, newStart, newPath, walkParent)
	if err != nil {
		return err
	}
	switch res.name {
	case "", ".", "..":
		return unix.EEXIST
	}
	if res.parent.Mount != old.Mount {
		return unix.EXDEV
	}
	if res.trailingSlash {
		return unix.ENOENT
	}
	_, err = v.create(ctx, res.parent, res.name, func(dir Inode) (Inode, error) {
		if err := dir.Link(ctx, res.name, old.Dentry.inode); err != nil {
			return nil, err
		}
		return old.Dentry.inode, nil
	})
	return err
}

// ReadlinkAt implements readlinkat(2) (EINVAL if path is not a symlink).
func (v *VFS) ReadlinkAt(ctx Context, fsctx *FSContext, start VirtualDentry, path string) (string, error) {
	vd, err := v.lookupAt(ctx, fsctx, start, path, false)
	if err != nil {
		return "", err
	}
	if !vd.Dentry.IsSymlink() {
		return "", unix.EINVAL
	}
	return vd.Dentry.inode.Readlink(ctx)
}

// removeAt resolves the parent of path for unlink and rmdir.
func (v *VFS) removeAt(ctx Context, fsctx *FSContext, start VirtualDentry, path string, dir bool) error {
	res, err := v.walk(ctx, fsctx, start, path, walkParent)
	if err != nil {
		return err
	}
	switch {
	case !dir && (res.name == "" || res.name == "." || res.name == ".."):
		return unix.EISDIR
	case res.name == "":
		return unix.EBUSY
	case res.name == ".":
		return unix.EINVAL
	case res.name == "..":
		return unix.ENOTEMPTY
	}
	parent := res.parent
	if err := mayModifyDir(ctx, parent); err != nil {
		return err
	}
	pd := parent.Dentry
	pd.mu.Lock()
	child, err := v.lookupDentryLocked(ctx, pd, res.name)
	if err != nil {
		pd.mu.Unlock()
		return err
	}
	if err := v.checkRemoveLocked(ctx, pd, child, dir, res.trailingSlash); err != nil {
		pd.mu.Unlock()
		return err
	}
	if dir {
		err = pd.inode.Rmdir(ctx, res.name)
	} else {
		err = pd.inode.Unlink(ctx, res.name)
	}
	if err != nil {
		pd.mu.Unlock()
		return err
	}
	if pd.children[res.name] == child {
		delete(pd.children, res.name)
	}
	pd.mu.Unlock()
	child.mu.Lock()
	child.dead = true
	child.mu.Unlock()
	return nil
}

// checkRemoveLocked checks that child of pd may be removed by unlink (dir
// false) or rmdir (dir true). Preconditions: pd.mu held.
func (v *VFS) checkRemoveLocked(ctx Context, pd, child *Dentry, dir, trailing bool) error {
	if dir && !child.IsDir() {
		return unix.ENOTDIR
	}
	if !dir && child.IsDir() {
		return unix.EISDIR
	}
	if trailing && !child.IsDir() {
		return unix.ENOTDIR
	}
	if child.mounted.Load() != 0 {
		return unix.EBUSY
	}
	return checkSticky(ctx, pd.inode, child.inode)
}

// UnlinkAt implements unlinkat(2) without AT_REMOVEDIR.
func (v *VFS) UnlinkAt(ctx Context, fsctx *FSContext, start VirtualDentry, path string) error {
	return v.removeAt(ctx, fsctx, start, path, false)
}

// RmdirAt implements rmdir(2) and unlinkat(2) with AT_REMOVEDIR.
func (v *VFS) RmdirAt(ctx Context, fsctx *FSContext, start VirtualDentry, path string) error {
	return v.removeAt(ctx, fsctx, start, path, true)
}

// Rename flags of renameat2(2).
const (
	RenameNoReplace = 1 << 0
	RenameExchange  = 1 << 1
	RenameWhiteout  = 1 << 2
)

// RenameAt implements renameat2(2). RENAME_NOREPLACE is supported;
// RENAME_EXCHANGE and RENAME_WHITEOUT answer EINVAL.
func (v *VFS) RenameAt(ctx Context, fsctx *FSContext, oldStart VirtualDentry, oldPath string, newStart VirtualDentry, newPath string, flags uint32) error {
	if flags&^RenameNoReplace != 0 {
		return unix.EINVAL
	}
	oldRes, err := v.walk(ctx, fsctx, oldStart, oldPath, walkParent)
	if err != nil {
		return err
	}
	newRes, err := v.walk(ctx, fsctx, newStart, newPath, walkParent)
	if err != nil {
		return err
	}
	for _, n := range []string{oldRes.name, newRes.name} {
		if n == "" || n == "." || n == ".." {
			return unix.EBUSY
		}
	}
	if oldRes.parent.Mount != newRes.parent.Mount {
		return unix.EXDEV
	}
	if err := mayModifyDir(ctx, oldRes.parent); err != nil {
		return err
	}
	if err := mayModifyDir(ctx, newRes.parent); err != nil {
		return err
	}

	v.renameMu.Lock()
	defer v.renameMu.Unlock()
	op, np := oldRes.parent.Dentry, newRes.parent.Dentry
	op.mu.Lock()
	defer op.mu.Unlock()
	if np != op {
		np.mu.Lock()
		defer np.mu.Unlock()
	}
	child, err := v.lookupDentryLocked(ctx, op, oldRes.name)
	if err != nil {
		return err
	}
	if !child.IsDir() && (oldRes.trailingSlash || newRes.trailingSlash) {
		return unix.ENOTDIR
	}
	victim, err := v.lookupDentryLocked(ctx, np, newRes.name)
	switch {
	case err == unix.ENOENT:
		victim = nil
	case err != nil:
		return err
	}
	if victim == child {
		return nil
	}
	if victim != nil {
		if flags&RenameNoReplace != 0 {
			return unix.EEXIST
		}
		if child.IsDir() && !victim.IsDir() {
			return unix.ENOTDIR
		}
		if !child.IsDir() && victim.IsDir() {
			return unix.EISDIR
		}
		if victim.mounted.Load() != 0 {
			return unix.EBUSY
		}
		if err := checkSticky(ctx, np.inode, victim.inode); err != nil {
			return err
		}
	}
	if child.mounted.Load() != 0 {
		return unix.EBUSY
	}
	if err := checkSticky(ctx, op.inode, child.inode); err != nil {
		return err
	}
	if child.IsDir() {
		// A directory cannot move below itself. Parents are stable:
		// renameMu is held.
		for a := np; a != nil; a = a.parent {
			if a == child {
				return unix.EINVAL
			}
		}
	}
	if err := op.inode.Rename(ctx, oldRes.name, np.inode, newRes.name); err != nil {
		return err
	}
	if op.children[oldRes.name] == child {
		delete(op.children, oldRes.name)
	}
	if victim != nil {
		victim.mu.Lock()
		victim.dead = true
		victim.mu.Unlock()
	}
	child.mu.Lock()
	child.parent, child.name = np, newRes.name
	child.mu.Unlock()
	if dd, ok := np.inode.(DynamicDir); !ok || !dd.DynamicChildren() {
		np.insertChildLocked(newRes.name, child)
	} else {
		delete(np.children, newRes.name)
	}
	return nil
}
