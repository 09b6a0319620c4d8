// Package tmpfs is an in-memory file system: directories, regular files
// whose data is a Go byte slice (and, for pages mapped shared, memory-file
// frames: pagecache.go), symlinks, and FIFO, socket and device
// nodes (FIFOs are opened by the kernel's pipes through
// vfs.SetFIFOOpener). It is the upper layer of the root overlay and what
// /tmp, /dev/shm and /dev/pts are made of.
//
// Locking: each inode's mu guards its attributes, data and children. Lock
// order: filesystem.renameMu, then a directory's mu (the source directory
// before the destination one), then a child's mu. Data accounting is
// atomic.
package tmpfs

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/sentry/pgalloc"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// Magic is TMPFS_MAGIC, what statfs reports.
const Magic = 0x01021994

// DefaultMaxBytes is the default limit of file data in one file system
// (ENOSPC beyond): the sentry's memory is the backing store.
const DefaultMaxBytes = 4 << 30

// devCounter numbers file system instances, for st_dev.
var devCounter atomic.Uint64

// filesystem is one tmpfs instance.
type filesystem struct {
	dev      uint64
	nextIno  atomic.Uint64
	used     atomic.Int64
	maxBytes int64

	// renameMu serializes renames, which lock two directories.
	renameMu sync.Mutex
}

// Options configure a new tmpfs.
type Options struct {
	// Mode is the permission bits of the root directory (e.g. 0o1777
	// for /tmp).
	Mode uint32
	UID  uint32
	GID  uint32
	// MaxBytes limits file data (DefaultMaxBytes if zero).
	MaxBytes int64
}

// New returns the root directory of a new, empty tmpfs with permissions
// mode, owned by root.
func New(mode uint32) vfs.Inode {
	return NewWithOptions(Options{Mode: mode})
}

// NewWithOptions returns the root directory of a new, empty tmpfs.
func NewWithOptions(o Options) vfs.Inode {
	fs := &filesystem{dev: 0x100 + devCounter.Add(1), maxBytes: o.MaxBytes}
	if fs.maxBytes == 0 {
		fs.maxBytes = DefaultMaxBytes
	}
	root := fs.newInode(uint32(vfs.TypeDirectory)|o.Mode&0o7777, o.UID, o.GID)
	root.attr.Nlink = 2
	root.children = make(map[string]*inode)
	return root
}

// inode is one tmpfs file.
type inode struct {
	vfs.InodeLocks
	fs *filesystem

	mu sync.RWMutex
	// attr's Size is kept up to date for regular files and symlinks.
	attr vfs.Attr
	// data is a regular file's content, except for the pages in cache.
	data []byte
	// cache holds the frames of the pages that shared mappings map,
	// by page index, all from cacheMF (pagecache.go).
	cache   map[int64]*pgalloc.Frame
	cacheMF *pgalloc.MemoryFile
	// opens counts the regular file's open files.
	opens int
	// mappers are the address spaces that map cache frames (every
	// SharedFrames caller since the cache was last empty).
	mappers map[pgalloc.FrameMapper]struct{}
	// target is a symlink's target.
	target string
	// children are a directory's entries.
	children map[string]*inode
	// linkable says an unnamed file made by MakeTmpfile may still be
	// given a name by Link (Linux's I_LINKABLE).
	linkable bool
}

var _ vfs.Inode = (*inode)(nil)

func now() vfs.Timespec {
	t := time.Now()
	return vfs.Timespec{Sec: t.Unix(), Nsec: int64(t.Nanosecond())}
}

func (fs *filesystem) newInode(mode, uid, gid uint32) *inode {
	t := now()
	return &inode{fs: fs, attr: vfs.Attr{
		Mode: mode, Ino: fs.nextIno.Add(1), Dev: fs.dev, Nlink: 1,
		UID: uid, GID: gid, Blksize: 4096, Atime: t, Mtime: t, Ctime: t,
	}}
}

func (i *inode) ftype() vfs.FileType { return vfs.FileType(i.attr.Mode) & vfs.TypeMask }

