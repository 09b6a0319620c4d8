package vfs

import (
	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
)

// StatAt implements stat(2), lstat(2) and fstatat(2) (follow says whether
// a final symlink is followed).
func (v *VFS) StatAt(ctx Context, fsctx *FSContext, start VirtualDentry, path string, follow bool) (Attr, error) {
	vd, file, err := v.lookupFileAt(ctx, fsctx, start, path, follow)
	if err != nil {
		return Attr{}, err
	}
	if file != nil {
		defer file.DecRef()
		return file.Stat(ctx)
	}
	return vd.Dentry.inode.Stat(ctx)
}

// StatFSAt implements statfs(2).
func (v *VFS) StatFSAt(ctx Context, fsctx *FSContext, start VirtualDentry, path string) (Statfs, error) {
	vd, err := v.lookupAt(ctx, fsctx, start, path, true)
	if err != nil {
		return Statfs{}, err
	}
	return vd.Dentry.inode.StatFS(ctx)
}

// AccessAt implements faccessat2(2): mode is F_OK or a mix of R_OK, W_OK
// and X_OK. The effective IDs of ctx are used (AT_EACCESS semantics).
func (v *VFS) AccessAt(ctx Context, fsctx *FSContext, start VirtualDentry, path string, mode uint32, follow bool) error {
	if mode&^7 != 0 {
		return unix.EINVAL
	}
	vd, file, err := v.lookupFileAt(ctx, fsctx, start, path, follow)
	if err != nil {
		return err
	}
	if file != nil {
		file.DecRef()
		return nil
	}
	if mode == 0 {
		return nil
	}
	if mode&MayWrite != 0 && vd.Mount.readOnly {
		switch vd.Dentry.ftype {
		case TypeRegular, TypeDirectory, TypeSymlink:
			return unix.EROFS
		}
	}
	a, err := vd.Dentry.inode.Stat(ctx)
	if err != nil {
		return err
	}
	return MayAccess(ctx, a, mode)
}

// SetAttrAt implements chmod, chown, truncate and utimensat on a path.
func (v *VFS) SetAttrAt(ctx Context, fsctx *FSContext, start VirtualDentry, path string, follow bool, sa SetAttr) error {
	vd, err := v.lookupAt(ctx, fsctx, start, path, follow)
	if err != nil {
		return err
	}
	return setAttr(ctx, vd, sa, false)
}

// SetAttr implements fchmod, fchown, ftruncate and futimens on an open
// file. ftruncate needs the file open for writing (EINVAL otherwise).
func (fd *FileDescription) SetAttr(ctx Context, sa SetAttr) error {
	if sa.Mask&SetSize != 0 && !fd.Writable() {
		return unix.EINVAL
	}
	if fd.vd == nil {
		if sa.Mask&SetSize != 0 {
			return unix.EINVAL
		}
		// Pipes and host FDs without a dentry: only fchmod/fchown
		// of the file itself would apply; accept them as no-ops
		// for files that cannot be changed.
		return unix.EPERM
	}
	return setAttr(ctx, *fd.vd, sa, fd.Writable())
}

// setAttr checks permissions and applies sa to vd. openForWrite says the
// change comes through a description open for writing (ftruncate needs no
// further permission).
func setAttr(ctx Context, vd VirtualDentry, sa SetAttr, openForWrite bool) error {
	if sa.Mask == 0 {
		return nil
	}
	d := vd.Dentry
	if sa.Mask&SetSize != 0 {
		if sa.Size < 0 {
			return unix.EINVAL
		}
		switch d.ftype {
		case TypeDirectory:
			return unix.EISDIR
		case TypeRegular:
		default:
			return unix.EINVAL
		}
		if uint64(sa.Size) > FileSizeLimit(ctx) {
			return unix.EFBIG
		}
	}
	if vd.Mount.readOnly {
		return unix.EROFS
	}
	if ctx.UID() != 0 {
		a, err := d.inode.Stat(ctx)
		if err != nil {
			return err
		}
		owner := a.UID == ctx.UID()
		if sa.Mask&SetMode != 0 && !owner {
			return unix.EPERM
		}
		if sa.Mask&SetUID != 0 && sa.UID != a.UID {
			return unix.EPERM
		}
		if sa.Mask&SetGID != 0 && (!owner || (sa.GID != a.GID && sa.GID != ctx.GID())) {
			return unix.EPERM
		}
		if sa.Mask&(SetAtime|SetMtime) != 0 && !owner {
			if sa.TimesExplicit {
				return unix.EPERM
			}
			if err := MayAccess(ctx, a, MayWrite); err != nil {
				return err
			}
		}
		if sa.Mask&SetSize != 0 && !openForWrite {
			if err := MayAccess(ctx, a, MayWrite); err != nil {
				return err
			}
		}
	}
	if sa.Mask&SetMode != 0 {
		sa.Mode &= 0o7777
	}
	return d.inode.SetAttr(ctx, sa)
}

// ReadDirents implements getdents64(2) on an open directory: it calls emit
// for each entry from the file offset on, "." and ".." first, with the
// offset of the entry after it; emit returns false to stop before the
// entry is consumed (the buffer is full). The listing is taken at the
// first call after open or a rewind to 0.
func (fd *FileDescription) ReadDirents(ctx Context, emit func(d Dirent, next int64) bool) error {
	if fd.IsPath() {
		return unix.EBADF
	}
	if !fd.isDir() {
		return unix.ENOTDIR
	}
	fd.offMu.Lock()
	defer fd.offMu.Unlock()
	if fd.dirents == nil || fd.off == 0 {
		d := fd.vd.Dentry
		list, err := d.inode.Readdir(ctx)
		if err != nil {
			return err
		}
		a, err := d.inode.Stat(ctx)
		if err != nil {
			return err
		}
		all := make([]Dirent, 0, len(list)+2)
		all = append(all, Dirent{Name: ".", Ino: a.Ino, Type: TypeDirectory}, Dirent{Name: "..", Ino: a.Ino, Type: TypeDirectory})
		fd.dirents = append(all, list...)
	}
	for fd.off >= 0 && fd.off < int64(len(fd.dirents)) {
		if !emit(fd.dirents[fd.off], fd.off+1) {
			break
		}
		fd.off++
	}
	return nil
}

// pipefsMagic is what fstatfs reports for files without a dentry.
const pipefsMagic = 0x50495045

// StatFS implements fstatfs(2).
func (fd *FileDescription) StatFS(ctx Context) (Statfs, error) {
	if fd.vd == nil {
		return Statfs{Type: pipefsMagic, Bsize: 4096, Frsize: 4096, NameLen: linux.NAME_MAX}, nil
	}
	return fd.vd.Dentry.inode.StatFS(ctx)
}
