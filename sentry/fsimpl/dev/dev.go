// Package dev is the sandbox's /dev: the memory devices (null, zero, full,
// random, urandom), tty (ENXIO: no controlling terminal), the fd and stdio
// symlinks into /proc/self/fd, and empty pts/ and shm/ directories (shm is
// a tmpfs, 1777). The directory itself is synthetic: entries cannot be
// added to it.
//
// It owns no locks; the devices are stateless.
package dev

import (
	"crypto/rand"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/fsimpl/kernfs"
	"github.com/cocoon-sandbox/cocoon/sentry/fsimpl/tmpfs"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// DevTmpfsMagic is what statfs of /dev reports (TMPFS_MAGIC, as devtmpfs).
const DevTmpfsMagic = tmpfs.Magic

// New returns the root of a new /dev.
func New() *kernfs.Dir {
	chr := func(major, minor uint32, open func(vfs.Context, uint32) (vfs.FileImpl, error)) vfs.Inode {
		return kernfs.NewDevice(uint32(vfs.TypeCharDev)|0o666, unix.Mkdev(major, minor), open)
	}
	mem := func(kind memKind) func(vfs.Context, uint32) (vfs.FileImpl, error) {
		return func(vfs.Context, uint32) (vfs.FileImpl, error) { return memFile{kind}, nil }
	}
	pts := kernfs.NewDir(nil)
	pts.SetFSMagic(0x1cd1) // DEVPTS_SUPER_MAGIC
	d := kernfs.NewDir(map[string]vfs.Inode{
		"null":    chr(1, 3, mem(memNull)),
		"zero":    chr(1, 5, mem(memZero)),
		"full":    chr(1, 7, mem(memFull)),
		"random":  chr(1, 8, mem(memRandom)),
		"urandom": chr(1, 9, mem(memRandom)),
		"tty": chr(5, 0, func(vfs.Context, uint32) (vfs.FileImpl, error) {
			return nil, unix.ENXIO
		}),
		"fd":     kernfs.NewStaticSymlink("/proc/self/fd"),
		"stdin":  kernfs.NewStaticSymlink("/proc/self/fd/0"),
		"stdout": kernfs.NewStaticSymlink("/proc/self/fd/1"),
		"stderr": kernfs.NewStaticSymlink("/proc/self/fd/2"),
		"pts":    pts,
		"shm":    tmpfs.New(0o1777),
	})
	d.SetFSMagic(DevTmpfsMagic)
	return d
}

type memKind int

const (
	memNull memKind = iota
	memZero
	memFull
	memRandom
)

// memFile is an open memory device (drivers/char/mem.c).
type memFile struct{ kind memKind }

// Read implements vfs.FileImpl.
func (m memFile) Read(ctx vfs.Context, dst []byte, off int64) (int, error) {
	switch m.kind {
	case memNull:
		return 0, nil
	case memRandom:
		rand.Read(dst)
		return len(dst), nil
	default:
		clear(dst)
		return len(dst), nil
	}
}

// Write implements vfs.FileImpl.
func (m memFile) Write(ctx vfs.Context, src []byte, off int64) (int, error) {
	if m.kind == memFull {
		return 0, unix.ENOSPC
	}
	return len(src), nil
}

// Seekable implements vfs.FileImpl: lseek on these succeeds (and means
// nothing), as on Linux.
func (m memFile) Seekable() bool { return true }

// DiscardsWrites implements vfs.WriteDiscarder: /dev/null and /dev/zero
// never read what is written to them.
func (m memFile) DiscardsWrites() bool { return m.kind == memNull || m.kind == memZero }

// Ioctl implements vfs.FileImpl.
func (m memFile) Ioctl(vfs.Context, vfs.IO, uint32, uintptr) (uintptr, error) {
	return 0, unix.ENOTTY
}

// Readiness implements vfs.FileImpl: always ready.
func (m memFile) Readiness(mask uint32) uint32 {
	return mask & (vfs.EventReadable | vfs.EventWritable)
}

// Release implements vfs.FileImpl.
func (m memFile) Release() {}
