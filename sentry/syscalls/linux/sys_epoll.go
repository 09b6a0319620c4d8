package linux

import (
	"math"
	"time"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/sentry/arch"
	"github.com/cocoon-sandbox/cocoon/sentry/fsimpl/epoll"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// maxEpollEvents is epoll_wait's bound on maxevents (EP_MAX_EVENTS).
const maxEpollEvents = math.MaxInt32 / linux.SizeofEpollEvent

// epollEventsPerWait is how many events one wait reports at most, in a
// buffer on the stack so that waits do not allocate (Linux may report
// fewer than maxevents too; the rest stay ready for the next wait).
const epollEventsPerWait = 256

// EpollCreate implements Linux syscall epoll_create(2).
func EpollCreate(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	if int32(a[0]) <= 0 {
		return 0, unix.EINVAL
	}
	return newEpoll(t, false)
}

// EpollCreate1 implements Linux syscall epoll_create1(2).
func EpollCreate1(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	flags := int32(a[0])
	if flags&^linux.EPOLL_CLOEXEC != 0 {
		return 0, unix.EINVAL
	}
	return newEpoll(t, flags&linux.EPOLL_CLOEXEC != 0)
}

func newEpoll(t *kernel.Task, cloexec bool) (uintptr, error) {
	return newAnonFD(t, epoll.New(), unix.O_RDWR, cloexec)
}

// newAnonFD installs a kernel-made file (no dentry) at the lowest free
// descriptor.
func newAnonFD(t *kernel.Task, impl vfs.FileImpl, flags uint32, cloexec bool) (uintptr, error) {
	f := vfs.NewFileDescription(impl, flags, nil)
	defer f.DecRef()
	fd, err := t.FDTable().NewFD(f, 0, cloexec)
	if err != nil {
		return 0, err
	}
	return uintptr(fd), nil
}

// EpollCtl implements Linux syscall epoll_ctl(2).
func EpollCtl(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	epfd, op, fd, addr := int32(a[0]), int(int32(a[1])), int32(a[2]), a[3]
	var ev epoll.Event
	if op != linux.EPOLL_CTL_DEL {
		var b [linux.SizeofEpollEvent]byte
		if _, err := t.CopyIn(addr, b[:]); err != nil {
			return 0, err
		}
		ev = epoll.Event{Events: le.Uint32(b[0:]), Data: le.Uint64(b[4:])}
	}
	ef, err := t.FDTable().Get(epfd)
	if err != nil {
		return 0, err
	}
	defer ef.DecRef()
	tf, err := t.FDTable().Get(fd)
	if err != nil {
		return 0, err
	}
	defer tf.DecRef()
	if ef.IsPath() || tf.IsPath() {
		return 0, unix.EBADF
	}
	if !vfs.CanPoll(tf.Impl()) {
		return 0, unix.EPERM
	}
	ep := epoll.Of(ef)
	if ep == nil || ef == tf {
		return 0, unix.EINVAL
	}
	return 0, ep.Ctl(op, tf, fd, ev)
}

// EpollWait implements Linux syscall epoll_wait(2).
func EpollWait(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return epollWait(t, a[0], a[1], a[2], msTimeout(int32(a[3])))
}

// EpollPwait implements Linux syscall epoll_pwait(2): epoll_wait with a
// signal mask installed for the wait, as ppoll.
func EpollPwait(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	if err := setPollMask(t, a[4], a[5]); err != nil {
		return 0, err
	}
	return epollWait(t, a[0], a[1], a[2], msTimeout(int32(a[3])))
}

// EpollPwait2 implements Linux syscall epoll_pwait2(2): epoll_pwait with
// a struct timespec timeout (NULL: none).
func EpollPwait2(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	timeout := time.Duration(-1)
	if a[3] != 0 {
		d, err := copyInPollTimeout(t, a[3])
		if err != nil {
			return 0, err
		}
		timeout = d
	}
	if err := setPollMask(t, a[4], a[5]); err != nil {
		return 0, err
	}
	return epollWait(t, a[0], a[1], a[2], timeout)
}

// msTimeout turns a timeout in milliseconds into a duration; negative
// means none.
func msTimeout(ms int32) time.Duration {
	if ms < 0 {
		return -1
	}
	return time.Duration(ms) * time.Millisecond
}

func epollWait(t *kernel.Task, epfd, addr, maxevents uintptr, timeout time.Duration) (uintptr, error) {
	max := int(int32(maxevents))
	if max <= 0 || max > maxEpollEvents {
		return 0, unix.EINVAL
	}
	f, err := t.FDTable().Get(int32(epfd))
	if err != nil {
		return 0, err
	}
	defer f.DecRef()
	ep := epoll.Of(f)
	if ep == nil || f.IsPath() {
		return 0, unix.EINVAL
	}
	var stack [epollEventsPerWait]epoll.Event
	events := stack[:min(max, epollEventsPerWait)]
	n, err := ep.Wait(t, events, timeout)
	if err == vfs.ErrInterrupted {
		// epoll_wait is never restarted (signal(7)).
		return 0, unix.EINTR
	}
	if err != nil || n == 0 {
		return 0, err
	}
	buf := t.Scratch(n * linux.SizeofEpollEvent)
	for i, ev := range events[:n] {
		le.PutUint32(buf[i*linux.SizeofEpollEvent:], ev.Events)
		le.PutUint64(buf[i*linux.SizeofEpollEvent+4:], ev.Data)
	}
	if _, err := t.CopyOut(addr, buf); err != nil {
		return 0, err
	}
	return uintptr(n), nil
}
