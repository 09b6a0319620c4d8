package host

import (
	"encoding/binary"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
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
	ready := make(chan struct{}, 1)
	w, err := startWatch(f.fd, events, func(uint32) {
		select {
		case ready <- struct{}{}:
		default:
		}
	})
	if err != nil {
		return err
	}
	defer w.stop()
	return ctx.Block(ready)
}

// watcher is a goroutine blocked in epoll_wait(2) on a private host epoll
// that watches a host FD edge-triggered, and an eventfd that stop uses to
// wake it. Edge-triggered, it reports each new readiness of the FD once
// (the first one at once if the FD is already ready), so a registration
// lasts until it is stopped, as a vfs.WaitQueue entry does, without
// spinning while the FD stays ready.
type watcher struct {
	epfd int
	efd  int
	done chan struct{}
}

// startWatch starts a watcher that calls notify with the ready events
// each time fd becomes ready for any of events. It fails (EPERM) for
// files the host cannot poll, such as regular files.
func startWatch(fd int, events int16, notify func(revents uint32)) (*watcher, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, hostErr(err)
	}
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		unix.Close(epfd)
		return nil, hostErr(err)
	}
	w := &watcher{epfd: epfd, efd: efd, done: make(chan struct{})}
	ev := unix.EpollEvent{Events: uint32(uint16(events)) | unix.EPOLLET, Fd: int32(fd)}
	stopEv := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(efd)}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		w.close()
		return nil, hostErr(err)
	}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, efd, &stopEv); err != nil {
		w.close()
		return nil, hostErr(err)
	}
	go func() {
		defer close(w.done)
		var evs [2]unix.EpollEvent
		for {
			n, err := unix.EpollWait(epfd, evs[:], -1)
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				notify(linux.POLLERR)
				return
			}
			for _, e := range evs[:n] {
				if e.Fd == int32(efd) {
					return
				}
				notify(e.Events)
			}
		}
	}()
	return w, nil
}

// stop wakes the watcher, waits for it to end and frees its FDs.
func (w *watcher) stop() {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], 1)
	for {
		if _, err := unix.Write(w.efd, b[:]); err != unix.EINTR {
			break
		}
	}
	<-w.done
	w.close()
}

func (w *watcher) close() {
	unix.Close(w.efd)
	unix.Close(w.epfd)
}

// CanPoll implements vfs.Poller: epoll may watch a host FD the host can
// poll (terminals, pipes, sockets), not a regular file or /dev/null
// (EPERM, as Linux's file_can_poll). The host is asked once.
func (f *File) CanPoll() bool {
	f.canPollOnce.Do(func() { f.canPoll = !f.seekable && hostCanPoll(f.fd) })
	return f.canPoll
}

// hostCanPoll asks the host whether epoll can watch fd.
func hostCanPoll(fd int) bool {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return true // let EventRegister fall back to re-checks
	}
	defer unix.Close(epfd)
	ev := unix.EpollEvent{Fd: int32(fd)}
	return unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, fd, &ev) != unix.EPERM
}

// EventRegister implements vfs.Waitable: e is notified each time the host
// FD becomes ready for an event of e.Mask, until EventUnregister.
func (f *File) EventRegister(e *vfs.WaitEntry) {
	if f.seekable {
		e.Notify(e.Mask & (vfs.EventReadable | vfs.EventWritable))
		return
	}
	w, err := startWatch(f.fd, int16(e.Mask&0xffff), func(revents uint32) {
		if ev := revents & (e.Mask | linux.POLLERR | linux.POLLHUP); ev != 0 {
			e.Notify(ev)
		}
	})
	if err != nil {
		// Cannot watch: make the waiter re-check readiness.
		e.Notify(e.Mask)
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
