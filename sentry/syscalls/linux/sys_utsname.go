package linux

import (
	"github.com/cocoon-sandbox/cocoon/sentry/arch"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
)

// Uname implements Linux syscall uname(2): the sentry's own kernel, never
// the host's, and the sandbox's host and domain names.
func Uname(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	const field = 65
	var b [6 * field]byte
	k, u := t.Kernel(), t.UTS()
	for i, s := range []string{"Linux", u.Hostname(), k.Release, k.Version, "x86_64", u.Domainname()} {
		copy(b[i*field:(i+1)*field-1], s)
	}
	_, err := t.CopyOut(a[0], b[:])
	return 0, err
}

// Sethostname implements Linux syscall sethostname(2).
func Sethostname(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, setUTSName(t, a, false)
}

// Setdomainname implements Linux syscall setdomainname(2).
func Setdomainname(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, setUTSName(t, a, true)
}

// setUTSName copies in the name (addr a[0], length a[1]) and sets it in
// the caller's UTS namespace. As Linux: EPERM first, then EINVAL for a
// negative or too long length, then EFAULT.
func setUTSName(t *kernel.Task, a arch.SyscallArgs, domain bool) error {
	n := int64(a[1])
	if err := t.MaySetUTSName(n); err != nil {
		return err
	}
	name := make([]byte, n)
	if _, err := t.CopyIn(a[0], name); err != nil {
		return err
	}
	return t.SetUTSName(name, domain)
}
