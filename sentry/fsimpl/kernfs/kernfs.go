// Package kernfs helps build synthetic file systems such as /proc and /sys:
// directories with static children or children computed at lookup,
// files whose content a function produces when they are opened, and
// symlinks whose target a function computes. Functions receive the
// caller's vfs.Context (the kernel's *Task), so /proc/self can ask who is
// looking.
//
// Locking: each node's mu guards its attributes; a static Dir's children
// are immutable after construction (except through Add, under mu).
// Content functions are called without locks held.
package kernfs

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// Magic is what statfs reports (PROC_SUPER_MAGIC) unless SetFSMagic
// changes it.
const Magic = 0x9fa0

// Dev is the st_dev of every kernfs node.
const Dev = 0x16

var nextIno atomic.Uint64

// node holds what every kernfs inode has: attributes and the operations
// that do not apply to synthetic files.
type node struct {
	vfs.InodeLocks
	mu    sync.Mutex
	attr  vfs.Attr
	magic uint64
}

func newNode(mode uint32) node {
	t := time.Now()
	ts := vfs.Timespec{Sec: t.Unix(), Nsec: int64(t.Nanosecond())}
	return node{attr: vfs.Attr{Mode: mode, Ino: nextIno.Add(1), Dev: Dev, Nlink: 1, Blksize: 4096,
		Atime: ts, Mtime: ts, Ctime: ts}, magic: Magic}
}

// Stat implements vfs.Inode.
func (n *node) Stat(ctx vfs.Context) (vfs.Attr, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.attr, nil
}

// SetOwner sets the node's owner (e.g. a process's /proc/PID entries).
func (n *node) SetOwner(uid, gid uint32) {
	n.mu.Lock()
	n.attr.UID, n.attr.GID = uid, gid
	n.mu.Unlock()
}

// SetFSMagic sets the f_type that statfs reports (e.g. SYSFS_MAGIC).
func (n *node) SetFSMagic(magic uint64) {
	n.mu.Lock()
	n.magic = magic
	n.mu.Unlock()
}

// SetAttr implements vfs.Inode: synthetic files cannot be changed, except
// that truncating a writable file (O_TRUNC, ftruncate) is accepted.
func (n *node) SetAttr(ctx vfs.Context, sa vfs.SetAttr) error {
	if sa.Mask == vfs.SetSize && n.attr.Mode&0o222 != 0 {
		return nil
	}
	return unix.EPERM
}

// StatFS implements vfs.Inode.
func (n *node) StatFS(ctx vfs.Context) (vfs.Statfs, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return vfs.Statfs{Type: n.magic, Bsize: 4096, Frsize: 4096, NameLen: linux.NAME_MAX}, nil
}

func (n *node) Lookup(vfs.Context, string) (vfs.Inode, error) { return nil, unix.ENOTDIR }
func (n *node) Readdir(vfs.Context) ([]vfs.Dirent, error)     { return nil, unix.ENOTDIR }
func (n *node) Readlink(vfs.Context) (string, error)          { return "", unix.EINVAL }
func (n *node) Create(vfs.Context, string, uint32) (vfs.Inode, error) {
	return nil, unix.EACCES
}
func (n *node) Mkdir(vfs.Context, string, uint32) (vfs.Inode, error) { return nil, unix.EACCES }
func (n *node) Mknod(vfs.Context, string, uint32, uint64) (vfs.Inode, error) {
	return nil, unix.EACCES
}
func (n *node) Symlink(vfs.Context, string, string) (vfs.Inode, error) { return nil, unix.EACCES }
func (n *node) Link(vfs.Context, string, vfs.Inode) error              { return unix.EACCES }
func (n *node) Unlink(vfs.Context, string) error                       { return unix.EACCES }
func (n *node) Rmdir(vfs.Context, string) error                        { return unix.EACCES }
func (n *node) Rename(vfs.Context, string, vfs.Inode, string) error    { return unix.EACCES }

// Dir is a directory whose children are fixed (NewDir) or computed at
// each lookup (NewDynamicDir).
type Dir struct {
	node
	// children is the static set; guarded by mu.
	children map[string]vfs.Inode
	lookup   func(ctx vfs.Context, name string) (vfs.Inode, error)
	list     func(ctx vfs.Context) []vfs.Dirent
}

var _ vfs.Inode = (*Dir)(nil)

// NewDir returns a directory (mode 0555) holding entries.
func NewDir(entries map[string]vfs.Inode) *Dir {
	d := &Dir{node: newNode(uint32(vfs.TypeDirectory) | 0o555), children: make(map[string]vfs.Inode, len(entries))}
	for k, v := range entries {
		d.children[k] = v
	}
	d.attr.Nlink = 2
	return d
}

