package kernel

import (
	"sync"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/kernel/pipe"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// fifos gives every FIFO node (mknod S_IFIFO) its one pipe.
type fifos struct {
	mu    sync.Mutex
	pipes map[vfs.Inode]*pipe.Pipe
}

// open implements vfs.FIFOOpener: an open for reading waits for a writer
// and one for writing waits for a reader, unless O_NONBLOCK (then a writer
// without a reader gets ENXIO).
func (f *fifos) open(ctx vfs.Context, key vfs.Inode, flags uint32) (vfs.FileImpl, error) {
	f.mu.Lock()
	p := f.pipes[key]
	if p == nil {
		p = pipe.NewPipe()
		f.pipes[key] = p
	}
	f.mu.Unlock()
	nonBlock := flags&unix.O_NONBLOCK != 0
	switch flags & unix.O_ACCMODE {
	case unix.O_RDONLY:
		r := p.OpenRead()
		if !nonBlock {
			if err := p.WaitPeer(ctx, true); err != nil {
				r.Release()
				return nil, err
			}
		}
		return r, nil
	case unix.O_WRONLY:
		if nonBlock && !p.HasReaders() {
			return nil, unix.ENXIO
		}
		w := p.OpenWrite()
		if err := p.WaitPeer(ctx, false); err != nil {
			w.Release()
			return nil, err
		}
		return w, nil
	}
	// O_RDWR never blocks (Linux allows it on FIFOs).
	return &fifoRDWR{r: p.OpenRead(), w: p.OpenWrite()}, nil
}

// fifoRDWR is a FIFO opened for both reading and writing.
type fifoRDWR struct {
	r *pipe.ReadEnd
	w *pipe.WriteEnd
}

func (f *fifoRDWR) Read(ctx vfs.Context, dst []byte, off int64) (int, error) {
	return f.r.Read(ctx, dst, off)
}
func (f *fifoRDWR) Write(ctx vfs.Context, src []byte, off int64) (int, error) {
	return f.w.Write(ctx, src, off)
}
func (f *fifoRDWR) Seekable() bool { return false }
func (f *fifoRDWR) Ioctl(ctx vfs.Context, io vfs.IO, cmd uint32, arg uintptr) (uintptr, error) {
	return f.r.Ioctl(ctx, io, cmd, arg)
}
func (f *fifoRDWR) Readiness(mask uint32) uint32 { return f.r.Readiness(mask) | f.w.Readiness(mask) }

// EventRegister implements vfs.Waitable: both ends share the pipe's queue.
func (f *fifoRDWR) EventRegister(e *vfs.WaitEntry) { f.r.EventRegister(e) }

// EventUnregister implements vfs.Waitable.
func (f *fifoRDWR) EventUnregister(e *vfs.WaitEntry) { f.r.EventUnregister(e) }
func (f *fifoRDWR) Release() {
	f.r.Release()
	f.w.Release()
}
