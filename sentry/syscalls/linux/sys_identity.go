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

// Capability header versions (linux/capability.h): version 1 has one
// 32-bit data struct, versions 2 and 3 two.
const (
	capVersion1 = 0x19980330
	capVersion2 = 0x20071026
	capVersion3 = 0x20080522
)

// capHeader reads capget/capset's header at addr: the number of data
// structs its version has, and the target pid. An unknown version is
// answered with version 3 written back and EINVAL, as Linux does.
func capHeader(t *kernel.Task, addr uintptr) (structs int, pid int32, err error) {
	var h [8]byte
	if _, err := t.CopyIn(addr, h[:]); err != nil {
		return 0, 0, err
	}
	switch le.Uint32(h[:]) {
	case capVersion1:
		structs = 1
	case capVersion2, capVersion3:
		structs = 2
	default:
		var v [4]byte
		le.PutUint32(v[:], capVersion3)
		if _, err := t.CopyOut(addr, v[:]); err != nil {
			return 0, 0, err
		}
		return 0, 0, unix.EINVAL
	}
	return structs, int32(le.Uint32(h[4:])), nil
}

// Capget implements Linux syscall capget(2): the effective, permitted and
// inheritable sets of the caller or of thread pid, in 32-bit halves.
func Capget(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	structs, pid, err := capHeader(t, a[0])
	if err == unix.EINVAL && a[1] == 0 {
		// A version probe (libcap's): the preferred version was
		// written back, and a NULL data pointer makes it succeed.
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if pid < 0 {
		return 0, unix.EINVAL
	}
	target, err := taskOrSelf(t, pid)
	if err != nil {
		return 0, err
	}
	if a[1] == 0 {
		return 0, nil
	}
	c := target.Credentials()
	b := make([]byte, 12*structs)
	for i, set := range []kernel.CapabilitySet{c.EffectiveCaps, c.PermittedCaps, c.InheritableCaps} {
		le.PutUint32(b[4*i:], uint32(set))
		if structs == 2 {
			le.PutUint32(b[12+4*i:], uint32(set>>32))
		}
	}
	_, err = t.CopyOut(a[1], b)
	return 0, err
}

// Capset implements Linux syscall capset(2) for the caller's own sets
// (pid 0 or its own TID; EPERM for any other).
func Capset(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	structs, pid, err := capHeader(t, a[0])
	if err != nil {
		return 0, err
	}
	if pid != 0 && pid != t.TID() {
		return 0, unix.EPERM
	}
	b := make([]byte, 12*structs)
	if _, err := t.CopyIn(a[1], b); err != nil {
		return 0, err
	}
	var sets [3]kernel.CapabilitySet
	for i := range sets {
		sets[i] = kernel.CapabilitySet(le.Uint32(b[4*i:]))
		if structs == 2 {
			sets[i] |= kernel.CapabilitySet(le.Uint32(b[12+4*i:])) << 32
		}
	}
	if structs == 1 {
		// Version 1 cannot name capabilities past 31: keep the
		// caller's upper halves.
		c := t.Credentials()
		for i, old := range []kernel.CapabilitySet{c.EffectiveCaps, c.PermittedCaps, c.InheritableCaps} {
			sets[i] |= old &^ 0xffffffff
		}
	}
	return 0, t.CapSet(sets[0], sets[1], sets[2])
}
