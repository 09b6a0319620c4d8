package vfs

import (
	"sync"
	"sync/atomic"
)

// Dentry is a node of the dentry cache: an Inode with the name and parent
// it was reached by, so that paths can be printed (getcwd,
// /proc/self/fd/N). Analogous to Linux's struct dentry. Dentries are kept
// while their parent is cached; unlink, rmdir and rename update the cache.
type Dentry struct {
	inode Inode

	// refs counts VirtualDentry references (open files, cwd, root, mount
	// points); informational for v1 (the cache is not evicted).
	refs atomic.Int64

	// mounted counts mounts whose mount point is this dentry, so that
	// resolution only consults the mount table when it is non-zero.
	mounted atomic.Int32

	// mu guards the fields below. Lock order: VFS.renameMu, then an old
	// parent's mu, then a new parent's mu, then a child's mu; everywhere
	// else at most one dentry's mu is held.
	mu sync.Mutex
	// parent and name are what the dentry was reached by; parent is nil for
	// the root of a mount. Written with VFS.renameMu held for writing and
	// mu held; stable while VFS.renameMu is held for reading.
	parent *Dentry
	name   string
	// dead is set once the dentry was unlinked or removed.
	dead bool
	// children caches looked-up children by name.
	children map[string]*Dentry

	// ftype is the inode's file type; immutable.
	ftype FileType
}

func newDentry(inode Inode, parent *Dentry, name string, ftype FileType) *Dentry {
	return &Dentry{inode: inode, parent: parent, name: name, ftype: ftype}
}

// IsDir says whether the dentry is a directory.
func (d *Dentry) IsDir() bool { return d.ftype == TypeDirectory }

// IsSymlink says whether the dentry is a symbolic link.
func (d *Dentry) IsSymlink() bool { return d.ftype == TypeSymlink }

// Type returns the inode's file type.
func (d *Dentry) Type() FileType { return d.ftype }

// Inode returns the dentry's inode.
func (d *Dentry) Inode() Inode { return d.inode }

// IncRef takes a reference.
func (d *Dentry) IncRef() { d.refs.Add(1) }

// DecRef drops a reference.
func (d *Dentry) DecRef() { d.refs.Add(-1) }

// insertChildLocked caches c as the child name. Preconditions: d.mu held.
func (d *Dentry) insertChildLocked(name string, c *Dentry) {
	if d.children == nil {
		d.children = make(map[string]*Dentry)
	}
	d.children[name] = c
}

// pinInParent caches d in its parent if it is not: a dynamic directory
// (/proc) does not cache its children, but a mount point must stay the
// dentry that lookups find, or the mount on it could never be crossed.
func (d *Dentry) pinInParent() {
	d.mu.Lock()
	parent, name := d.parent, d.name
	d.mu.Unlock()
	if parent == nil {
		return
	}
	parent.mu.Lock()
	defer parent.mu.Unlock()
	if parent.children[name] == nil {
		parent.insertChildLocked(name, d)
	}
}

// Mount is one mounted file system tree; analogous to Linux's struct
// mount.
type Mount struct {
	vfs  *VFS
	root *Dentry

	// parent and point are where the mount is attached (nil for the root
	// mount). Immutable once mounted.
	parent *Mount
	point  *Dentry

	readOnly bool
	opts     MountOptions
	refs     atomic.Int64
}

// Options returns the options the mount was made with.
func (m *Mount) Options() MountOptions { return m.opts }

// Root returns the mount's root dentry.
func (m *Mount) Root() *Dentry { return m.root }

// ReadOnly says whether the mount refuses writes (EROFS).
func (m *Mount) ReadOnly() bool { return m.readOnly }

// SetReadOnly makes the mount refuse writes from now on: what runc's
// remount of the root with MS_RDONLY does for root.readonly, once the
// mount points below it have been made.
//
// Preconditions: nothing else uses the mount tree yet (boot, before the
// first task runs); the field is read without a lock.
func (m *Mount) SetReadOnly() {
	m.readOnly = true
	m.opts.ReadOnly = true
}

// VirtualDentry is a position in the mount tree: a dentry seen through one
// mount. It is a value; IncRef and DecRef count references to the pair.
type VirtualDentry struct {
	Mount  *Mount
	Dentry *Dentry
}

// Ok says whether vd refers to something.
func (vd VirtualDentry) Ok() bool { return vd.Mount != nil && vd.Dentry != nil }

// IncRef takes a reference on the mount and dentry.
func (vd VirtualDentry) IncRef() {
	if vd.Mount != nil {
		vd.Mount.refs.Add(1)
	}
	if vd.Dentry != nil {
		vd.Dentry.IncRef()
	}
}

// DecRef drops a reference taken with IncRef.
func (vd VirtualDentry) DecRef() {
	if vd.Mount != nil {
		vd.Mount.refs.Add(-1)
	}
	if vd.Dentry != nil {
		vd.Dentry.DecRef()
	}
}

// Inode returns the inode vd points at.
func (vd VirtualDentry) Inode() Inode { return vd.Dentry.inode }
