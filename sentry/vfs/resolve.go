package vfs

import (
	"strings"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
)

// MaxSymlinks is how many symlinks one resolution follows (ELOOP beyond;
// Linux's MAXSYMLINKS). Paths and names are limited by linux.PATH_MAX and
// linux.NAME_MAX.
const MaxSymlinks = 40

// Permission bits asked of MayAccess.
const (
	MayRead  = 4
	MayWrite = 2
	MayExec  = 1
)

// DynamicDir is implemented by directory inodes whose children must not be
// cached (their set changes behind the VFS's back, as in /proc): every walk
// looks them up again.
type DynamicDir interface {
	DynamicChildren() bool
}

// MagicLink is implemented by symlink inodes that lead to an open file
// rather than to a path, like /proc/PID/fd/N (Linux's "magic links"):
// following one goes to the file's dentry, or, for a file without one (a
// pipe, a host FD), to the file itself, which open then returns (the same
// description) and stat describes. Readlink still gives the name shown.
type MagicLink interface {
	// MagicTarget returns the file, with a reference for the caller.
	MagicTarget(ctx Context) (*FileDescription, error)
}

// walkFlags control a resolution.
type walkFlags uint8

const (
	// walkFollow follows a symlink in the last component.
	walkFollow walkFlags = 1 << iota
	// walkParent stops before looking up the last component.
	walkParent
	// walkAllowMissing returns an empty vd instead of ENOENT when only
	// the last component is missing.
	walkAllowMissing
)

// walkResult is where a resolution ended.
type walkResult struct {
	// parent is the directory holding the last component. It is unset
	// when the path named a root ("/" or a path of only "." and "..").
	parent VirtualDentry
	// name is the last component: "" for a root, possibly "." or "..".
	name string
	// vd is the file; unset with walkParent, or with walkAllowMissing
	// when the last component does not exist.
	vd VirtualDentry
	// trailingSlash says the path ended in "/" (the file must be a
	// directory).
	trailingSlash bool
	// file is set, with a reference, when the path ended at a magic link
	// to a file without a dentry; vd is then the link.
	file *FileDescription
}

// resolver holds the state of one resolution.
type resolver struct {
	vfs  *VFS
	ctx  Context
	root VirtualDentry
	cur  VirtualDentry
	// symlinks counts symlinks followed so far.
	symlinks int
	// miss is a failed lookup seen by a walk ahead (lookup_path.go).
	miss missedLookup
}

// rootAndStart returns the root to resolve against and the directory a
// relative path starts at (start, or the cwd when start is unset).
func (fsctx *FSContext) rootAndStart(start VirtualDentry) (VirtualDentry, VirtualDentry) {
	fsctx.mu.Lock()
	defer fsctx.mu.Unlock()
	if !start.Ok() {
		start = fsctx.cwd
	}
	return fsctx.root, start
}

// walk resolves path from start (cwd if unset) under fsctx's root.
func (v *VFS) walk(ctx Context, fsctx *FSContext, start VirtualDentry, path string, flags walkFlags) (walkResult, error) {
	if path == "" {
		return walkResult{}, unix.ENOENT
	}
	if len(path) >= linux.PATH_MAX {
		return walkResult{}, unix.ENAMETOOLONG
	}
	root, st := fsctx.rootAndStart(start)
	r := resolver{vfs: v, ctx: ctx, root: root, cur: st}
	return r.resolve(path, flags)
}

// resolve is the resolution loop, analogous to Linux's link_path_walk plus
// the last-component handling of path_lookupat/path_openat.
func (r *resolver) resolve(path string, flags walkFlags) (walkResult, error) {
	rest := path
	if rest[0] == '/' {
		r.cur = r.root
	}
	var res walkResult
	for {
		// Take the next component.
		rest = strings.TrimLeft(rest, "/")
		if rest == "" {
			// The path named the current directory itself ("/", "a/..").
			if !r.cur.Dentry.IsDir() {
				return res, unix.ENOTDIR
			}
			res.vd = r.cur
			if flags&walkParent != 0 {
				res.vd = VirtualDentry{}
				res.parent = r.cur
			}
			res.name = ""
			return res, nil
		}
		comp := rest
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			comp, rest = rest[:i], rest[i:]
		} else {
			rest = ""
		}
		if len(comp) > linux.NAME_MAX {
			return res, unix.ENAMETOOLONG
		}
		trailing := rest != "" && strings.TrimLeft(rest, "/") == ""
		last := rest == "" || trailing

		if !r.cur.Dentry.IsDir() {
			return res, unix.ENOTDIR
		}
		if err := r.mayLookup(); err != nil {
			return res, err
		}

		if last && flags&walkParent != 0 {
			res.parent, res.name, res.trailingSlash = r.cur, comp, trailing
			return res, nil
		}

		switch comp {
		case ".":
			if last {
				res.parent, res.name, res.vd, res.trailingSlash = r.cur, comp, r.cur, trailing
				return res, nil
			}
			continue
		case "..":
			parent := r.cur
			r.dotdot()
			if last {
				res.parent, res.name, res.vd, res.trailingSlash = parent, comp, r.cur, trailing
				return res, nil
			}
			continue
		}

		child, err := r.lookup(comp, rest, flags&walkParent != 0)
		if err != nil {
			if err == unix.ENOENT && last && flags&walkAllowMissing != 0 {
				res.parent, res.name, res.trailingSlash = r.cur, comp, trailing
				return res, nil
			}
			return res, err
		}
		if child.Dentry.IsSymlink() && (!last || trailing || flags&walkFollow != 0) {
			if ml, ok := child.Dentry.inode.(MagicLink); ok {
				r.symlinks++
				if r.symlinks > MaxSymlinks {
					return res, unix.ELOOP
				}
				f, err := ml.MagicTarget(r.ctx)
				if err != nil {
					return res, err
				}
				if f.vd == nil {
					if !last {
						f.DecRef()
						return res, unix.ENOTDIR
					}
					res.parent, res.name, res.vd, res.file = r.cur, comp, child, f
					return res, nil
				}
				target := *f.vd
				f.DecRef()
				if last {
					res.parent, res.name, res.vd, res.trailingSlash = r.cur, comp, target, trailing
					return res, nil
				}
				r.cur = target
				continue
			}
			target, err := r.readlink(child)
			if err != nil {
				return res, err
			}
			if target[0] == '/' {
				r.cur = r.root
			}
			rest = target + rest
			continue
		}
		if last {
			res.parent, res.name, res.vd, res.trailingSlash = r.cur, comp, child, trailing
			return res, nil
		}
		r.cur = child
	}
}

