package vfs

import (
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
)

// FIFOOpener opens a named pipe: the kernel implements pipes, so it
// registers one with SetFIFOOpener; key identifies the FIFO node (the
// same Inode value for every open of one dentry).
type FIFOOpener func(ctx Context, key Inode, flags uint32) (FileImpl, error)

// SetFIFOOpener registers the opener of FIFO nodes (without one, opening
// a FIFO fails with ENXIO).
func (v *VFS) SetFIFOOpener(fn FIFOOpener) {
	v.mountMu.Lock()
	v.fifoOpener = fn
	v.mountMu.Unlock()
}

// lookupAt resolves path to an existing file, checking the trailing-slash
// rule.
func (v *VFS) lookupAt(ctx Context, fsctx *FSContext, start VirtualDentry, path string, follow bool) (VirtualDentry, error) {
	vd, file, err := v.lookupFileAt(ctx, fsctx, start, path, follow)
	if file != nil {
		// A magic link to a file without a dentry: only open, stat
		// and access can use it.
		file.DecRef()
		return VirtualDentry{}, unix.ENXIO
	}
	return vd, err
}

// lookupFileAt is lookupAt that also returns, with a reference, the file
// a final magic link leads to when that file has no dentry.
func (v *VFS) lookupFileAt(ctx Context, fsctx *FSContext, start VirtualDentry, path string, follow bool) (VirtualDentry, *FileDescription, error) {
	var wf walkFlags
	if follow {
		wf |= walkFollow
	}
	res, err := v.walk(ctx, fsctx, start, path, wf)
	if err != nil {
		return VirtualDentry{}, nil, err
	}
	if res.file != nil {
		return VirtualDentry{}, res.file, nil
	}
	if res.trailingSlash && !res.vd.Dentry.IsDir() {
		return VirtualDentry{}, nil, unix.ENOTDIR
	}
	return res.vd, nil, nil
}

// GetAt resolves path (from start, or the cwd when start is unset) and
// returns where it leads with a reference the caller must drop: for
// chdir, chroot, the start of later *At calls, name_to_handle and mounts.
func (v *VFS) GetAt(ctx Context, fsctx *FSContext, start VirtualDentry, path string, follow bool) (VirtualDentry, error) {
	vd, err := v.lookupAt(ctx, fsctx, start, path, follow)
	if err != nil {
		return VirtualDentry{}, err
	}
	vd.IncRef()
	return vd, nil
}

// GetDirAt is GetAt for a directory that the caller must be able to
// search (chdir, chroot): ENOTDIR or EACCES otherwise.
func (v *VFS) GetDirAt(ctx Context, fsctx *FSContext, start VirtualDentry, path string) (VirtualDentry, error) {
	vd, err := v.lookupAt(ctx, fsctx, start, path, true)
	if err != nil {
		return VirtualDentry{}, err
	}
	if !vd.Dentry.IsDir() {
		return VirtualDentry{}, unix.ENOTDIR
	}
	if ctx.UID() != 0 {
		a, err := vd.Dentry.inode.Stat(ctx)
		if err != nil {
			return VirtualDentry{}, err
		}
		if err := MayAccess(ctx, a, MayExec); err != nil {
			return VirtualDentry{}, err
		}
	}
	vd.IncRef()
	return vd, nil
}