// NewDynamicDir returns a directory (mode 0555) whose children lookup
// finds (ENOENT when missing) and list enumerates, each time they are
// asked: the VFS does not cache them. list may omit Ino; Type is needed.
func NewDynamicDir(lookup func(ctx vfs.Context, name string) (vfs.Inode, error), list func(ctx vfs.Context) []vfs.Dirent) *Dir {
	d := &Dir{node: newNode(uint32(vfs.TypeDirectory) | 0o555), lookup: lookup, list: list}
	d.attr.Nlink = 2
	return d
}

// Add adds or replaces a static child.
func (d *Dir) Add(name string, child vfs.Inode) {
	d.mu.Lock()
	if d.children == nil {
		d.children = make(map[string]vfs.Inode)
	}
	d.children[name] = child
	d.mu.Unlock()
}

// DynamicChildren implements vfs.DynamicDir.
func (d *Dir) DynamicChildren() bool { return d.lookup != nil }

// Lookup implements vfs.Inode: static children first, then the lookup
// function.
func (d *Dir) Lookup(ctx vfs.Context, name string) (vfs.Inode, error) {
	d.mu.Lock()
	c, ok := d.children[name]
	d.mu.Unlock()
	if ok {
		return c, nil
	}
	if d.lookup != nil {
		return d.lookup(ctx, name)
	}
	return nil, unix.ENOENT
}

// Readdir implements vfs.Inode: static children sorted by name, then the
// list function's.
func (d *Dir) Readdir(ctx vfs.Context) ([]vfs.Dirent, error) {
	d.mu.Lock()
	out := make([]vfs.Dirent, 0, len(d.children))
	for name, c := range d.children {
		a, err := c.Stat(ctx)
		if err != nil {
			continue
		}
		out = append(out, vfs.Dirent{Name: name, Ino: a.Ino, Type: vfs.FileType(a.Mode) & vfs.TypeMask})
	}
	d.mu.Unlock()
	sort.Slice(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	if d.list != nil {
		for _, e := range d.list(ctx) {
			if e.Ino == 0 {
				e.Ino = 1
			}
			out = append(out, e)
		}
	}
	return out, nil
}

// Open implements vfs.Inode.
func (d *Dir) Open(ctx vfs.Context, flags uint32) (vfs.FileImpl, error) {
	return vfs.DirectoryFile{}, nil
}

// Symlink is a symlink whose target a function computes at each readlink.
type Symlink struct {
	node
	target func(ctx vfs.Context) string
}

var _ vfs.Inode = (*Symlink)(nil)

// NewSymlink returns a symlink whose target is target(ctx).
func NewSymlink(target func(ctx vfs.Context) string) *Symlink {
	return &Symlink{node: newNode(uint32(vfs.TypeSymlink) | 0o777), target: target}
}

// NewStaticSymlink returns a symlink to target.
func NewStaticSymlink(target string) *Symlink {
	return NewSymlink(func(vfs.Context) string { return target })
}

// Readlink implements vfs.Inode.
func (s *Symlink) Readlink(ctx vfs.Context) (string, error) { return s.target(ctx), nil }

// Open implements vfs.Inode.
func (s *Symlink) Open(vfs.Context, uint32) (vfs.FileImpl, error) { return nil, unix.ELOOP }

// MagicLink is a symlink like /proc/PID/fd/N that leads to an open file
// (vfs.MagicLink): readlink shows name(ctx), following it reaches file(ctx).
type MagicLink struct {
	node
	name func(ctx vfs.Context) string
	file func(ctx vfs.Context) (*vfs.FileDescription, error)
}

var _ vfs.MagicLink = (*MagicLink)(nil)

// NewMagicLink returns a magic link; file returns the target with a
// reference for the caller (EBADF/ENOENT when it is gone).
func NewMagicLink(name func(ctx vfs.Context) string, file func(ctx vfs.Context) (*vfs.FileDescription, error)) *MagicLink {
	return &MagicLink{node: newNode(uint32(vfs.TypeSymlink) | 0o777), name: name, file: file}
}

// Readlink implements vfs.Inode.
func (m *MagicLink) Readlink(ctx vfs.Context) (string, error) { return m.name(ctx), nil }

// Open implements vfs.Inode.
func (m *MagicLink) Open(vfs.Context, uint32) (vfs.FileImpl, error) { return nil, unix.ELOOP }

// MagicTarget implements vfs.MagicLink.
func (m *MagicLink) MagicTarget(ctx vfs.Context) (*vfs.FileDescription, error) { return m.file(ctx) }
