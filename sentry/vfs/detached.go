package vfs

// This file holds the kernel's own mounts: file systems attached nowhere
// in the mount tree, whose files are reachable only through descriptions
// the kernel opens on them (memfd_create's tmpfs), as Linux's kern_mount.

// KernelMount returns the detached mount called name, making it with
// newRoot (a directory) the first time.
func (v *VFS) KernelMount(ctx Context, name string, newRoot func() Inode) (*Mount, error) {
	v.mountMu.Lock()
	defer v.mountMu.Unlock()
	if m := v.kernelMounts[name]; m != nil {
		return m, nil
	}
	d, err := newRootDentry(ctx, newRoot())
	if err != nil {
		return nil, err
	}
	m := &Mount{vfs: v, root: d}
	if v.kernelMounts == nil {
		v.kernelMounts = make(map[string]*Mount)
	}
	v.kernelMounts[name] = m
	return m, nil
}

// OpenDetached opens in, a regular file of m's file system that no
// directory names, through a removed dentry called name under m's root:
// /proc/self/fd shows it as "/name (deleted)", and it can be opened again
// there. flags are open(2)'s access mode and status flags.
func (v *VFS) OpenDetached(ctx Context, m *Mount, in Inode, name string, flags uint32) (*FileDescription, error) {
	d := newDentry(in, m.root, name, TypeRegular)
	d.dead = true
	return v.openVD(ctx, VirtualDentry{Mount: m, Dentry: d}, flags, false)
}
