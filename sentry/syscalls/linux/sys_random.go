package linux

import (
	"crypto/rand"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/arch"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
)

// Getrandom implements Linux syscall getrandom(2).
func Getrandom(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	if a[2]&^uintptr(unix.GRND_NONBLOCK|unix.GRND_RANDOM|unix.GRND_INSECURE) != 0 {
		return 0, unix.EINVAL
	}
	n := min(int(a[1]), 1<<20)
	if int(a[1]) < 0 {
		n = 1 << 20
	}
	b := t.Scratch(n)
	rand.Read(b)
	c, err := t.CopyOut(a[0], b)
	if c > 0 {
		return uintptr(c), nil
	}
	return 0, err
}
