package vfs

import (
	"sync"
	"sync/atomic"
)

// mountKey identifies a mount point: a dentry seen through a mount.
type mountKey struct {
	parent *Mount
	point  *Dentry
}

// VFS is the sandbox's mount tree and dentry cache; analogous to Linux's
// mount namespace plus the dcache.
type VFS struct {
	// renameMu serializes changes of dentry parents and names (rename,
	// unlink) against path printing; analogous to Linux's rename_lock.
	renameMu sync.RWMutex

	// mountMu guards mounts and the mount tree.
	mountMu sync.RWMutex
	// mounts maps a mount point to the mount stacked on it (the topmost).
	mounts map[mountKey]*Mount
	// root is the first mount.
	root *Mount
	// order lists the mounts in the order they were made.
	order []*Mount
	// fifoOpener opens FIFO nodes; guarded by mountMu.
	fifoOpener FIFOOpener
	// devices is the device table (devices.go): replaced whole under
	// mountMu, loaded without a lock.
	devices atomic.Pointer[devices]
	// kernelMounts are the detached mounts of kernel-internal file
	// systems, by name (detached.go); guarded by mountMu.
	kernelMounts map[string]*Mount
}

// New returns an empty VFS; MountRoot gives it its root file system.
func New() *VFS {
	return &VFS{mounts: make(map[mountKey]*Mount)}
}