// OpenAt implements open(2) and openat(2): path is resolved from start
// (the cwd when unset). It handles O_CREAT, O_EXCL, O_TRUNC, O_DIRECTORY,
// O_NOFOLLOW and O_PATH; the caller handles O_CLOEXEC. The description
// returned holds one reference, the caller's.
func (v *VFS) OpenAt(ctx Context, fsctx *FSContext, start VirtualDentry, path string, flags, mode uint32) (*FileDescription, error) {
	if flags&unix.O_TMPFILE == unix.O_TMPFILE {
		return v.openTmpfile(ctx, fsctx, start, path, flags, mode)
	}
	if flags&unix.O_PATH != 0 {
		flags &= unix.O_PATH | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC
	}
	creat := flags&unix.O_CREAT != 0
	var wf walkFlags
	if flags&unix.O_NOFOLLOW == 0 && !(creat && flags&unix.O_EXCL != 0) {
		wf |= walkFollow
	}
	if creat {
		wf |= walkAllowMissing
	}
	res, err := v.walk(ctx, fsctx, start, path, wf)
	if err != nil {
		return nil, err
	}
	if res.file != nil {
		// A magic link to a file without a dentry: the same file.
		switch {
		case creat && flags&unix.O_EXCL != 0:
			res.file.DecRef()
			return nil, unix.EEXIST
		case flags&unix.O_DIRECTORY != 0:
			res.file.DecRef()
			return nil, unix.ENOTDIR
		}
		return res.file, nil
	}
	vd := res.vd
	if creat {
		if vd.Ok() && flags&unix.O_EXCL != 0 {
			return nil, unix.EEXIST
		}
		if vd.Ok() && vd.Dentry.IsDir() {
			return nil, unix.EISDIR
		}
		if !vd.Ok() {
			if res.trailingSlash {
				return nil, unix.EISDIR
			}
			vd, err = v.createFile(ctx, fsctx, res.parent, res.name, mode, flags)
			if err != nil {
				return nil, err
			}
			// The file is new: no O_TRUNC, no permission check.
			return v.openVD(ctx, vd, flags&^unix.O_TRUNC, false)
		}
	}
	if res.trailingSlash && !vd.Dentry.IsDir() {
		return nil, unix.ENOTDIR
	}
	if vd.Dentry.IsSymlink() && flags&unix.O_PATH == 0 {
		return nil, unix.ELOOP
	}
	return v.openVD(ctx, vd, flags, true)
}

// openTmpfile implements O_TMPFILE: an unnamed regular file in the
// directory at path, open for writing; analogous to Linux's
// do_tmpfile() and vfs_tmpfile(). Its dentry is a removed one, so that
// /proc/self/fd shows "/dir/#ino (deleted)" and linkat(2) can give it a
// name unless O_EXCL was given.
func (v *VFS) openTmpfile(ctx Context, fsctx *FSContext, start VirtualDentry, path string, flags, mode uint32) (*FileDescription, error) {
	acc := flags & unix.O_ACCMODE
	if flags&(unix.O_CREAT|unix.O_PATH) != 0 || (acc != unix.O_WRONLY && acc != unix.O_RDWR) {
		return nil, unix.EINVAL
	}
	dir, err := v.lookupAt(ctx, fsctx, start, path, flags&unix.O_NOFOLLOW == 0)
	if err != nil {
		return nil, err
	}
	if !dir.Dentry.IsDir() {
		return nil, unix.ENOTDIR
	}
	if err := mayModifyDir(ctx, dir); err != nil {
		return nil, err
	}
	tm, ok := dir.Dentry.inode.(TmpfileMaker)
	if !ok {
		return nil, unix.EOPNOTSUPP
	}
	inode, err := tm.MakeTmpfile(ctx, mode&0o7777&^fsctx.Umask(), flags&unix.O_EXCL == 0)
	if err != nil {
		return nil, err
	}
	a, err := inode.Stat(ctx)
	if err != nil {
		return nil, err
	}
	d := newDentry(inode, dir.Dentry, "#"+strconv.FormatUint(a.Ino, 10), TypeRegular)
	d.dead = true
	vd := VirtualDentry{Mount: dir.Mount, Dentry: d}
	return v.openVD(ctx, vd, flags&^(unix.O_TMPFILE|unix.O_EXCL), false)
}

// createFile makes the regular file name in parent for O_CREAT.
func (v *VFS) createFile(ctx Context, fsctx *FSContext, parent VirtualDentry, name string, mode, flags uint32) (VirtualDentry, error) {
	mode = (mode & 0o7777 &^ fsctx.Umask()) | uint32(TypeRegular)
	d, err := v.create(ctx, parent, name, func(dir Inode) (Inode, error) {
		return dir.Create(ctx, name, mode)
	})
	if err != nil {
		if err == unix.EEXIST && flags&unix.O_EXCL == 0 {
			// Lost a race with another creator: open what is there.
			return v.lookup(ctx, parent, name)
		}
		return VirtualDentry{}, err
	}
	return VirtualDentry{Mount: parent.Mount, Dentry: d}, nil
}

