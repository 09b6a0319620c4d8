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

// Setuid implements Linux syscall setuid(2): root sets all three IDs,
// others may only set the effective ID to the real or saved one.
func Setuid(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, setID(t, uint32(a[0]), false)
}

// Setgid implements Linux syscall setgid(2).
func Setgid(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, setID(t, uint32(a[0]), true)
}

// idTriple is a real, effective and saved ID, of users or of groups.
type idTriple struct{ r, e, s *uint32 }

func ids(c *kernel.Credentials, group bool) idTriple {
	if group {
		return idTriple{&c.RGID, &c.EGID, &c.SGID}
	}
	return idTriple{&c.RUID, &c.EUID, &c.SUID}
}

func setID(t *kernel.Task, id uint32, group bool) error {
	c := t.Credentials()
	x := ids(c, group)
	switch {
	case c.EUID == 0:
		*x.r, *x.e, *x.s = id, id, id
	case id == *x.r || id == *x.s:
		*x.e = id
	default:
		return unix.EPERM
	}
	return nil
}

// noChange is -1 as a uid_t/gid_t argument: leave the ID as it is.
const noChange = ^uint32(0)

// Setresuid implements Linux syscall setresuid(2).
func Setresuid(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, setRES(t, uint32(a[0]), uint32(a[1]), uint32(a[2]), false)
}

// Setresgid implements Linux syscall setresgid(2).
func Setresgid(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, setRES(t, uint32(a[0]), uint32(a[1]), uint32(a[2]), true)
}

// setRES sets the real, effective and saved IDs; an unprivileged caller
// may only use IDs it already has.
func setRES(t *kernel.Task, r, e, s uint32, group bool) error {
	c := t.Credentials()
	x := ids(c, group)
	allowed := func(id uint32) bool {
		return id == noChange || c.EUID == 0 || id == *x.r || id == *x.e || id == *x.s
	}
	if !allowed(r) || !allowed(e) || !allowed(s) {
		return unix.EPERM
	}
	for _, p := range []struct {
		dst *uint32
		v   uint32
	}{{x.r, r}, {x.e, e}, {x.s, s}} {
		if p.v != noChange {
			*p.dst = p.v
		}
	}
	return nil
}

// Setreuid implements Linux syscall setreuid(2).
func Setreuid(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, setRE(t, uint32(a[0]), uint32(a[1]), false)
}

// Setregid implements Linux syscall setregid(2).
func Setregid(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, setRE(t, uint32(a[0]), uint32(a[1]), true)
}

// setRE sets the real and effective IDs (setreuid(2)): the saved ID follows
// the new effective one when the real ID is set or the effective one no
// longer equals the old real ID.
func setRE(t *kernel.Task, r, e uint32, group bool) error {
	c := t.Credentials()
	x := ids(c, group)
	oldR := *x.r
	if c.EUID != 0 {
		if r != noChange && r != *x.r && r != *x.e {
			return unix.EPERM
		}
		if e != noChange && e != *x.r && e != *x.e && e != *x.s {
			return unix.EPERM
		}
	}
	if r != noChange {
		*x.r = r
	}
	if e != noChange {
		*x.e = e
	}
	if r != noChange || e != noChange && e != oldR {
		*x.s = *x.e
	}
	return nil
}

// Setfsuid implements Linux syscall setfsuid(2). The file-system IDs
// follow the effective ones here, so it only reports them.
func Setfsuid(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return uintptr(t.Credentials().EUID), nil
}

// Setfsgid implements Linux syscall setfsgid(2).
func Setfsgid(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return uintptr(t.Credentials().EGID), nil
}

// Setgroups implements Linux syscall setgroups(2).
func Setgroups(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	c := t.Credentials()
	if c.EUID != 0 {
		return 0, unix.EPERM
	}
	n := int(a[0])
	if n < 0 || n > 65536 {
		return 0, unix.EINVAL
	}
	b := make([]byte, 4*n)
	if _, err := t.CopyIn(a[1], b); err != nil {
		return 0, err
	}
	c.Groups = c.Groups[:0]
	for i := 0; i < n; i++ {
		c.Groups = append(c.Groups, le.Uint32(b[4*i:]))
	}
	return 0, nil
}

// Capget implements Linux syscall capget(2): root has every capability in
// the sandbox, others none.
func Capget(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	if a[1] == 0 {
		return 0, nil
	}
	var b [24]byte
	if t.Credentials().EUID == 0 {
		for i := 0; i < 2; i++ {
			le.PutUint32(b[i*12:], 0xffffffff)
			le.PutUint32(b[i*12+4:], 0xffffffff)
		}
		le.PutUint32(b[12:], 0x1ff)
		le.PutUint32(b[16:], 0x1ff)
	}
	_, err := t.CopyOut(a[1], b[:])
	return 0, err
}
