package vfs

import "sync"

// This file holds what epoll needs of every file: whether it can be
// watched at all, and word of a description's end.

// Poller is implemented by Waitable files that can only sometimes be
// watched (a host FD that is a regular file cannot).
type Poller interface {
	CanPoll() bool
}

// CanPoll reports whether epoll may watch the file, Linux's
// file_can_poll(): files with a poll operation (pipes, terminals, event
// FDs) can; regular files, directories and /dev/null cannot (EPERM).
func CanPoll(impl FileImpl) bool {
	if _, ok := impl.(Waitable); !ok {
		return false
	}
	if p, ok := impl.(Poller); ok {
		return p.CanPoll()
	}
	return true
}

// ReleaseWatcher hears that a description it watches is gone: epoll drops
// its registrations of the file then, as Linux's eventpoll_release() does
// when a file's last reference goes.
type ReleaseWatcher interface {
	FileReleased(fd *FileDescription)
}

// releaseWatchers are the watchers of one description.
type releaseWatchers struct {
	mu sync.Mutex
	// set is nil once the description was released.
	set map[ReleaseWatcher]int
}

// AddReleaseWatcher asks for w.FileReleased(fd) when fd's last reference
// goes. Watchers are counted: as many RemoveReleaseWatcher calls undo as
// many adds. It returns false if fd is already released.
func (fd *FileDescription) AddReleaseWatcher(w ReleaseWatcher) bool {
	rw := &fd.releaseWatchers
	rw.mu.Lock()
	defer rw.mu.Unlock()
	if fd.refs.Load() <= 0 {
		return false
	}
	if rw.set == nil {
		rw.set = make(map[ReleaseWatcher]int)
	}
	rw.set[w]++
	return true
}

// RemoveReleaseWatcher undoes one AddReleaseWatcher.
func (fd *FileDescription) RemoveReleaseWatcher(w ReleaseWatcher) {
	rw := &fd.releaseWatchers
	rw.mu.Lock()
	defer rw.mu.Unlock()
	if n := rw.set[w]; n > 1 {
		rw.set[w] = n - 1
	} else {
		delete(rw.set, w)
	}
}

// notifyReleased tells every watcher that fd is gone. It is called by the
// last DecRef, before the file is released, without rw.mu held, so that
// watchers may take their own locks (which they also hold around
// AddReleaseWatcher and RemoveReleaseWatcher).
func (fd *FileDescription) notifyReleased() {
	rw := &fd.releaseWatchers
	rw.mu.Lock()
	set := rw.set
	rw.set = nil
	rw.mu.Unlock()
	for w := range set {
		w.FileReleased(fd)
	}
}

// AnonAttr is what fstat shows of a file on Linux's anonymous inode
// (eventfd, epoll, timerfd, signalfd): one inode shared by all of them,
// with no file type, mode 0600, owned by root, one link, size 0.
func AnonAttr() Attr {
	return Attr{Mode: 0o600, Ino: anonIno, Dev: anonDev, Nlink: 1, Blksize: 4096}
}

// anonDev and anonIno name the anonymous inode (anon_inodefs has a
// dynamic device number on Linux).
const (
	anonDev = 0xd
	anonIno = 1
)
