package vfs

import (
	"strings"

	"golang.org/x/sys/unix"
)

// MountOptions describe a mount beyond its root.
type MountOptions struct {
	ReadOnly bool
	// NoDev makes device nodes on the mount refuse to open (EACCES),
	// NoExec its files refuse to execute (EACCES), NoSuid exec ignore
	// set-user-ID and set-group-ID bits: mount(2)'s MS_NODEV,
	// MS_NOEXEC and MS_NOSUID.
	NoDev, NoExec, NoSuid bool
	// FSType and Source are what /proc/mounts shows ("tmpfs", "proc",
	// "none"); empty means "none".
	FSType string
	Source string
	// Root is the directory of its file system that the mount shows, as
	// /proc/self/mountinfo's fourth field says it: "" means "/" (the
	// whole file system); a bind mount shows its source's path.
	Root string
}

// MountInfo describes one mount, for /proc/self/mounts.
type MountInfo struct {
	// Path is the mount point as seen from the given root.
	Path string
	MountOptions
}

// newRootDentry makes the root dentry of a file system.
func newRootDentry(ctx Context, root Inode) (*Dentry, error) {
	ft, err := TypeOf(ctx, root)
	if err != nil {
		return nil, err
	}
	if ft != TypeDirectory {
		return nil, unix.ENOTDIR
	}
	return newDentry(root, nil, "", TypeDirectory), nil
}

// MountRoot makes root, which must be a directory, the root of the mount
// tree and returns it with a reference for the caller (typically passed to
// NewFSContext and then dropped). It panics if root cannot be stat'ed or is
// not a directory: that is a bug of the kernel's boot, not application
// input.
func (v *VFS) MountRoot(root Inode) VirtualDentry {
	return v.MountRootWithOptions(root, MountOptions{FSType: "rootfs", Source: "none"})
}

// MountRootWithOptions is MountRoot with options.
func (v *VFS) MountRootWithOptions(root Inode, opts MountOptions) VirtualDentry {
	d, err := newRootDentry(Background(), root)
	if err != nil {
		panic("vfs: root file system: " + err.Error())
	}
	m := &Mount{vfs: v, root: d, readOnly: opts.ReadOnly, opts: opts}
	v.mountMu.Lock()
	v.root = m
	v.order = append(v.order, m)
	v.mountMu.Unlock()
	vd := VirtualDentry{Mount: m, Dentry: d}
	vd.IncRef()
	return vd
}

// Mount mounts the file system whose root is root over the directory path
// (resolved from fsctx's root and cwd, following symlinks). Used for /proc,
// /dev, /tmp, /sys.
func (v *VFS) Mount(ctx Context, fsctx *FSContext, path string, root Inode, readOnly bool) error {
	return v.MountWithOptions(ctx, fsctx, path, root, MountOptions{ReadOnly: readOnly})
}

// MountWithOptions is Mount with options.
func (v *VFS) MountWithOptions(ctx Context, fsctx *FSContext, path string, root Inode, opts MountOptions) error {
	res, err := v.walk(ctx, fsctx, VirtualDentry{}, path, walkFollow)
	if err != nil {
		return err
	}
	point := res.vd
	// A directory on a directory, or a file on a non-directory (a file
	// bind mount), as Linux allows.
	ft, err := TypeOf(ctx, root)
	if err != nil {
		return err
	}
	if point.Dentry.IsDir() != (ft == TypeDirectory) || ft == TypeSymlink {
		return unix.ENOTDIR
	}
	d := newDentry(root, nil, "", ft)
	point.Dentry.pinInParent()
	m := &Mount{vfs: v, root: d, parent: point.Mount, point: point.Dentry, readOnly: opts.ReadOnly, opts: opts}
	v.mountMu.Lock()
	v.mounts[mountKey{point.Mount, point.Dentry}] = m
	v.order = append(v.order, m)
	v.mountMu.Unlock()
	point.Dentry.mounted.Add(1)
	point.IncRef()
	return nil
}

