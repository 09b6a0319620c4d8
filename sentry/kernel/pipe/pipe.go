// Package pipe implements pipes inside the sentry: a bounded byte buffer
// shared by a read end and a write end, with Linux's blocking, EOF, EPIPE
// and atomicity (PIPE_BUF) rules. Data never touches the host.
//
// Locking: Pipe.mu guards the buffer and the end counts. Waiters are woken
// by closing and replacing a channel (a broadcast), so blocked tasks wait
// through vfs.Context.Block and stay interruptible.
package pipe

import (
	"fmt"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// Linux's defaults.
const (
	// Capacity is the pipe buffer size (64 KiB, 16 pages).
	Capacity = 65536
	// AtomicSize is PIPE_BUF: writes up to it are never interleaved.
	AtomicSize = 4096
)

// Pipe is the shared state of both ends.
type Pipe struct {
	mu      sync.Mutex
	buf     []byte
	readers int
	writers int
	// changed is closed (and replaced) whenever data, space or an end's
	// presence changes.
	changed chan struct{}
	// queue wakes poll/select waiters on either end.
	queue vfs.WaitQueue
	// readOpens and writeOpens count every open of each end, so that a
	// FIFO open waiting for its peer sees one that came and went.
	readOpens, writeOpens uint64
	// ino identifies the pipe in fstat and /proc. Immutable.
	ino uint64
}

// New returns a pipe and its two ends as file implementations.
func New() (*ReadEnd, *WriteEnd) {
	p := NewPipe()
	return p.OpenRead(), p.OpenWrite()
}

// NewPipe returns a pipe with no ends open yet (a FIFO's).
func NewPipe() *Pipe {
	p := &Pipe{changed: make(chan struct{})}
	p.ino = nextIno.Add(1)
	return p
}

// OpenRead opens a new read end.
func (p *Pipe) OpenRead() *ReadEnd {
	p.mu.Lock()
	p.readers++
	p.readOpens++
	p.broadcastLocked(endEvents)
	p.mu.Unlock()
	return &ReadEnd{p: p}
}

// OpenWrite opens a new write end.
func (p *Pipe) OpenWrite() *WriteEnd {
	p.mu.Lock()
	p.writers++
	p.writeOpens++
	p.broadcastLocked(endEvents)
	p.mu.Unlock()
	return &WriteEnd{p: p}
}

// nextIno numbers pipes for fstat and /proc/[pid]/fd names.
var nextIno atomic.Uint64

// Stat implements vfs.FileStater: a FIFO owned by nobody in particular.
func (p *Pipe) Stat(vfs.Context) (vfs.Attr, error) {
	return vfs.Attr{Mode: uint32(vfs.TypeFIFO) | 0o600, Ino: p.ino, Nlink: 1, Blksize: AtomicSize}, nil
}

// Name implements vfs.FileNamer.
func (p *Pipe) Name() string { return fmt.Sprintf("pipe:[%d]", p.ino) }

// Stat implements vfs.FileStater.
func (r *ReadEnd) Stat(ctx vfs.Context) (vfs.Attr, error) { return r.p.Stat(ctx) }

// Stat implements vfs.FileStater.
func (w *WriteEnd) Stat(ctx vfs.Context) (vfs.Attr, error) { return w.p.Stat(ctx) }

// Name implements vfs.FileNamer.
func (r *ReadEnd) Name() string { return r.p.Name() }

// Name implements vfs.FileNamer.
func (w *WriteEnd) Name() string { return w.p.Name() }

// Events that a change of the pipe notifies poll and epoll waiters of:
// data in wakes readers, space freed wakes writers (as Linux's rd_wait and
// wr_wait), and an end opening or closing wakes both.
const (
	dataEvents  = linux.POLLIN | linux.POLLRDNORM
	spaceEvents = linux.POLLOUT | linux.POLLWRNORM
	endEvents   = dataEvents | spaceEvents | linux.POLLERR | linux.POLLHUP
)

// broadcastLocked wakes every blocked reader and writer, and the poll and
// epoll waiters of events (an edge-triggered epoll item sees an edge only
// for its events).
// Preconditions: p.mu is held.
func (p *Pipe) broadcastLocked(events uint32) {
	close(p.changed)
	p.changed = make(chan struct{})
	p.queue.Notify(events)
}

// ReadEnd is the read side of a pipe.
type ReadEnd struct {
	p        *Pipe
	released bool
	nonBlock bool
}

// WriteEnd is the write side of a pipe.
type WriteEnd struct {
	p        *Pipe
	released bool
	nonBlock bool
}

// Read implements vfs.FileImpl.Read. Non-blocking readers get EAGAIN.
func (r *ReadEnd) Read(ctx vfs.Context, dst []byte, _ int64) (int, error) {
	return r.read(ctx, dst, r.nonBlock)
}

func (r *ReadEnd) read(ctx vfs.Context, dst []byte, nonBlock bool) (int, error) {
	if len(dst) == 0 {
		return 0, nil
	}
	p := r.p
	for {
		p.mu.Lock()
		if len(p.buf) > 0 {
			n := copy(dst, p.buf)
			p.buf = p.buf[n:]
			if len(p.buf) == 0 {
				p.buf = nil
			}
			p.broadcastLocked(spaceEvents)
			p.mu.Unlock()
			return n, nil
		}
		if p.writers == 0 {
			p.mu.Unlock()
			return 0, nil
		}
		ch := p.changed
		p.mu.Unlock()
		if nonBlock {
			return 0, unix.EAGAIN
		}
		if err := ctx.Block(ch); err != nil {
			return 0, err
		}
	}
}

// Write implements vfs.FileImpl.Write: EPIPE when no reader is left (the
// caller raises SIGPIPE).
func (w *WriteEnd) Write(ctx vfs.Context, src []byte, _ int64) (int, error) {
	return w.write(ctx, src, w.nonBlock)
}

// SetStatusFlags implements vfs.StatusFlagsObserver (O_NONBLOCK).
func (r *ReadEnd) SetStatusFlags(flags uint32) { r.nonBlock = flags&unix.O_NONBLOCK != 0 }

// SetStatusFlags implements vfs.StatusFlagsObserver (O_NONBLOCK).
func (w *WriteEnd) SetStatusFlags(flags uint32) { w.nonBlock = flags&unix.O_NONBLOCK != 0 }

// EventRegister implements vfs.Waitable.
func (r *ReadEnd) EventRegister(e *vfs.WaitEntry) { r.p.queue.EventRegister(e) }

// EventUnregister implements vfs.Waitable.
func (r *ReadEnd) EventUnregister(e *vfs.WaitEntry) { r.p.queue.EventUnregister(e) }

// EventRegister implements vfs.Waitable.
func (w *WriteEnd) EventRegister(e *vfs.WaitEntry) { w.p.queue.EventRegister(e) }

// EventUnregister implements vfs.Waitable.
func (w *WriteEnd) EventUnregister(e *vfs.WaitEntry) { w.p.queue.EventUnregister(e) }

func (w *WriteEnd) write(ctx vfs.Context, src []byte, nonBlock bool) (int, error) {
	p := w.p
	done := 0
	for {
		p.mu.Lock()
		if p.readers == 0 {
			p.mu.Unlock()
			if done > 0 {
				return done, nil
			}
			return 0, unix.EPIPE
		}
		room := Capacity - len(p.buf)
		remaining := len(src) - done
		// Writes of at most PIPE_BUF go in whole or wait.
		if room > 0 && (remaining > AtomicSize || room >= remaining) {
			n := min(room, remaining)
			p.buf = append(p.buf, src[done:done+n]...)
			done += n
			p.broadcastLocked(dataEvents)
			if done == len(src) {
				p.mu.Unlock()
				return done, nil
			}
		}
		ch := p.changed
		p.mu.Unlock()
		if nonBlock {
			if done > 0 {
				return done, nil
			}
			return 0, unix.EAGAIN
		}
		if err := ctx.Block(ch); err != nil {
			if done > 0 {
				return done, nil
			}
			return 0, err
		}
	}
}

// Write on a read end and Read on a write end fail with EBADF.
func (r *ReadEnd) Write(vfs.Context, []byte, int64) (int, error) { return 0, unix.EBADF }

// Read on a write end fails with EBADF.
func (w *WriteEnd) Read(vfs.Context, []byte, int64) (int, error) { return 0, unix.EBADF }

// Seekable implements vfs.FileImpl: pipes are not.
func (r *ReadEnd) Seekable() bool { return false }

// Seekable implements vfs.FileImpl: pipes are not.
func (w *WriteEnd) Seekable() bool { return false }

// Ioctl implements vfs.FileImpl: FIONREAD reports buffered bytes.
func (r *ReadEnd) Ioctl(ctx vfs.Context, io vfs.IO, cmd uint32, arg uintptr) (uintptr, error) {
	return r.p.ioctl(io, cmd, arg)
}

// Ioctl implements vfs.FileImpl.
func (w *WriteEnd) Ioctl(ctx vfs.Context, io vfs.IO, cmd uint32, arg uintptr) (uintptr, error) {
	return w.p.ioctl(io, cmd, arg)
}

func (p *Pipe) ioctl(io vfs.IO, cmd uint32, arg uintptr) (uintptr, error) {
	if cmd != unix.TIOCINQ { // FIONREAD
		return 0, unix.ENOTTY
	}
	p.mu.Lock()
	n := uint32(len(p.buf))
	p.mu.Unlock()
	b := []byte{byte(n), byte(n >> 8), byte(n >> 16), byte(n >> 24)}
	if _, err := io.CopyOut(arg, b); err != nil {
		return 0, err
	}
	return 0, nil
}

// Readiness implements vfs.FileImpl.
func (r *ReadEnd) Readiness(mask uint32) uint32 {
	p := r.p
	p.mu.Lock()
	defer p.mu.Unlock()
	var ev uint32
	if len(p.buf) > 0 {
		ev |= dataEvents
	}
	if p.writers == 0 {
		ev |= linux.POLLHUP
	}
	return ev & (mask | linux.POLLHUP | linux.POLLERR)
}

// Readiness implements vfs.FileImpl.
func (w *WriteEnd) Readiness(mask uint32) uint32 {
	p := w.p
	p.mu.Lock()
	defer p.mu.Unlock()
	var ev uint32
	if len(p.buf) < Capacity {
		ev |= spaceEvents
	}
	if p.readers == 0 {
		ev |= linux.POLLERR
	}
	return ev & (mask | linux.POLLHUP | linux.POLLERR)
}

// Changed returns a channel closed at the next change of the pipe, for
// poll-style waiting on either end.
func (p *Pipe) Changed() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.changed
}

