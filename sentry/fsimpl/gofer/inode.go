package gofer

import (
	"sync"
	"weak"

	"github.com/cocoon-sandbox/cocoon/fsgofer/client"
	"github.com/cocoon-sandbox/cocoon/fsgofer/proto"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
	"golang.org/x/sys/unix"
)

// Inode is a file on the gofer, named by a FID held for the Inode's
// lifetime. It implements vfs.Inode.
type Inode struct {
	vfs.InodeLocks
	fs  *filesystem
	fid proto.FID
	// ftype is the file type at walk time; a FID's file never changes type.
	ftype vfs.FileType

	mu sync.Mutex
	// children caches Lookup results by name (directories only); guarded
	// by mu. Entries whose Inode was collected read as nil and are misses.
	children map[string]weak.Pointer[Inode]

	// attrMu guards the attribute cache (attr.go). A leaf lock: held
	// across no round trip, only across fstat(2) of a writer's FD.
	attrMu sync.Mutex
	// attr are the cached attributes, valid while attrOK (never with
	// shared access).
	attr   proto.Attr
	attrOK bool
	// attrGen counts invalidations, so that a Stat reply that raced with
	// one is not cached.
	attrGen uint64
	// writers are the open Files of this Inode that may write; their
	// host FDs give fresh attributes without a round trip.
	writers []*File
}

var _ vfs.Inode = (*Inode)(nil)

func (i *Inode) isDir() bool { return i.ftype == vfs.TypeDirectory }

// FileType implements vfs.FileTyper: the type the gofer reported when the
// FID was made, so that the VFS needs no Stat for it.
func (i *Inode) FileType() vfs.FileType { return i.ftype }

// ReadOnly reports whether the gofer serves this tree read-only (every
// mutation answers EROFS), for mount flags.
func (i *Inode) ReadOnly() bool { return i.fs.readOnly }

// RoundTrips returns the round trips made so far on this Inode's gofer
// connection (the whole file system's, not only this Inode's).
func (i *Inode) RoundTrips() client.Counts { return i.fs.client.RoundTrips() }

// cached returns the live cached child name, or nil.
func (i *Inode) cached(name string) *Inode {
	i.mu.Lock()
	defer i.mu.Unlock()
	wp, ok := i.children[name]
	if !ok {
		return nil
	}
	c := wp.Value()
	if c == nil {
		delete(i.children, name)
	}
	return c
}

// cache records child as name and returns the Inode to use: an already
// cached live one wins (then child's FID is left to its cleanup).
func (i *Inode) cache(name string, child *Inode) *Inode {
	i.mu.Lock()
	defer i.mu.Unlock()
	if wp, ok := i.children[name]; ok {
		if c := wp.Value(); c != nil {
			return c
		}
	}
	if i.children == nil {
		i.children = make(map[string]weak.Pointer[Inode])
	}
	i.children[name] = weak.Make(child)
	return child
}

// forget drops name from the cache and returns what was cached.
func (i *Inode) forget(name string) *Inode {
	i.mu.Lock()
	defer i.mu.Unlock()
	wp, ok := i.children[name]
	if !ok {
		return nil
	}
	delete(i.children, name)
	return wp.Value()
}

// replace caches child as name, replacing any previous entry.
func (i *Inode) replace(name string, child *Inode) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.children == nil {
		i.children = make(map[string]weak.Pointer[Inode])
	}
	i.children[name] = weak.Make(child)
}

