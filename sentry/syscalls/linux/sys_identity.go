package linux

import (
	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/arch"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
)

// Getuid implements Linux syscall getuid(2).
func Getuid(t *kernel.Task, _ arch.SyscallArgs) (uintptr, error) {
	return uintptr(t.Credentials().RUID), nil
}

// Geteuid implements Linux syscall geteuid(2).
func Geteuid(t *kernel.Task, _ arch.SyscallArgs) (uintptr, error) {
	return uintptr(t.Credentials().EUID), nil
}

// Getgid implements Linux syscall getgid(2).
func Getgid(t *kernel.Task, _ arch.SyscallArgs) (uintptr, error) {
	return uintptr(t.Credentials().RGID), nil
}

// Getegid implements Linux syscall getegid(2).
func Getegid(t *kernel.Task, _ arch.SyscallArgs) (uintptr, error) {
	return uintptr(t.Credentials().EGID), nil
}

// Getresuid implements Linux syscall getresuid(2).
func Getresuid(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	c := t.Credentials()
	return 0, copyOutIDs(t, a, c.RUID, c.EUID, c.SUID)
}

// Getresgid implements Linux syscall getresgid(2).
func Getresgid(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	c := t.Credentials()
	return 0, copyOutIDs(t, a, c.RGID, c.EGID, c.SGID)
}

func copyOutIDs(t *kernel.Task, a arch.SyscallArgs, ids ...uint32) error {
	for i, id := range ids {
		var b [4]byte
		le.PutUint32(b[:], id)
		if _, err := t.CopyOut(a[i], b[:]); err != nil {
			return err
		}
	}
	return nil
}

// Getgroups implements Linux syscall getgroups(2).
func Getgroups(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	groups := t.Credentials().Groups
	size := int(int32(a[0]))
	if size < 0 {
		return 0, unix.EINVAL
	}
	if size == 0 {
		return uintptr(len(groups)), nil
	}
	if size < len(groups) {
		return 0, unix.EINVAL
	}
	b := make([]byte, 4*len(groups))
	for i, g := range groups {
		le.PutUint32(b[4*i:], g)
	}
	_, err := t.CopyOut(a[1], b)
	return uintptr(len(groups)), err
}

// The set*id calls: the rules, and their effect on capabilities, live in
// sentry/kernel/task_identity.go.

// Setuid implements Linux syscall setuid(2).
func Setuid(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, t.SetUID(uint32(a[0]))
}

// Setgid implements Linux syscall setgid(2).
func Setgid(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, t.SetGID(uint32(a[0]))
}

// Setresuid implements Linux syscall setresuid(2).
func Setresuid(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, t.SetRESUID(uint32(a[0]), uint32(a[1]), uint32(a[2]))
}

// Setresgid implements Linux syscall setresgid(2).
func Setresgid(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, t.SetRESGID(uint32(a[0]), uint32(a[1]), uint32(a[2]))
}

// Setreuid implements Linux syscall setreuid(2).
func Setreuid(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, t.SetREUID(uint32(a[0]), uint32(a[1]))
}

// Setregid implements Linux syscall setregid(2).
func Setregid(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, t.SetREGID(uint32(a[0]), uint32(a[1]))
}

// Setfsuid implements Linux syscall setfsuid(2): it returns the previous
// file-system user ID, changed or not.
func Setfsuid(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return uintptr(t.SetFSUID(uint32(a[0]))), nil
}

// Setfsgid implements Linux syscall setfsgid(2).
func Setfsgid(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return uintptr(t.SetFSGID(uint32(a[0]))), nil
}

// Setgroups implements Linux syscall setgroups(2).
func Setgroups(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	if !t.Credentials().HasCapability(unix.CAP_SETGID) {
		return 0, unix.EPERM
	}
	n := int(int32(a[0]))
	if n < 0 || n > kernel.MaxGroups {
		return 0, unix.EINVAL
	}
	b := make([]byte, 4*n)
	if _, err := t.CopyIn(a[1], b); err != nil {
		return 0, err
	}
	groups := make([]uint32, n)
	for i := range groups {
		groups[i] = le.Uint32(b[4*i:])
	}
	return 0, t.SetGroups(groups)
}

// Capget implements Linux syscall capget(2) for the caller's own sets
// (any version: the two 32-bit halves of each set).
func Capget(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	if a[1] == 0 {
		return 0, nil
	}
	c := t.Credentials()
	var b [24]byte
	for i, set := range []kernel.CapabilitySet{c.EffectiveCaps, c.PermittedCaps, c.InheritableCaps} {
		le.PutUint32(b[4*i:], uint32(set))
		le.PutUint32(b[12+4*i:], uint32(set>>32))
	}
	_, err := t.CopyOut(a[1], b[:])
	return 0, err
}
