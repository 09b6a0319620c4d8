package vfs

import (
	"sync"
	"sync/atomic"
)

// FSContext is a task's root, working directory and umask; analogous to
// Linux's struct fs_struct. Tasks that share it (CLONE_FS) share the
// pointer and take references with IncRef.
type FSContext struct {
	refs atomic.Int64

	mu sync.Mutex
	// root and cwd each hold a reference. Guarded by mu.
	root VirtualDentry
	cwd  VirtualDentry
	// umask is guarded by mu.
	umask uint32
}

// NewFSContext returns a context whose root and working directory are root,
// with umask 022. It takes its own references on root.
func NewFSContext(root VirtualDentry) *FSContext {
	root.IncRef()
	root.IncRef()
	c := &FSContext{root: root, cwd: root, umask: 0o022}
	c.refs.Store(1)
	return c
}

// Fork returns an independent copy (fork without CLONE_FS).
func (c *FSContext) Fork() *FSContext {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.root.IncRef()
	c.cwd.IncRef()
	n := &FSContext{root: c.root, cwd: c.cwd, umask: c.umask}
	n.refs.Store(1)
	return n
}

// IncRef takes a reference for one more sharer (CLONE_FS).
func (c *FSContext) IncRef() { c.refs.Add(1) }

// Release drops a reference; the last one releases root and cwd.
func (c *FSContext) Release() {
	if c.refs.Add(-1) != 0 {
		return
	}
	c.mu.Lock()
	root, cwd := c.root, c.cwd
	c.root, c.cwd = VirtualDentry{}, VirtualDentry{}
	c.mu.Unlock()
	root.DecRef()
	cwd.DecRef()
}

// Root returns the root directory with a reference the caller must drop.
func (c *FSContext) Root() VirtualDentry {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.root.IncRef()
	return c.root
}

// Cwd returns the working directory with a reference the caller must drop.
func (c *FSContext) Cwd() VirtualDentry {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cwd.IncRef()
	return c.cwd
}

// SetCwd makes vd the working directory (it takes its own reference).
func (c *FSContext) SetCwd(vd VirtualDentry) {
	vd.IncRef()
	c.mu.Lock()
	old := c.cwd
	c.cwd = vd
	c.mu.Unlock()
	old.DecRef()
}

// SetRoot makes vd the root directory (chroot; it takes its own reference).
// The working directory is unchanged, as in Linux.
func (c *FSContext) SetRoot(vd VirtualDentry) {
	vd.IncRef()
	c.mu.Lock()
	old := c.root
	c.root = vd
	c.mu.Unlock()
	old.DecRef()
}

// Umask returns the file mode creation mask.
func (c *FSContext) Umask() uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.umask
}

// SwapUmask sets the umask to mask&0777 and returns the old one.
func (c *FSContext) SwapUmask(mask uint32) uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.umask
	c.umask = mask & 0o777
	return old
}