// SetAttr implements vfs.Inode.SetAttr.
func (i *Inode) SetAttr(ctx vfs.Context, a vfs.SetAttr) error {
	sa := proto.SetAttr{
		Mode:  a.Mode,
		UID:   a.UID,
		GID:   a.GID,
		Size:  a.Size,
		Atime: proto.Timespec(a.Atime),
		Mtime: proto.Timespec(a.Mtime),
	}
	for _, m := range []struct {
		v vfs.SetAttrMask
		p uint32
	}{
		{vfs.SetMode, proto.SetAttrMode},
		{vfs.SetUID, proto.SetAttrUID},
		{vfs.SetGID, proto.SetAttrGID},
		{vfs.SetSize, proto.SetAttrSize},
		{vfs.SetAtime, proto.SetAttrAtime},
		{vfs.SetMtime, proto.SetAttrMtime},
	} {
		if a.Mask&m.v != 0 {
			sa.Mask |= m.p
		}
	}
	if a.Mask&^(vfs.SetMode|vfs.SetUID|vfs.SetGID|vfs.SetSize|vfs.SetAtime|vfs.SetMtime) != 0 {
		return unix.EINVAL
	}
	if sa.Mask == 0 {
		return nil
	}
	gen := i.attrGeneration()
	attr, err := i.fs.client.SetAttr(i.fid, sa)
	if err != nil {
		i.invalidate() // a failure may have applied a part
		return errno(err)
	}
	i.changed(&attr, gen)
	return nil
}

// StatFS implements vfs.Inode.StatFS.
func (i *Inode) StatFS(ctx vfs.Context) (vfs.Statfs, error) {
	s, err := i.fs.client.Statfs(i.fid)
	if err != nil {
		return vfs.Statfs{}, errno(err)
	}
	return vfs.Statfs(s), nil
}

// Lookup implements vfs.Inode.Lookup: from the cache, else one Walk.
func (i *Inode) Lookup(ctx vfs.Context, name string) (vfs.Inode, error) {
	if !i.isDir() {
		return nil, unix.ENOTDIR
	}
	if c := i.cached(name); c != nil {
		return c, nil
	}
	res, err := i.fs.client.Walk(i.fid, []string{name})
	if err != nil {
		return nil, errno(err)
	}
	return i.cache(name, i.fs.newInode(res[0].FID, res[0].Attr)), nil
}

// LookupPath implements vfs.PathWalker: the cached prefix of names from
// the child caches, the rest in one Walk (at most proto.MaxWalkNames
// names), which brings each component's attributes too.
func (i *Inode) LookupPath(ctx vfs.Context, names []string) ([]vfs.Inode, error) {
	if !i.isDir() {
		return nil, unix.ENOTDIR
	}
	out := make([]vfs.Inode, 0, len(names))
	cur := i
	for len(out) < len(names) {
		c := cur.cached(names[len(out)])
		if c == nil {
			break
		}
		out = append(out, c)
		if !c.isDir() {
			return out, nil
		}
		cur = c
	}
	rest := names[len(out):]
	if len(rest) == 0 {
		return out, nil
	}
	rest = rest[:min(len(rest), proto.MaxWalkNames)]
	res, err := i.fs.client.Walk(cur.fid, rest)
	// Every FID gets its Inode, so that one not kept is closed.
	walked := make([]*Inode, len(res))
	for k := range res {
		walked[k] = i.fs.newInode(res[k].FID, res[k].Attr)
	}
	for k, child := range walked {
		got := cur.cache(rest[k], child)
		out = append(out, got)
		if got != child || !got.isDir() {
			// Someone cached this name meanwhile (the caller goes
			// on from theirs), or the walk ended at a non-directory
			// (walking through it is ENOTDIR: the VFS decides).
			return out, nil
		}
		cur = got
	}
	if err != nil {
		// Looking up rest[len(res)] in cur failed.
		if len(out) == 0 {
			return nil, errno(err)
		}
		return out, errno(err)
	}
	return out, nil
}