// readlink counts and reads a symlink to follow.
func (r *resolver) readlink(link VirtualDentry) (string, error) {
	r.symlinks++
	if r.symlinks > MaxSymlinks {
		return "", unix.ELOOP
	}
	target, err := link.Dentry.inode.Readlink(r.ctx)
	if err != nil {
		return "", err
	}
	if target == "" {
		return "", unix.ENOENT
	}
	if len(target) >= linux.PATH_MAX {
		return "", unix.ENAMETOOLONG
	}
	return target, nil
}

// mayLookup checks search permission on the current directory.
func (r *resolver) mayLookup() error {
	if r.ctx.UID() == 0 {
		return nil
	}
	a, err := r.cur.Dentry.inode.Stat(r.ctx)
	if err != nil {
		return err
	}
	return MayAccess(r.ctx, a, MayExec)
}

// dotdot moves to the parent directory, never above the root, crossing
// mounts upwards (Linux's follow_dotdot).
func (r *resolver) dotdot() {
	for {
		if r.cur == r.root {
			return
		}
		if r.cur.Dentry != r.cur.Mount.root {
			break
		}
		if r.cur.Mount.parent == nil {
			return
		}
		r.cur = VirtualDentry{Mount: r.cur.Mount.parent, Dentry: r.cur.Mount.point}
	}
	d := r.cur.Dentry
	d.mu.Lock()
	p := d.parent
	d.mu.Unlock()
	if p != nil {
		r.cur.Dentry = p
	}
}

// lookup returns the child name of dir, from the dentry cache or the file
// system, crossing any mount stacked on it.
func (v *VFS) lookup(ctx Context, dir VirtualDentry, name string) (VirtualDentry, error) {
	d, err := v.lookupDentry(ctx, dir.Dentry, name)
	if err != nil {
		return VirtualDentry{}, err
	}
	return v.crossMounts(VirtualDentry{Mount: dir.Mount, Dentry: d}), nil
}

// crossMounts returns the root of the topmost mount stacked on vd, or vd.
func (v *VFS) crossMounts(vd VirtualDentry) VirtualDentry {
	if vd.Dentry.mounted.Load() == 0 {
		return vd
	}
	v.mountMu.RLock()
	defer v.mountMu.RUnlock()
	for {
		m := v.mounts[mountKey{vd.Mount, vd.Dentry}]
		if m == nil {
			return vd
		}
		vd = VirtualDentry{Mount: m, Dentry: m.root}
	}
}

// lookupDentry returns the dentry of child name of dir.
func (v *VFS) lookupDentry(ctx Context, dir *Dentry, name string) (*Dentry, error) {
	dir.mu.Lock()
	defer dir.mu.Unlock()
	return v.lookupDentryLocked(ctx, dir, name)
}

// lookupDentryLocked is lookupDentry with dir.mu held.
func (v *VFS) lookupDentryLocked(ctx Context, dir *Dentry, name string) (*Dentry, error) {
	if c := dir.children[name]; c != nil {
		return c, nil
	}
	if dir.dead {
		return nil, unix.ENOENT
	}
	inode, err := dir.inode.Lookup(ctx, name)
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

// MayAccess checks that the caller may access a file with attributes a in
// the ways of want (MayRead|MayWrite|MayExec). Root may do anything but
// execute a file with no x bit at all; others get the owner, group or
// other bits. Supplementary groups are not considered.
func MayAccess(ctx Context, a Attr, want uint32) error {
	mode := a.Mode
	if ctx.UID() == 0 {
		if want&MayExec != 0 && FileType(mode)&TypeMask != TypeDirectory && mode&0o111 == 0 {
			return unix.EACCES
		}
		return nil
	}
	var perm uint32
	switch {
	case ctx.UID() == a.UID:
		perm = mode >> 6
	case ctx.GID() == a.GID:
		perm = mode >> 3
	default:
		perm = mode
	}
	if want&^perm&7 != 0 {
		return unix.EACCES
	}
	return nil
}