// Stat implements vfs.Inode.
func (i *inode) Stat(ctx vfs.Context) (vfs.Attr, error) {
	i.mu.RLock()
	defer i.mu.RUnlock()
	a := i.attr
	a.Blocks = (a.Size + 511) / 512
	return a, nil
}

// SetAttr implements vfs.Inode.
func (i *inode) SetAttr(ctx vfs.Context, sa vfs.SetAttr) error {
	i.mu.Lock()
	err := i.setAttrLocked(sa)
	i.mu.Unlock()
	if err == nil && sa.Mask&vfs.SetSize != 0 {
		i.invalidateMappers(sa.Size)
	}
	return err
}

// setAttrLocked implements SetAttr. Preconditions: i.mu held.
func (i *inode) setAttrLocked(sa vfs.SetAttr) error {
	if sa.Mask&vfs.SetSize != 0 {
		if i.ftype() != vfs.TypeRegular {
			return unix.EINVAL
		}
		if err := i.truncateLocked(sa.Size); err != nil {
			return err
		}
	}
	t := now()
	if sa.Mask&vfs.SetMode != 0 {
		i.attr.Mode = i.attr.Mode&uint32(vfs.TypeMask) | sa.Mode&0o7777
	}
	if sa.Mask&vfs.SetUID != 0 {
		i.attr.UID = sa.UID
	}
	if sa.Mask&vfs.SetGID != 0 {
		i.attr.GID = sa.GID
	}
	if sa.Mask&vfs.SetAtime != 0 {
		i.attr.Atime = sa.Atime
	}
	if sa.Mask&vfs.SetMtime != 0 {
		i.attr.Mtime = sa.Mtime
	}
	i.attr.Ctime = t
	return nil
}

// truncateLocked sets a regular file's size. Preconditions: i.mu held.
func (i *inode) truncateLocked(size int64) error {
	old := int64(len(i.data))
	if size > old {
		if !i.fs.reserve(size - old) {
			return unix.ENOSPC
		}
		i.data = append(i.data, make([]byte, size-old)...)
	} else {
		i.fs.used.Add(size - old)
		clear(i.data[size:])
		i.data = i.data[:size]
	}
	i.attr.Size = size
	i.resizeCacheLocked(old, size)
	t := now()
	i.attr.Mtime, i.attr.Ctime = t, t
	return nil
}

// reserve accounts n more bytes of data, or says there is no room.
func (fs *filesystem) reserve(n int64) bool {
	if fs.used.Add(n) > fs.maxBytes {
		fs.used.Add(-n)
		return false
	}
	return true
}

// StatFS implements vfs.Inode.
func (i *inode) StatFS(ctx vfs.Context) (vfs.Statfs, error) {
	const bsize = 4096
	total := uint64(i.fs.maxBytes / bsize)
	used := uint64(i.fs.used.Load()+bsize-1) / bsize
	free := uint64(0)
	if used < total {
		free = total - used
	}
	return vfs.Statfs{Type: Magic, Bsize: bsize, Frsize: bsize, Blocks: total, Bfree: free, Bavail: free,
		Files: 1 << 20, Ffree: 1<<20 - i.fs.nextIno.Load()%(1<<20), NameLen: linux.NAME_MAX}, nil
}

// Lookup implements vfs.Inode.
func (i *inode) Lookup(ctx vfs.Context, name string) (vfs.Inode, error) {
	i.mu.RLock()
	defer i.mu.RUnlock()
	if i.children == nil {
		return nil, unix.ENOTDIR
	}
	c, ok := i.children[name]
	if !ok {
		return nil, unix.ENOENT
	}
	return c, nil
}

