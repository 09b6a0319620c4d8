package host

import (
	"encoding/binary"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// pollNow says whether fd has any of events (or an error or hangup) now.
func pollNow(fd int, events int16) bool {
	fds := []unix.PollFd{{Fd: int32(fd), Events: events}}
	for {
		n, err := unix.Poll(fds, 0)
		if err == unix.EINTR {
			continue
		}
		return err != nil || n > 0
	}
}

// waitFor returns once fd has any of events, EAGAIN at once for a
// non-blocking description, or vfs.ErrInterrupted when ctx is interrupted.
func (f *File) waitFor(ctx vfs.Context, events int16) error {
	if pollNow(f.fd, events) {
		return nil
	}
	if f.nonBlocking() {
		return unix.EAGAIN
	}
	ready := make(chan struct{})
	w, err := startWatch(f.fd, events, func() { close(ready) })
	if err != nil {
		return err
	}
	defer w.stop()
	return ctx.Block(ready)
}

// watcher is a goroutine blocked in poll(2) on a host FD and an eventfd
// that stop uses to wake it.
type watcher struct {
	efd  int
	done chan struct{}
}

// startWatch starts a watcher that calls notify (at most once) when fd has
// any of events.
func startWatch(fd int, events int16, notify func()) (*watcher, error) {
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return nil, hostErr(err)
	}
	w := &watcher{efd: efd, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		fds := []unix.PollFd{{Fd: int32(fd), Events: events}, {Fd: int32(efd), Events: unix.POLLIN}}
		for {
			_, err := unix.Poll(fds, -1)
			if err == unix.EINTR {
				continue
			}
			if err != nil || fds[0].Revents != 0 {
				notify()
			}
			return
		}
	}()
	return w, nil
}

// stop wakes the watcher, waits for it to end and frees its eventfd.
func (w *watcher) stop() {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], 1)
	for {
		if _, err := unix.Write(w.efd, b[:]); err != unix.EINTR {
			break
		}
	}
	<-w.done
	unix.Close(w.efd)
}

// EventRegister implements vfs.Waitable: e.C is signalled once when the
// host FD becomes ready for an event of e.Mask (register again to wait
// again).
func (f *File) EventRegister(e *vfs.WaitEntry) {
	if f.seekable {
		select {
		case e.C <- struct{}{}:
		default:
		}
		return
	}
	w, err := startWatch(f.fd, int16(e.Mask&0xffff), func() {
		select {
		case e.C <- struct{}{}:
		default:
		}
	})
	if err != nil {
		// Cannot watch: make the waiter re-check readiness.
		select {
		case e.C <- struct{}{}:
		default:
		}
		return
	}
	f.mu.Lock()
	if f.watchers == nil {
		f.watchers = make(map[*vfs.WaitEntry]*watcher)
	}
	old := f.watchers[e]
	f.watchers[e] = w
	f.mu.Unlock()
	if old != nil {
		old.stop()
	}
}

// EventUnregister implements vfs.Waitable.
func (f *File) EventUnregister(e *vfs.WaitEntry) {
	f.mu.Lock()
	w := f.watchers[e]
	delete(f.watchers, e)
	f.mu.Unlock()
	if w != nil {
		w.stop()
	}
}