// Umount detaches the mount whose root path names (EINVAL if path is not a
// mount's root, EBUSY for the root mount or a mount with mounts on it).
func (v *VFS) Umount(ctx Context, fsctx *FSContext, path string) error {
	res, err := v.walk(ctx, fsctx, VirtualDentry{}, path, walkFollow)
	if err != nil {
		return err
	}
	m := res.vd.Mount
	if res.vd.Dentry != m.root {
		return unix.EINVAL
	}
	v.mountMu.Lock()
	defer v.mountMu.Unlock()
	if m.parent == nil {
		return unix.EBUSY
	}
	for k := range v.mounts {
		if k.parent == m {
			return unix.EBUSY
		}
	}
	delete(v.mounts, mountKey{m.parent, m.point})
	for i, o := range v.order {
		if o == m {
			v.order = append(v.order[:i], v.order[i+1:]...)
			break
		}
	}
	m.point.mounted.Add(-1)
	VirtualDentry{Mount: m.parent, Dentry: m.point}.DecRef()
	return nil
}

// Mounts lists the mounts visible from fsctx's root, in mount order.
func (v *VFS) Mounts(fsctx *FSContext) []MountInfo {
	root, _ := fsctx.rootAndStart(VirtualDentry{})
	v.mountMu.RLock()
	ms := append([]*Mount(nil), v.order...)
	v.mountMu.RUnlock()
	var out []MountInfo
	for _, m := range ms {
		p, ok := v.pathFrom(root, VirtualDentry{Mount: m, Dentry: m.root})
		if !ok {
			continue
		}
		out = append(out, MountInfo{Path: p, MountOptions: m.opts})
	}
	return out
}

// PathOf returns the absolute path of vd as seen from fsctx's root, as
// /proc/self/fd links show it: " (deleted)" is appended for a removed
// file, and a file outside the root is shown from the real root.
func (v *VFS) PathOf(fsctx *FSContext, vd VirtualDentry) string {
	root, _ := fsctx.rootAndStart(VirtualDentry{})
	p, _ := v.pathFrom(root, vd)
	vd.Dentry.mu.Lock()
	dead := vd.Dentry.dead
	vd.Dentry.mu.Unlock()
	if dead {
		p += " (deleted)"
	}
	return p
}

// GetcwdPath returns the working directory's path for getcwd(2): ENOENT if
// it was removed, and "(unreachable)" prepended when it is outside the
// root, as Linux does.
func (v *VFS) GetcwdPath(fsctx *FSContext) (string, error) {
	root, cwd := fsctx.rootAndStart(VirtualDentry{})
	cwd.Dentry.mu.Lock()
	dead := cwd.Dentry.dead
	cwd.Dentry.mu.Unlock()
	if dead {
		return "", unix.ENOENT
	}
	p, ok := v.pathFrom(root, cwd)
	if !ok {
		p = "(unreachable)" + p
	}
	return p, nil
}

// pathFrom builds the path of vd from root; ok is false when vd is not
// under root (the path is then from the real root).
func (v *VFS) pathFrom(root, vd VirtualDentry) (string, bool) {
	v.renameMu.RLock()
	defer v.renameMu.RUnlock()
	var parts []string
	ok := false
	for {
		if vd == root {
			ok = true
			break
		}
		if vd.Dentry == vd.Mount.root {
			if vd.Mount.parent == nil {
				break
			}
			vd = VirtualDentry{Mount: vd.Mount.parent, Dentry: vd.Mount.point}
			continue
		}
		d := vd.Dentry
		d.mu.Lock()
		parts = append(parts, d.name)
		p := d.parent
		d.mu.Unlock()
		if p == nil {
			break
		}
		vd.Dentry = p
	}
	if len(parts) == 0 {
		return "/", ok
	}
	var b strings.Builder
	for i := len(parts) - 1; i >= 0; i-- {
		b.WriteByte('/')
		b.WriteString(parts[i])
	}
	return b.String(), ok
}
