package linux

import (
	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/arch"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel/pipe"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// Pipe implements Linux syscall pipe(2).
func Pipe(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) { return 0, pipe2(t, a[0], 0) }

// Pipe2 implements Linux syscall pipe2(2).
func Pipe2(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, pipe2(t, a[0], uint32(a[1]))
}

func pipe2(t *kernel.Task, addr uintptr, flags uint32) error {
	if flags&^(unix.O_CLOEXEC|unix.O_NONBLOCK|unix.O_DIRECT) != 0 {
		return unix.EINVAL
	}
	r, w := pipe.New()
	status := flags & unix.O_NONBLOCK
	rf := vfs.NewFileDescription(r, unix.O_RDONLY|status, nil)
	wf := vfs.NewFileDescription(w, unix.O_WRONLY|status, nil)
	defer rf.DecRef()
	defer wf.DecRef()
	cloexec := flags&unix.O_CLOEXEC != 0
	table := t.FDTable()
	rfd, err := table.NewFD(rf, 0, cloexec)
	if err != nil {
		return err
	}
	wfd, err := table.NewFD(wf, 0, cloexec)
	if err != nil {
		table.Remove(rfd)
		return err
	}
	var b [8]byte
	le.PutUint32(b[0:], uint32(rfd))
	le.PutUint32(b[4:], uint32(wfd))
	if _, err := t.CopyOut(addr, b[:]); err != nil {
		table.Remove(rfd)
		table.Remove(wfd)
		return err
	}
	return nil
}