// openVD opens an existing file found by a walk.
func (v *VFS) openVD(ctx Context, vd VirtualDentry, flags uint32, check bool) (*FileDescription, error) {
	d := vd.Dentry
	if flags&unix.O_DIRECTORY != 0 && !d.IsDir() {
		return nil, unix.ENOTDIR
	}
	if flags&unix.O_PATH != 0 {
		return NewFileDescription(pathFile{}, flags, &vd), nil
	}
	acc := flags & unix.O_ACCMODE
	writes := acc == unix.O_WRONLY || acc == unix.O_RDWR || flags&unix.O_TRUNC != 0
	if d.IsDir() && writes {
		return nil, unix.EISDIR
	}
	if check {
		var want uint32
		if acc == unix.O_RDONLY || acc == unix.O_RDWR {
			want |= MayRead
		}
		if writes {
			want |= MayWrite
		}
		if acc == 3 {
			// Linux's "no access" mode 3 still needs read and write
			// permission.
			want = MayRead | MayWrite
		}
		if want != 0 {
			a, err := d.inode.Stat(ctx)
			if err != nil {
				return nil, err
			}
			if err := MayAccess(ctx, a, want); err != nil {
				return nil, err
			}
		}
		if writes && vd.Mount.readOnly && (d.ftype == TypeRegular || d.ftype == TypeDirectory || d.ftype == TypeSymlink) {
			return nil, unix.EROFS
		}
	}
	var impl FileImpl
	var err error
	if d.ftype == TypeFIFO {
		v.mountMu.RLock()
		opener := v.fifoOpener
		v.mountMu.RUnlock()
		if opener == nil {
			return nil, unix.ENXIO
		}
		impl, err = opener(ctx, d.inode, flags)
	} else if d.ftype == TypeCharDev || d.ftype == TypeBlockDev {
		impl, err = v.openDevice(ctx, vd, d.ftype, flags)
	} else if d.ftype == TypeSocket {
		// A socket is reached by connect(2), never opened.
		return nil, unix.ENXIO
	} else {
		impl, err = d.inode.Open(ctx, flags)
	}
	if err != nil {
		return nil, err
	}
	return NewFileDescription(impl, flags, &vd), nil
}

// OpenPath opens path for execve(2): it must be a regular file that the
// caller may execute (some x bit, even for root), else EACCES. The
// description, opened read-only, holds one reference, the caller's.
func (v *VFS) OpenPath(ctx Context, fsctx *FSContext, start VirtualDentry, path string) (*FileDescription, error) {
	vd, err := v.lookupAt(ctx, fsctx, start, path, true)
	if err != nil {
		return nil, err
	}
	impl, err := v.openExecutable(ctx, vd)
	if err != nil {
		vd.DecRef()
		return nil, err
	}
	return NewFileDescription(impl, unix.O_RDONLY, &vd), nil
}

// openExecutable opens the file at vd read-only if the caller may execute
// it: a regular file, not on a noexec mount, with an x bit it may use.
func (v *VFS) openExecutable(ctx Context, vd VirtualDentry) (FileImpl, error) {
	if vd.Dentry.ftype != TypeRegular || vd.Mount.opts.NoExec {
		return nil, unix.EACCES
	}
	a, err := vd.Dentry.inode.Stat(ctx)
	if err != nil {
		return nil, err
	}
	if err := MayAccess(ctx, a, MayExec); err != nil {
		return nil, err
	}
	return vd.Dentry.inode.Open(ctx, unix.O_RDONLY)
}

// OpenExecutable is OpenPath from the working directory, for the kernel's
// execve and the container's init.
func (v *VFS) OpenExecutable(ctx Context, fsctx *FSContext, path string) (*FileDescription, error) {
	return v.OpenPath(ctx, fsctx, VirtualDentry{}, path)
}

// pathFile is the FileImpl of an O_PATH description: it does nothing.
type pathFile struct{}

func (pathFile) Read(Context, []byte, int64) (int, error)  { return 0, unix.EBADF }
func (pathFile) Write(Context, []byte, int64) (int, error) { return 0, unix.EBADF }
func (pathFile) Seekable() bool                            { return false }
func (pathFile) Ioctl(Context, IO, uint32, uintptr) (uintptr, error) {
	return 0, unix.EBADF
}
func (pathFile) Readiness(uint32) uint32 { return linux.POLLNVAL }
func (pathFile) Release()                {}
