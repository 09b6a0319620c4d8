// Package dev is the sandbox's /dev: the drivers of the memory devices
// (null, zero, full, random, urandom) and of tty (ENXIO: no controlling
// terminal), registered with a VFS by Register, and New, which makes a
// /dev as runc leaves it: a tmpfs (so that mount points such as /dev/mqueue
// can be made in it) holding those device nodes, the fd and stdio symlinks
// into /proc/self/fd, ptmx linked to pts/ptmx, and pts/ and shm/
// directories (shm 1777).
//
// It owns no locks; the devices are stateless.
package dev

import (
	"crypto/rand"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/fsimpl/tmpfs"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// DevTmpfsMagic is what statfs of /dev reports (TMPFS_MAGIC, as devtmpfs).
const DevTmpfsMagic = tmpfs.Magic

// device is one device /dev holds.
type device struct {
	name         string
	major, minor uint32
	open         vfs.DeviceOpener
}

func mem(kind memKind) vfs.DeviceOpener {
	return func(vfs.Context, uint32) (vfs.FileImpl, error) { return memFile{kind: kind}, nil }
}

// devices are the character devices of /dev, all mode 0666.
var devices = []device{
	{"null", 1, 3, mem(memNull)},
	{"zero", 1, 5, mem(memZero)},
	{"full", 1, 7, mem(memFull)},
	{"random", 1, 8, mem(memRandom)},
	{"urandom", 1, 9, mem(memRandom)},
	{"tty", 5, 0, func(vfs.Context, uint32) (vfs.FileImpl, error) { return nil, unix.ENXIO }},
}

// Register installs the drivers of the devices /dev holds in v: any node
// with their numbers opens them, wherever it is.
func Register(v *vfs.VFS) {
	for _, d := range devices {
		v.RegisterDevice(vfs.TypeCharDev, unix.Mkdev(d.major, d.minor), d.open)
	}
}

// New returns the root of a new /dev: a tmpfs (mode 0755) with the device
// nodes, the /proc/self/fd and ptmx symlinks and the pts and shm
// directories.
func New() (vfs.Inode, error) {
	ctx := vfs.Background()
	root := tmpfs.New(0o755)
	for _, d := range devices {
		if _, err := root.Mknod(ctx, d.name, uint32(vfs.TypeCharDev)|0o666, unix.Mkdev(d.major, d.minor)); err != nil {
			return nil, err
		}
	}
	for name, target := range map[string]string{
		"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2",
		// The devpts instance's multiplexer, as runc links it (and the
		// runtime spec's "/dev symbolic links" require).
		"ptmx": "pts/ptmx",
	} {
		if _, err := root.Symlink(ctx, name, target); err != nil {
			return nil, err
		}
	}
	if _, err := root.Mkdir(ctx, "pts", 0o755); err != nil {
		return nil, err
	}
	if _, err := root.Mkdir(ctx, "shm", 0o1777); err != nil {
		return nil, err
	}
	return root, nil
}

type memKind int

const (
	memNull memKind = iota
	memZero
	memFull
	memRandom
)

// memFile is an open memory device (drivers/char/mem.c).
type memFile struct {
	// FileDefaults: lseek on these succeeds (and means nothing), poll
	// finds them always ready, as on Linux.
	vfs.FileDefaults
	kind memKind
}

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

// DiscardsWrites implements vfs.WriteDiscarder: /dev/null and /dev/zero
// never read what is written to them.
func (m memFile) DiscardsWrites() bool { return m.kind == memNull || m.kind == memZero }
