package vfs

import (
	"github.com/cocoon-sandbox/cocoon/abi/linux"

	"strings"

	"golang.org/x/sys/unix"
)

// PathWalker is implemented by directory inodes whose file system can look
// up several path components in one go, such as the gofer's (one Walk
// message for the rest of a path). The VFS uses it when a resolution
// misses the dentry cache, for the missing component and the plain ones
// after it; permission checks, symlinks and mounts are then handled from
// the dentry cache as usual.
type PathWalker interface {
	// LookupPath looks up names[0] in the directory, names[1] in what
	// that returned, and so on, and returns the inodes reached in order.
	// It stops after a non-directory (a symlink is returned, not
	// followed) and may stop earlier (a limit of its own) with a nil
	// error; if it stopped because looking up names[len(inodes)] in the
	// last directory failed, err is that failure (ENOENT, ...). No inode
	// and a nil error is not allowed: a failure of names[0] is its error.
	LookupPath(ctx Context, names []string) ([]Inode, error)
}

// LookupPath is PathWalker.LookupPath of dir if it has one, else one
// Lookup per name with the same contract: for a file system stacked on
// another (the overlay) to pass a multi-component walk down.
func LookupPath(ctx Context, dir Inode, names []string) ([]Inode, error) {
	if pw, ok := dir.(PathWalker); ok {
		return pw.LookupPath(ctx, names)
	}
	var out []Inode
	cur := dir
	for _, name := range names {
		c, err := cur.Lookup(ctx, name)
		if err != nil {
			return out, err
		}
		out = append(out, c)
		if ft, err := TypeOf(ctx, c); err != nil || ft != TypeDirectory {
			return out, nil
		}
		cur = c
	}
	return out, nil
}

// maxLookupAhead bounds the components looked up ahead of the one a
// resolution missed; a longer path misses again further on.
const maxLookupAhead = 31

// pathAhead appends to out the plain components of rest (the path after
// the component being looked up) that the resolution would look up next:
// it stops before ".", ".." or an over-long name, and leaves out the
// path's last component when parentOnly (walkParent never looks it up).
func pathAhead(rest string, parentOnly bool, out []string) []string {
	for len(out) < cap(out) {
		rest = strings.TrimLeft(rest, "/")
		if rest == "" {
			if parentOnly && len(out) > 0 {
				out = out[:len(out)-1]
			}
			return out
		}
		comp := rest
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			comp, rest = rest[:i], rest[i:]
		} else {
			rest = ""
		}
		if comp == "." || comp == ".." || len(comp) > linux.NAME_MAX {
			return out
		}
		out = append(out, comp)
	}
	if parentOnly && strings.TrimLeft(rest, "/") == "" && len(out) > 0 {
		out = out[:len(out)-1]
	}
	return out
}

// missedLookup is a lookup that a walk ahead already made and that
// failed: name in dir gave err. The resolution uses it when it gets
// there, instead of asking the file system again.
type missedLookup struct {
	dir  *Dentry
	name string
	err  error
}

// lookupAhead is lookupDentry that, on a cache miss in a PathWalker
// directory, also walks ahead (the components after name) in the same call
// and caches every dentry reached. A failure further on is returned as
// miss.
func (v *VFS) lookupAhead(ctx Context, dir *Dentry, name string, ahead []string) (*Dentry, missedLookup, error) {
	dir.mu.Lock()
	defer dir.mu.Unlock()
	pw, ok := dir.inode.(PathWalker)
	if !ok || len(ahead) == 0 || dir.children[name] != nil || dir.dead || dynamic(dir.inode) {
		d, err := v.lookupDentryLocked(ctx, dir, name)
		return d, missedLookup{}, err
	}
	var buf [maxLookupAhead + 1]string
	names := append(append(buf[:0], name), ahead...)
	inodes, err := pw.LookupPath(ctx, names)
	if len(inodes) == 0 {
		if err == nil {
			err = unix.EIO // a file system breaking the contract
		}
		return nil, missedLookup{}, err
	}
	// Build the chain of new dentries, then publish it with its first
	// link: until then no one else can see them, so they need no lock.
	var first, d *Dentry
	complete := true
	for k, in := range inodes {
		ft, terr := TypeOf(ctx, in)
		if terr != nil {
			if k == 0 {
				return nil, missedLookup{}, terr
			}
			complete = false
			break
		}
		if d == nil {
			first = newDentry(in, dir, names[k], ft)
			d = first
		} else {
			c := newDentry(in, d, names[k], ft)
			d.children = map[string]*Dentry{names[k]: c} // d is not published yet
			d = c
		}
		if k+1 < len(inodes) && (!d.IsDir() || dynamic(d.inode)) {
			complete = false
			break
		}
	}
	dir.insertChildLocked(name, first)
	var miss missedLookup
	if err != nil && complete && d.IsDir() && len(inodes) < len(names) {
		miss = missedLookup{dir: d, name: names[len(inodes)], err: err}
	}
	return first, miss, nil
}

// dynamic says whether in is a directory whose children are not cached.
func dynamic(in Inode) bool {
	dd, ok := in.(DynamicDir)
	return ok && dd.DynamicChildren()
}

// lookup returns the child comp of the current directory, from the dentry
// cache, from a failure a walk ahead already saw, or from the file system
// (walking ahead into rest on a miss), crossing any mount stacked on it.
func (r *resolver) lookup(comp, rest string, parentOnly bool) (VirtualDentry, error) {
	dir := r.cur
	if m := r.miss; m.dir == dir.Dentry && m.name == comp {
		r.miss = missedLookup{}
		dir.Dentry.mu.Lock()
		cached := dir.Dentry.children[comp] != nil
		dir.Dentry.mu.Unlock()
		if !cached {
			return VirtualDentry{}, m.err
		}
	}
	var buf [maxLookupAhead]string
	ahead := pathAhead(rest, parentOnly, buf[:0])
	d, miss, err := r.vfs.lookupAhead(r.ctx, dir.Dentry, comp, ahead)
	if err != nil {
		return VirtualDentry{}, err
	}
	if miss.dir != nil {
		r.miss = miss
	}
	return r.vfs.crossMounts(VirtualDentry{Mount: dir.Mount, Dentry: d}), nil
}
