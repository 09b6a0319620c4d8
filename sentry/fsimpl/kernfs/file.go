package kernfs

import (
	"sync"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// File is a regular file whose content gen produces when it is opened
// (like /proc/meminfo); reads see that snapshot. If write is set, each
// write(2) passes its data to it (like /proc/self/oom_score_adj).
type File struct {
	node
	gen   func(ctx vfs.Context) ([]byte, error)
	write func(ctx vfs.Context, data []byte) error
}

var _ vfs.Inode = (*File)(nil)

// NewFile returns a read-only file (permissions mode&0o7777) with content
// gen(ctx). stat reports size 0, as /proc does.
func NewFile(mode uint32, gen func(ctx vfs.Context) ([]byte, error)) *File {
	return &File{node: newNode(uint32(vfs.TypeRegular) | mode&0o7777), gen: gen}
}

// NewStaticFile returns a read-only file (0444) holding data.
func NewStaticFile(data string) *File {
	return NewFile(0o444, func(vfs.Context) ([]byte, error) { return []byte(data), nil })
}

// NewWritableFile returns a file with content gen(ctx) to which writes
// are passed to write (gen may be nil for a write-only file).
func NewWritableFile(mode uint32, gen func(ctx vfs.Context) ([]byte, error), write func(ctx vfs.Context, data []byte) error) *File {
	f := NewFile(mode, gen)
	f.write = write
	return f
}

// Open implements vfs.Inode.
func (f *File) Open(ctx vfs.Context, flags uint32) (vfs.FileImpl, error) {
	acc := flags & unix.O_ACCMODE
	if acc != unix.O_RDONLY && f.write == nil {
		return nil, unix.EACCES
	}
	of := &openFile{f: f}
	if acc != unix.O_WRONLY && f.gen != nil {
		data, err := f.gen(ctx)
		if err != nil {
			return nil, err
		}
		of.data = data
	}
	return of, nil
}

// openFile is an open File: its content snapshot.
type openFile struct {
	vfs.FileDefaults
	f *File

	mu   sync.Mutex
	data []byte
}

// Read implements vfs.FileImpl.
func (o *openFile) Read(ctx vfs.Context, dst []byte, off int64) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if off < 0 {
		return 0, unix.EINVAL
	}
	if off >= int64(len(o.data)) {
		return 0, nil
	}
	return copy(dst, o.data[off:]), nil
}

// Write implements vfs.FileImpl.
func (o *openFile) Write(ctx vfs.Context, src []byte, off int64) (int, error) {
	if o.f.write == nil {
		return 0, unix.EINVAL
	}
	if err := o.f.write(ctx, src); err != nil {
		return 0, err
	}
	return len(src), nil
}

// Opener is a regular file whose opens open calls: for files whose reads
// and writes are not a snapshot (like /proc/[pid]/mem).
type Opener struct {
	node
	open func(ctx vfs.Context, flags uint32) (vfs.FileImpl, error)
}

var _ vfs.Inode = (*Opener)(nil)

// NewOpener returns a regular file (permissions mode&0o7777) whose opens
// open makes.
func NewOpener(mode uint32, open func(ctx vfs.Context, flags uint32) (vfs.FileImpl, error)) *Opener {
	return &Opener{node: newNode(uint32(vfs.TypeRegular) | mode&0o7777), open: open}
}

// Open implements vfs.Inode.
func (o *Opener) Open(ctx vfs.Context, flags uint32) (vfs.FileImpl, error) {
	return o.open(ctx, flags)
}

// DeviceNode is a character or block device node: the VFS opens the
// driver registered for its numbers (vfs.RegisterDevice), so the node
// itself opens nothing.
type DeviceNode struct{ node }

// NewDeviceNode returns a device node; mode holds the type (vfs.TypeCharDev
// or vfs.TypeBlockDev) and permissions, rdev its number.
func NewDeviceNode(mode uint32, rdev uint64) *DeviceNode {
	d := &DeviceNode{node: newNode(mode)}
	d.attr.Rdev = rdev
	return d
}

// Open implements vfs.Inode; the VFS never calls it for a device node.
func (d *DeviceNode) Open(vfs.Context, uint32) (vfs.FileImpl, error) { return nil, unix.ENXIO }

var _ vfs.Inode = (*DeviceNode)(nil)