// Changed returns a channel closed at the pipe's next change.
func (r *ReadEnd) Changed() <-chan struct{} { return r.p.Changed() }

// Changed returns a channel closed at the pipe's next change.
func (w *WriteEnd) Changed() <-chan struct{} { return w.p.Changed() }

// Release implements vfs.FileImpl.
func (r *ReadEnd) Release() {
	p := r.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if !r.released {
		r.released = true
		p.readers--
		p.broadcastLocked(endEvents)
	}
}

// Release implements vfs.FileImpl.
func (w *WriteEnd) Release() {
	p := w.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if !w.released {
		w.released = true
		p.writers--
		p.broadcastLocked(endEvents)
	}
}

// WaitPeer blocks a FIFO open until the other end has been opened: a
// reader waits for a writer and a writer for a reader (fifo(7)).
func (p *Pipe) WaitPeer(ctx vfs.Context, reader bool) error {
	p.mu.Lock()
	start := p.readOpens
	if reader {
		start = p.writeOpens
	}
	for {
		count, opens := p.readers, p.readOpens
		if reader {
			count, opens = p.writers, p.writeOpens
		}
		if count > 0 || opens != start {
			p.mu.Unlock()
			return nil
		}
		ch := p.changed
		p.mu.Unlock()
		if err := ctx.Block(ch); err != nil {
			return err
		}
		p.mu.Lock()
	}
}

// HasReaders reports whether a read end is open (a non-blocking FIFO open
// for writing fails with ENXIO without one).
func (p *Pipe) HasReaders() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.readers > 0
}