// Readdir implements vfs.Inode; entries are sorted by name.
func (i *inode) Readdir(ctx vfs.Context) ([]vfs.Dirent, error) {
	i.mu.RLock()
	defer i.mu.RUnlock()
	if i.children == nil {
		return nil, unix.ENOTDIR
	}
	out := make([]vfs.Dirent, 0, len(i.children))
	for name, c := range i.children {
		// The child's type and ino never change: no lock needed.
		out = append(out, vfs.Dirent{Name: name, Ino: c.attr.Ino, Type: c.ftype()})
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	return out, nil
}

// Readlink implements vfs.Inode.
func (i *inode) Readlink(ctx vfs.Context) (string, error) {
	if i.ftype() != vfs.TypeSymlink {
		return "", unix.EINVAL
	}
	i.mu.RLock()
	defer i.mu.RUnlock()
	return i.target, nil
}

// Open implements vfs.Inode.
func (i *inode) Open(ctx vfs.Context, flags uint32) (vfs.FileImpl, error) {
	switch i.ftype() {
	case vfs.TypeRegular:
		if flags&unix.O_TRUNC != 0 && flags&unix.O_ACCMODE != unix.O_RDONLY {
			i.mu.Lock()
			err := i.truncateLocked(0)
			i.mu.Unlock()
			if err != nil {
				return nil, err
			}
			i.invalidateMappers(0)
		}
		i.mu.Lock()
		i.opens++
		i.mu.Unlock()
		return &regularFile{inode: i}, nil
	case vfs.TypeDirectory:
		return vfs.DirectoryFile{}, nil
	case vfs.TypeSymlink:
		return nil, unix.ELOOP
	default:
		return nil, unix.ENXIO
	}
}

// addChild makes a new child of directory i. The name was checked by the
// VFS.
func (i *inode) addChild(ctx vfs.Context, name string, mode uint32, setup func(c *inode)) (*inode, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.children == nil {
		return nil, unix.ENOTDIR
	}
	if i.attr.Nlink == 0 {
		return nil, unix.ENOENT
	}
	if _, ok := i.children[name]; ok {
		return nil, unix.EEXIST
	}
	gid := ctx.GID()
	if i.attr.Mode&unix.S_ISGID != 0 {
		gid = i.attr.GID
	}
	c := i.fs.newInode(mode, ctx.UID(), gid)
	if setup != nil {
		setup(c)
	}
	i.children[name] = c
	t := now()
	i.attr.Mtime, i.attr.Ctime = t, t
	return c, nil
}

// MakeTmpfile implements vfs.TmpfileMaker: the file is like one Create
// makes, but with no name.
func (i *inode) MakeTmpfile(ctx vfs.Context, mode uint32, linkable bool) (vfs.Inode, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.children == nil {
		return nil, unix.ENOTDIR
	}
	if i.attr.Nlink == 0 {
		return nil, unix.ENOENT
	}
	gid := ctx.GID()
	if i.attr.Mode&unix.S_ISGID != 0 {
		gid = i.attr.GID
	}
	c := i.fs.newInode(uint32(vfs.TypeRegular)|mode&0o7777, ctx.UID(), gid)
	c.attr.Nlink = 0
	c.linkable = linkable
	return c, nil
}

// Create implements vfs.Inode.
func (i *inode) Create(ctx vfs.Context, name string, mode uint32) (vfs.Inode, error) {
	return i.addChild(ctx, name, uint32(vfs.TypeRegular)|mode&0o7777, nil)
}

// Mkdir implements vfs.Inode.
func (i *inode) Mkdir(ctx vfs.Context, name string, mode uint32) (vfs.Inode, error) {
	mode = uint32(vfs.TypeDirectory) | mode&0o7777
	c, err := i.addChild(ctx, name, mode, func(c *inode) {
		c.attr.Nlink = 2
		c.children = make(map[string]*inode)
		if i.attr.Mode&unix.S_ISGID != 0 {
			c.attr.Mode |= unix.S_ISGID
		}
	})
	if err != nil {
		return nil, err
	}
	i.mu.Lock()
	i.attr.Nlink++
	i.mu.Unlock()
	return c, nil
}

// Mknod implements vfs.Inode.
func (i *inode) Mknod(ctx vfs.Context, name string, mode uint32, rdev uint64) (vfs.Inode, error) {
	switch vfs.FileType(mode) & vfs.TypeMask {
	case vfs.TypeFIFO, vfs.TypeSocket, vfs.TypeCharDev, vfs.TypeBlockDev:
	case vfs.TypeRegular, 0:
		return i.Create(ctx, name, mode)
	default:
		return nil, unix.EINVAL
	}
	return i.addChild(ctx, name, mode&(uint32(vfs.TypeMask)|0o7777), func(c *inode) { c.attr.Rdev = rdev })
}

// Symlink implements vfs.Inode.
func (i *inode) Symlink(ctx vfs.Context, name, target string) (vfs.Inode, error) {
	return i.addChild(ctx, name, uint32(vfs.TypeSymlink)|0o777, func(c *inode) {
		c.target = target
		c.attr.Size = int64(len(target))
	})
}

// Link implements vfs.Inode.
func (i *inode) Link(ctx vfs.Context, name string, target vfs.Inode) error {
	t, ok := target.(*inode)
	if !ok || t.fs != i.fs {
		return unix.EXDEV
	}
	if t.ftype() == vfs.TypeDirectory {
		return unix.EPERM
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.children == nil {
		return unix.ENOTDIR
	}
	if _, ok := i.children[name]; ok {
		return unix.EEXIST
	}
	t.mu.Lock()
	if t.attr.Nlink == 0 && !t.linkable {
		t.mu.Unlock()
		return unix.ENOENT
	}
	t.linkable = false
	t.attr.Nlink++
	t.attr.Ctime = now()
	t.mu.Unlock()
	i.children[name] = t
	return nil
}

// Unlink implements vfs.Inode.
func (i *inode) Unlink(ctx vfs.Context, name string) error {
	return i.remove(name, false)
}

// Rmdir implements vfs.Inode.
func (i *inode) Rmdir(ctx vfs.Context, name string) error {
	return i.remove(name, true)
}

func (i *inode) remove(name string, dir bool) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.children == nil {
		return unix.ENOTDIR
	}
	c, ok := i.children[name]
	if !ok {
		return unix.ENOENT
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	isDir := c.ftype() == vfs.TypeDirectory
	switch {
	case dir && !isDir:
		return unix.ENOTDIR
	case !dir && isDir:
		return unix.EISDIR
	case isDir && len(c.children) != 0:
		return unix.ENOTEMPTY
	}
	delete(i.children, name)
	c.dropLinkLocked()
	if isDir {
		i.attr.Nlink--
	}
	t := now()
	i.attr.Mtime, i.attr.Ctime = t, t
	return nil
}

// dropLinkLocked accounts for one fewer name of c. Preconditions: c.mu
// held. The data of an unlinked file stays while it is open (the open
// file holds the inode), and is counted until the inode is collected.
func (c *inode) dropLinkLocked() {
	if c.ftype() == vfs.TypeDirectory {
		c.attr.Nlink = 0
	} else if c.attr.Nlink > 0 {
		c.attr.Nlink--
	}
	c.attr.Ctime = now()
}

// Rename implements vfs.Inode.
func (i *inode) Rename(ctx vfs.Context, oldName string, newDir vfs.Inode, newName string) error {
	nd, ok := newDir.(*inode)
	if !ok || nd.fs != i.fs {
		return unix.EXDEV
	}
	i.fs.renameMu.Lock()
	defer i.fs.renameMu.Unlock()
	i.mu.Lock()
	defer i.mu.Unlock()
	if nd != i {
		nd.mu.Lock()
		defer nd.mu.Unlock()
	}
	if i.children == nil || nd.children == nil {
		return unix.ENOTDIR
	}
	c, ok := i.children[oldName]
	if !ok {
		return unix.ENOENT
	}
	cDir := c.ftype() == vfs.TypeDirectory
	if v, ok := nd.children[newName]; ok {
		if v == c {
			return nil
		}
		v.mu.Lock()
		vDir := v.ftype() == vfs.TypeDirectory
		switch {
		case cDir && !vDir:
			v.mu.Unlock()
			return unix.ENOTDIR
		case !cDir && vDir:
			v.mu.Unlock()
			return unix.EISDIR
		case vDir && len(v.children) != 0:
			v.mu.Unlock()
			return unix.ENOTEMPTY
		}
		v.dropLinkLocked()
		v.mu.Unlock()
		if vDir {
			nd.attr.Nlink--
		}
	}
	delete(i.children, oldName)
	nd.children[newName] = c
	if cDir && nd != i {
		i.attr.Nlink--
		nd.attr.Nlink++
	}
	t := now()
	i.attr.Mtime, i.attr.Ctime = t, t
	nd.attr.Mtime, nd.attr.Ctime = t, t
	return nil
}
