package linux

import (
	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/arch"
	"github.com/cocoon-sandbox/cocoon/sentry/fsimpl/eventfd"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
)

// eventfd2's flags (EFD_CLOEXEC and EFD_NONBLOCK are O_CLOEXEC and
// O_NONBLOCK).
const efdFlags = unix.EFD_CLOEXEC | unix.EFD_NONBLOCK | unix.EFD_SEMAPHORE

// Eventfd implements Linux syscall eventfd(2).
func Eventfd(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return newEventfd(t, uint32(a[0]), 0)
}

// Eventfd2 implements Linux syscall eventfd2(2).
func Eventfd2(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return newEventfd(t, uint32(a[0]), int(int32(a[1])))
}

func newEventfd(t *kernel.Task, initval uint32, flags int) (uintptr, error) {
	if flags&^efdFlags != 0 {
		return 0, unix.EINVAL
	}
	e := eventfd.New(uint64(initval), flags&unix.EFD_SEMAPHORE != 0)
	return newAnonFD(t, e, unix.O_RDWR|uint32(flags&unix.EFD_NONBLOCK), flags&unix.EFD_CLOEXEC != 0)
}
