package linux

import (
	"github.com/cocoon-sandbox/cocoon/sentry/arch"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
)

// Unshare implements Linux syscall unshare(2).
func Unshare(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, t.Unshare(uint64(a[0]))
}
