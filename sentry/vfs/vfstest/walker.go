package vfstest

import (
	"sync"

	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// Calls records what a Walker tree was asked; its methods lock mu.
type Calls struct {
	mu      sync.Mutex
	paths   [][]string
	lookups int
}

// Take returns the names of each LookupPath call and the number of
// single-name Lookups since the last Take.
func (c *Calls) Take() (paths [][]string, lookups int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	paths, lookups = c.paths, c.lookups
	c.paths, c.lookups = nil, 0
	return paths, lookups
}

// Walker wraps an inode tree as a vfs.PathWalker (as the gofer is one)
// and records the lookups made through it in C: each LookupPath stands
// for one round trip. Other methods are the wrapped inode's.
type Walker struct {
	vfs.Inode
	C *Calls
}

// NewWalker wraps root.
func NewWalker(root vfs.Inode) Walker { return Walker{root, &Calls{}} }

// Lookup implements vfs.Inode.
func (w Walker) Lookup(ctx vfs.Context, name string) (vfs.Inode, error) {
	w.C.mu.Lock()
	w.C.lookups++
	w.C.mu.Unlock()
	in, err := w.Inode.Lookup(ctx, name)
	if err != nil {
		return nil, err
	}
	return Walker{in, w.C}, nil
}

// LookupPath implements vfs.PathWalker.
func (w Walker) LookupPath(ctx vfs.Context, names []string) ([]vfs.Inode, error) {
	w.C.mu.Lock()
	w.C.paths = append(w.C.paths, append([]string(nil), names...))
	w.C.mu.Unlock()
	ins, err := vfs.LookupPath(ctx, w.Inode, names)
	for k := range ins {
		ins[k] = Walker{ins[k], w.C}
	}
	return ins, err
}