// Readdir implements vfs.Inode.Readdir: Getdents pages until the end.
func (i *Inode) Readdir(ctx vfs.Context) ([]vfs.Dirent, error) {
	if !i.isDir() {
		return nil, unix.ENOTDIR
	}
	var out []vfs.Dirent
	var cookie uint64
	for {
		ents, err := i.fs.client.Getdents(i.fid, cookie)
		if err != nil {
			return nil, errno(err)
		}
		if len(ents) == 0 {
			return out, nil
		}
		for _, e := range ents {
			out = append(out, vfs.Dirent{
				Name: e.Name,
				Ino:  e.Ino,
				Type: vfs.FileType(uint32(e.Type)<<12) & vfs.TypeMask, // DT_x << 12 == S_IFx
			})
		}
		cookie = ents[len(ents)-1].Off
		if cookie == 0 {
			return nil, unix.EIO // a gofer that would loop forever
		}
	}
}

// Readlink implements vfs.Inode.Readlink.
func (i *Inode) Readlink(ctx vfs.Context) (string, error) {
	if i.ftype != vfs.TypeSymlink {
		return "", unix.EINVAL
	}
	t, err := i.fs.client.Readlink(i.fid)
	return t, errno(err)
}

// Open implements vfs.Inode.Open. Regular files get a donated host FD;
// directories a vfs.DirectoryFile (their listing goes through Readdir);
// symlinks answer ELOOP and other types ENXIO.
func (i *Inode) Open(ctx vfs.Context, flags uint32) (vfs.FileImpl, error) {
	acc := flags & unix.O_ACCMODE
	switch i.ftype {
	case vfs.TypeRegular:
	case vfs.TypeDirectory:
		if acc != unix.O_RDONLY || flags&unix.O_TRUNC != 0 {
			return nil, unix.EISDIR
		}
		return vfs.DirectoryFile{}, nil
	case vfs.TypeSymlink:
		return nil, unix.ELOOP
	default:
		return nil, unix.ENXIO
	}
	if acc == unix.O_ACCMODE {
		return nil, unix.EINVAL
	}
	fd, err := i.fs.client.Open(i.fid, flags&fileFlags)
	if flags&unix.O_TRUNC != 0 {
		i.invalidate()
	}
	if err != nil {
		return nil, errno(err)
	}
	return newFile(fd, i, acc != unix.O_RDONLY)
}

// fileFlags are the open(2) flags passed on to the gofer.
const fileFlags = unix.O_ACCMODE | unix.O_TRUNC | unix.O_APPEND | unix.O_NONBLOCK | unix.O_SYNC | unix.O_DSYNC

// Create implements vfs.Inode.Create. (The protocol's Create also opens
// the file; CreateOpen keeps that FD for a one-round-trip open(O_CREAT).)
func (i *Inode) Create(ctx vfs.Context, name string, mode uint32) (vfs.Inode, error) {
	ino, f, err := i.CreateOpen(ctx, name, mode, unix.O_RDONLY)
	if err != nil {
		return nil, err
	}
	f.Release()
	return ino, nil
}

// CreateOpen makes the regular file name (which must not exist) and opens
// it with the open(2) flags in one round trip.
func (i *Inode) CreateOpen(ctx vfs.Context, name string, mode, flags uint32) (*Inode, *File, error) {
	if !i.isDir() {
		return nil, nil, unix.ENOTDIR
	}
	fid, attr, fd, err := i.fs.client.Create(i.fid, name, flags&(unix.O_ACCMODE|unix.O_APPEND|unix.O_SYNC|unix.O_DSYNC), mode&0o7777, ctx.UID(), ctx.GID())
	if err != nil {
		return nil, nil, errno(err)
	}
	i.invalidate()
	child := i.fs.newInode(fid, attr)
	f, err := newFile(fd, child, flags&unix.O_ACCMODE != unix.O_RDONLY)
	if err != nil {
		return nil, nil, err
	}
	i.replace(name, child)
	return child, f, nil
}

// Mkdir implements vfs.Inode.Mkdir.
func (i *Inode) Mkdir(ctx vfs.Context, name string, mode uint32) (vfs.Inode, error) {
	if !i.isDir() {
		return nil, unix.ENOTDIR
	}
	fid, attr, err := i.fs.client.Mkdir(i.fid, name, mode&0o7777, ctx.UID(), ctx.GID())
	return i.made(name, fid, attr, err)
}

