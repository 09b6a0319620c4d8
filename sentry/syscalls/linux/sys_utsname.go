package linux

import (
	"github.com/cocoon-sandbox/cocoon/sentry/arch"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
)

// Uname implements Linux syscall uname(2): the sentry's own kernel, never
// the host's.
func Uname(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	const field = 65
	var b [6 * field]byte
	k := t.Kernel()
	for i, s := range []string{"Linux", k.Hostname, k.Release, k.Version, "x86_64", "(none)"} {
		copy(b[i*field:(i+1)*field-1], s)
	}
	_, err := t.CopyOut(a[0], b[:])
	return 0, err
}
