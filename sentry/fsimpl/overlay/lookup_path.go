package overlay

import (
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// LookupPath implements vfs.PathWalker. The upper layer is asked name by
// name (it is memory); the lower layer is asked for all the remaining
// names at once (vfs.LookupPath: one gofer Walk), and its answers are used
// for as long as each overlay directory reached has, as its lower part,
// the lower directory that walk reached. Where the chain breaks (an upper
// file shadows a lower directory, a whiteout), the lower layer is asked
// again from there.
func (i *inode) LookupPath(ctx vfs.Context, names []string) ([]vfs.Inode, error) {
	var out []vfs.Inode
	var ahead lowerWalk
	cur := i
	for k, name := range names {
		if k > 0 && cur.ftype != vfs.TypeDirectory {
			break
		}
		cur.mu.Lock()
		var hint *lowerHint
		if _, whited := cur.whiteouts[name]; !whited && cur.children[name] == nil && cur.lower != nil {
			hint = ahead.answer(k, cur.lower)
			if hint == nil {
				ahead.walk(ctx, k, cur.lower, names[k:])
				hint = ahead.answer(k, cur.lower)
			}
		}
		c, err := cur.lookupLocked(ctx, name, hint)
		cur.mu.Unlock()
		if err != nil {
			if len(out) == 0 {
				return nil, err
			}
			return out, err
		}
		out = append(out, c)
		cur = c
	}
	return out, nil
}

// lowerWalk is one walk of the lower layer: the inodes reached for
// names[at:], walked from dir, and the failure that stopped it.
type lowerWalk struct {
	at     int
	dir    vfs.Inode
	inodes []vfs.Inode
	err    error
}

// walk asks the lower layer for names (the names from index at on) in dir.
func (w *lowerWalk) walk(ctx vfs.Context, at int, dir vfs.Inode, names []string) {
	w.at, w.dir = at, dir
	w.inodes, w.err = vfs.LookupPath(ctx, dir, names)
	if len(w.inodes) == 0 && w.err == nil {
		w.dir = nil // nothing learned
	}
}

// answer returns the walk's answer for the name at index k looked up in
// the lower directory dir, or nil if the walk did not look it up there.
func (w *lowerWalk) answer(k int, dir vfs.Inode) *lowerHint {
	j := k - w.at
	if w.dir == nil || j < 0 || j > len(w.inodes) {
		return nil
	}
	parent := w.dir
	if j > 0 {
		parent = w.inodes[j-1]
	}
	switch {
	case parent != dir:
		return nil
	case j < len(w.inodes):
		return &lowerHint{child: w.inodes[j]}
	case w.err != nil:
		return &lowerHint{err: w.err}
	}
	return nil // the walk stopped early without a failure
}