// Mknod implements vfs.Inode.Mknod for FIFOs and sockets; device nodes
// answer EPERM (the sentry's /dev provides devices).
func (i *Inode) Mknod(ctx vfs.Context, name string, mode uint32, rdev uint64) (vfs.Inode, error) {
	if !i.isDir() {
		return nil, unix.ENOTDIR
	}
	switch vfs.FileType(mode) & vfs.TypeMask {
	case vfs.TypeFIFO, vfs.TypeSocket:
	case vfs.TypeCharDev, vfs.TypeBlockDev:
		return nil, unix.EPERM
	default:
		return nil, unix.EINVAL
	}
	fid, attr, err := i.fs.client.Mknod(i.fid, name, mode&(unix.S_IFMT|0o7777), 0, ctx.UID(), ctx.GID())
	return i.made(name, fid, attr, err)
}

// Symlink implements vfs.Inode.Symlink.
func (i *Inode) Symlink(ctx vfs.Context, name, target string) (vfs.Inode, error) {
	if !i.isDir() {
		return nil, unix.ENOTDIR
	}
	fid, attr, err := i.fs.client.Symlink(i.fid, name, target, ctx.UID(), ctx.GID())
	return i.made(name, fid, attr, err)
}

func (i *Inode) made(name string, fid proto.FID, attr proto.Attr, err error) (vfs.Inode, error) {
	if err != nil {
		return nil, errno(err)
	}
	i.invalidate()
	child := i.fs.newInode(fid, attr)
	i.replace(name, child)
	return child, nil
}

// Link implements vfs.Inode.Link.
func (i *Inode) Link(ctx vfs.Context, name string, target vfs.Inode) error {
	t, ok := target.(*Inode)
	if !ok || t.fs != i.fs {
		return unix.EXDEV
	}
	if !i.isDir() {
		return unix.ENOTDIR
	}
	if t.isDir() {
		return unix.EPERM
	}
	if err := i.fs.client.Link(i.fid, name, t.fid); err != nil {
		return errno(err)
	}
	i.invalidate()
	t.invalidate() // nlink, ctime
	return nil
}

// Unlink implements vfs.Inode.Unlink.
func (i *Inode) Unlink(ctx vfs.Context, name string) error {
	return i.remove(name, 0)
}

// Rmdir implements vfs.Inode.Rmdir.
func (i *Inode) Rmdir(ctx vfs.Context, name string) error {
	return i.remove(name, proto.UnlinkRemoveDir)
}

func (i *Inode) remove(name string, flags uint32) error {
	if !i.isDir() {
		return unix.ENOTDIR
	}
	if err := i.fs.client.Unlink(i.fid, name, flags); err != nil {
		return errno(err)
	}
	i.invalidate()
	if c := i.forget(name); c != nil {
		c.invalidate() // nlink, ctime
	}
	return nil
}

// Rename implements vfs.Inode.Rename. The gofer keeps FIDs of the moved
// file valid, so its cached Inode moves with it.
func (i *Inode) Rename(ctx vfs.Context, oldName string, newDir vfs.Inode, newName string) error {
	nd, ok := newDir.(*Inode)
	if !ok || nd.fs != i.fs {
		return unix.EXDEV
	}
	if !i.isDir() || !nd.isDir() {
		return unix.ENOTDIR
	}
	if err := i.fs.client.Rename(i.fid, oldName, nd.fid, newName); err != nil {
		return errno(err)
	}
	i.invalidate()
	nd.invalidate()
	moved := i.forget(oldName)
	if replaced := nd.forget(newName); replaced != nil {
		replaced.invalidate()
	}
	if moved != nil {
		moved.invalidate() // ctime
		nd.replace(newName, moved)
	}
	return nil
}
