package gofer

import (
	"github.com/cocoon-sandbox/cocoon/fsgofer/proto"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
	"golang.org/x/sys/unix"
)

// This file is the attribute cache. With exclusive access (the default,
// gVisor's --file-access=exclusive) the sandbox is the only one changing
// the tree, so the attributes the gofer sent with a FID (in the Walk,
// Create, Mkdir, ... reply) stay right until the sentry itself changes the
// file, and Stat answers from memory. The sentry's own changes invalidate
// what they touch (the file, and the directory whose entries changed);
// writes through a donated host FD invalidate the file, and the next Stat
// reads the attributes back with fstat(2) on a writer's host FD (still no
// round trip), or, when no writer is open any more, asks the gofer once.
// Changes made on the host behind the sandbox's back are not seen: with
// shared access (--file-access=shared) nothing is cached and every Stat is
// a round trip.
//
// A non-directory with several hard links is not cached: a change through
// one name (a write, an unlink) would have to reach the Inodes of all the
// others, which may not be the names this file system saw. Its Stat asks
// the gofer each time; once it is down to one link it is cached again.

// cacheable says whether attributes a may be cached.
func (fs *filesystem) cacheable(a *proto.Attr) bool {
	return fs.exclusive && (a.Mode&unix.S_IFMT == unix.S_IFDIR || a.Nlink <= 1)
}

// setAttrCache caches a from a gofer reply made after generation gen was
// read (so that an invalidation while the reply was on its way wins).
func (i *Inode) setAttrCache(a *proto.Attr, gen uint64) {
	if !i.fs.cacheable(a) {
		return
	}
	i.attrMu.Lock()
	if gen == i.attrGen {
		i.attr, i.attrOK = *a, true
	}
	i.attrMu.Unlock()
}

// attrGeneration returns the count of invalidations so far, for changed.
func (i *Inode) attrGeneration() uint64 {
	i.attrMu.Lock()
	defer i.attrMu.Unlock()
	return i.attrGen
}

// changed caches a, what a change made through the gofer (SetAttr)
// answered, unless something else invalidated the cache since gen was read;
// either way what a Stat fetched while the change was under way is
// dropped.
func (i *Inode) changed(a *proto.Attr, gen uint64) {
	i.attrMu.Lock()
	i.attr, i.attrOK = *a, gen == i.attrGen && i.fs.cacheable(a)
	i.attrGen++
	i.attrMu.Unlock()
}

// invalidate drops the cached attributes: the file changed.
func (i *Inode) invalidate() {
	i.attrMu.Lock()
	i.attrOK = false
	i.attrGen++
	i.attrMu.Unlock()
}

// Stat implements vfs.Inode.Stat: from the cache, else from a writer's
// host FD, else one round trip.
func (i *Inode) Stat(ctx vfs.Context) (vfs.Attr, error) {
	i.attrMu.Lock()
	if i.attrOK {
		a := i.attr
		i.attrMu.Unlock()
		return toAttr(&a), nil
	}
	if i.fs.exclusive && len(i.writers) > 0 {
		// The FD stays open while attrMu is held (File.Release
		// unregisters under it before closing).
		a, err := fstatAttr(i.writers[0].fd)
		if err == nil {
			i.attr, i.attrOK = a, i.fs.cacheable(&a)
			i.attrMu.Unlock()
			return toAttr(&a), nil
		}
	}
	gen := i.attrGen
	i.attrMu.Unlock()
	a, err := i.fs.client.Stat(i.fid)
	if err != nil {
		return vfs.Attr{}, errno(err)
	}
	i.setAttrCache(&a, gen)
	return toAttr(&a), nil
}

// addWriter registers f, open for writing, as a source of fresh
// attributes.
func (i *Inode) addWriter(f *File) {
	i.attrMu.Lock()
	i.writers = append(i.writers, f)
	i.attrMu.Unlock()
}

// removeWriter unregisters f before its FD is closed. If f's writes left
// the cache stale, it is refreshed from f's FD first, so that a stat after
// close costs no round trip either.
func (i *Inode) removeWriter(f *File) {
	i.attrMu.Lock()
	defer i.attrMu.Unlock()
	for k, w := range i.writers {
		if w == f {
			i.writers = append(i.writers[:k], i.writers[k+1:]...)
			break
		}
	}
	if !i.attrOK && i.fs.exclusive {
		if a, err := fstatAttr(f.fd); err == nil {
			i.attr, i.attrOK = a, i.fs.cacheable(&a)
		}
	}
}

// fstatAttr returns the attributes of the host FD fd, as the gofer would
// report them (the same fstat of the same inode).
func fstatAttr(fd int) (proto.Attr, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return proto.Attr{}, err
	}
	return proto.Attr{
		Mode:    st.Mode,
		Ino:     st.Ino,
		Dev:     st.Dev,
		Nlink:   st.Nlink,
		UID:     st.Uid,
		GID:     st.Gid,
		Rdev:    st.Rdev,
		Size:    st.Size,
		Blksize: st.Blksize,
		Blocks:  st.Blocks,
		Atime:   proto.Timespec{Sec: st.Atim.Sec, Nsec: st.Atim.Nsec},
		Mtime:   proto.Timespec{Sec: st.Mtim.Sec, Nsec: st.Mtim.Nsec},
		Ctime:   proto.Timespec{Sec: st.Ctim.Sec, Nsec: st.Ctim.Nsec},
	}, nil
}
