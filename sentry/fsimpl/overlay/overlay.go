// Package overlay merges a writable upper file system (a tmpfs) over a
// read-only lower one (any vfs.Inode tree, e.g. the gofer's): gVisor's
// --overlay2=root:memory. Writes never reach the lower layer: a lower file
// is copied up (data and metadata) when it is opened for writing or its
// attributes change; removed lower names are hidden by whiteouts kept in
// the overlay's memory, not on any disk; directories list the merged view;
// a directory made where a lower one was removed is opaque (nothing of
// the lower one shows through). Renaming a directory that has a lower part
// answers EXDEV (v1), which mv handles by copying.
//
// Locking: filesystem.mu serializes every change of the tree (create,
// remove, rename, copy-up, setattr); inode.mu guards an inode's layers,
// children cache, whiteouts and name. Lock order: filesystem.mu, then at
// most one inode.mu at a time. Calls into the layers are made with at most
// inode.mu held.
package overlay

import (
	"sort"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// Magic is OVERLAYFS_SUPER_MAGIC.
const Magic = 0x794c7630

var devCounter atomic.Uint64

type filesystem struct {
	dev     uint64
	nextIno atomic.Uint64

	// mu serializes changes of the tree.
	mu sync.Mutex
}

// inode is one overlay file: its upper and lower parts. It holds the
// file's advisory locks itself: they outlive a copy-up.
type inode struct {
	vfs.InodeLocks
	fs    *filesystem
	ino   uint64
	ftype vfs.FileType

	mu sync.Mutex
	// upper is the file in the upper layer, nil until copied up or
	// created. Once set it never changes.
	upper vfs.Inode
	// lower is the file in the lower layer; nil for files made in the
	// upper layer and for opaque directories.
	lower vfs.Inode
	// parent and name locate the file for copy-up (nil parent: root).
	parent *inode
	name   string
	// children caches looked-up children of a directory.
	children map[string]*inode
	// whiteouts are names of lower entries removed from a directory.
	whiteouts map[string]struct{}
}

var _ vfs.Inode = (*inode)(nil)

// New returns the root of an overlay of upper (a writable directory, e.g.
// tmpfs.New(0o755)) over lower (a directory).
func New(upper, lower vfs.Inode) vfs.Inode {
	fs := &filesystem{dev: 0x200 + devCounter.Add(1)}
	return &inode{fs: fs, ino: fs.nextIno.Add(1), ftype: vfs.TypeDirectory, upper: upper, lower: lower}
}

func (fs *filesystem) newInode(ftype vfs.FileType, upper, lower vfs.Inode, parent *inode, name string) *inode {
	return &inode{fs: fs, ino: fs.nextIno.Add(1), ftype: ftype, upper: upper, lower: lower, parent: parent, name: name}
}

// layers returns the inode's current layers.
func (i *inode) layers() (upper, lower vfs.Inode) {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.upper, i.lower
}

// top returns the upper part if there is one, else the lower one.
func (i *inode) top() vfs.Inode {
	u, l := i.layers()
	if u != nil {
		return u
	}
	return l
}

// FileType implements vfs.FileTyper.
func (i *inode) FileType() vfs.FileType { return i.ftype }

// Stat implements vfs.Inode.
func (i *inode) Stat(ctx vfs.Context) (vfs.Attr, error) {
	a, err := i.top().Stat(ctx)
	if err != nil {
		return a, err
	}
	a.Ino, a.Dev = i.ino, i.fs.dev
	return a, nil
}

// StatFS implements vfs.Inode.
func (i *inode) StatFS(ctx vfs.Context) (vfs.Statfs, error) {
	s, err := i.top().StatFS(ctx)
	s.Type = Magic
	return s, err
}

// Readlink implements vfs.Inode.
func (i *inode) Readlink(ctx vfs.Context) (string, error) {
	return i.top().Readlink(ctx)
}

// SetAttr implements vfs.Inode: the file is copied up first.
func (i *inode) SetAttr(ctx vfs.Context, sa vfs.SetAttr) error {
	i.fs.mu.Lock()
	defer i.fs.mu.Unlock()
	if sa.Mask&vfs.SetSize != 0 && sa.Size == 0 {
		// Truncation to zero needs no data copied.
		if err := i.copyUpLocked(ctx, false); err != nil {
			return err
		}
	} else if err := i.copyUpLocked(ctx, true); err != nil {
		return err
	}
	u, _ := i.layers()
	return u.SetAttr(ctx, sa)
}

// Open implements vfs.Inode: opening a lower regular file for writing or
// truncation copies it up.
func (i *inode) Open(ctx vfs.Context, flags uint32) (vfs.FileImpl, error) {
	if i.ftype == vfs.TypeDirectory {
		return vfs.DirectoryFile{}, nil
	}
	acc := flags & unix.O_ACCMODE
	writes := acc == unix.O_WRONLY || acc == unix.O_RDWR || flags&unix.O_TRUNC != 0
	if writes && i.ftype == vfs.TypeRegular {
		if u, _ := i.layers(); u == nil {
			i.fs.mu.Lock()
			err := i.copyUpLocked(ctx, flags&unix.O_TRUNC == 0)
			i.fs.mu.Unlock()
			if err != nil {
				return nil, err
			}
		}
	}
	return i.top().Open(ctx, flags)
}

// Lookup implements vfs.Inode.
func (i *inode) Lookup(ctx vfs.Context, name string) (vfs.Inode, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.lookupLocked(ctx, name, nil)
}

// lowerHint is the lower layer's answer for a name, when a walk ahead
// (LookupPath) already asked it.
type lowerHint struct {
	child vfs.Inode
	err   error
}

// lookupLocked finds child name; hint, if set, is the lower layer's
// answer. Preconditions: i.mu held.
func (i *inode) lookupLocked(ctx vfs.Context, name string, hint *lowerHint) (*inode, error) {
	if i.ftype != vfs.TypeDirectory {
		return nil, unix.ENOTDIR
	}
	if c := i.children[name]; c != nil {
		return c, nil
	}
	_, whited := i.whiteouts[name]
	var up, low vfs.Inode
	var ft vfs.FileType
	if i.upper != nil {
		c, err := i.upper.Lookup(ctx, name)
		switch {
		case err == nil:
			up = c
			if ft, err = vfs.TypeOf(ctx, c); err != nil {
				return nil, err
			}
		case err != unix.ENOENT:
			return nil, err
		}
	}
	if i.lower != nil && !whited && (up == nil || ft == vfs.TypeDirectory) {
		var c vfs.Inode
		var err error
		if hint != nil {
			c, err = hint.child, hint.err
		} else {
			c, err = i.lower.Lookup(ctx, name)
		}
		switch {
		case err == nil:
			lt, err := vfs.TypeOf(ctx, c)
			if err != nil {
				return nil, err
			}
			if up == nil {
				low, ft = c, lt
			} else if lt == vfs.TypeDirectory {
				low = c
			}
		case err != unix.ENOENT:
			return nil, err
		}
	}
	if up == nil && low == nil {
		return nil, unix.ENOENT
	}
	c := i.fs.newInode(ft, up, low, i, name)
	if i.children == nil {
		i.children = make(map[string]*inode)
	}
	i.children[name] = c
	return c, nil
}

// child looks up name for a tree change.
func (i *inode) child(ctx vfs.Context, name string) (*inode, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.lookupLocked(ctx, name, nil)
}

// Readdir implements vfs.Inode: the upper entries, then the lower ones
// that are neither shadowed nor whited out, sorted by name.
func (i *inode) Readdir(ctx vfs.Context) ([]vfs.Dirent, error) {
	if i.ftype != vfs.TypeDirectory {
		return nil, unix.ENOTDIR
	}
	up, low := i.layers()
	seen := make(map[string]struct{})
	var out []vfs.Dirent
	if up != nil {
		es, err := up.Readdir(ctx)
		if err != nil {
			return nil, err
		}
		for _, e := range es {
			seen[e.Name] = struct{}{}
			out = append(out, e)
		}
	}
	if low != nil {
		es, err := low.Readdir(ctx)
		if err != nil {
			return nil, err
		}
		i.mu.Lock()
		for _, e := range es {
			if _, ok := seen[e.Name]; ok {
				continue
			}
			if _, ok := i.whiteouts[e.Name]; ok {
				continue
			}
			out = append(out, e)
		}
		i.mu.Unlock()
	}
	i.mu.Lock()
	for k := range out {
		if c := i.children[out[k].Name]; c != nil {
			out[k].Ino = c.ino
		}
	}
	i.mu.Unlock()
	sort.Slice(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	return out, nil
}
