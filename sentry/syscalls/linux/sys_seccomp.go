package linux

import (
	"sync"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/arch"
	"github.com/cocoon-sandbox/cocoon/sentry/bpf"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
)

// seccomp(2) operations.
const (
	seccompSetModeStrict   = 0
	seccompSetModeFilter   = 1
	seccompGetActionAvail  = 2
	seccompGetNotifSizes   = 3
	seccompKnownFilterFlag = kernel.SeccompFlagTsync | kernel.SeccompFlagLog | kernel.SeccompFlagSpecAllow |
		kernel.SeccompFlagListener | kernel.SeccompFlagTsyncEsrch | kernel.SeccompFlagKillable
)

// sockFprogSize is sizeof(struct sock_fprog): a u16 length, padding, a
// pointer to the instructions.
const sockFprogSize = 16

var listenerOnce sync.Once

// Seccomp implements Linux syscall seccomp(2).
func Seccomp(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return seccomp(t, uint32(a[0]), uint32(a[1]), a[2])
}

// seccomp is do_seccomp of kernel/seccomp.c, shared with prctl.
func seccomp(t *kernel.Task, op, flags uint32, uargs uintptr) (uintptr, error) {
	switch op {
	case seccompSetModeStrict:
		if flags != 0 || uargs != 0 {
			return 0, unix.EINVAL
		}
		return 0, t.SetSeccompStrict()
	case seccompSetModeFilter:
		return seccompSetFilter(t, flags, uargs)
	case seccompGetActionAvail:
		if flags != 0 {
			return 0, unix.EINVAL
		}
		var b [4]byte
		if _, err := t.CopyIn(uargs, b[:]); err != nil {
			return 0, unix.EFAULT
		}
		switch le.Uint32(b[:]) {
		case unix.SECCOMP_RET_KILL_PROCESS, unix.SECCOMP_RET_KILL_THREAD, unix.SECCOMP_RET_TRAP,
			unix.SECCOMP_RET_ERRNO, unix.SECCOMP_RET_USER_NOTIF, unix.SECCOMP_RET_TRACE,
			unix.SECCOMP_RET_LOG, unix.SECCOMP_RET_ALLOW:
			return 0, nil
		}
		return 0, unix.EOPNOTSUPP
	case seccompGetNotifSizes:
		if flags != 0 {
			return 0, unix.EINVAL
		}
		// struct seccomp_notif_sizes: seccomp_notif (id, pid, flags,
		// seccomp_data), seccomp_notif_resp (id, val, error, flags),
		// seccomp_data.
		var b [6]byte
		le.PutUint16(b[0:], 16+bpf.DataSize)
		le.PutUint16(b[2:], 24)
		le.PutUint16(b[4:], bpf.DataSize)
		if _, err := t.CopyOut(uargs, b[:]); err != nil {
			return 0, unix.EFAULT
		}
		return 0, nil
	}
	return 0, unix.EINVAL
}

// seccompSetFilter is SECCOMP_SET_MODE_FILTER, checked in Linux's order:
// the flags, the sock_fprog (EFAULT), its length and a NULL program
// (EINVAL, bpf_check_basics_ok), no_new_privs
// or CAP_SYS_ADMIN (EACCES), the instructions (EFAULT), the program
// (EINVAL).
func seccompSetFilter(t *kernel.Task, flags uint32, uargs uintptr) (uintptr, error) {
	if flags&^seccompKnownFilterFlag != 0 {
		return 0, unix.EINVAL
	}
	if flags&kernel.SeccompFlagListener != 0 {
		// A listener needs the whole user-notification protocol on an
		// FD; refused until it exists.
		listenerOnce.Do(func() { t.Logf("seccomp: SECCOMP_FILTER_FLAG_NEW_LISTENER is not supported (EINVAL)") })
		return 0, unix.EINVAL
	}
	if flags&kernel.SeccompFlagKillable != 0 {
		// Meaningful only with a listener.
		return 0, unix.EINVAL
	}
	var fprog [sockFprogSize]byte
	if _, err := t.CopyIn(uargs, fprog[:]); err != nil {
		return 0, unix.EFAULT
	}
	n := int(le.Uint16(fprog[0:]))
	insnsAddr := uintptr(le.Uint64(fprog[8:]))
	if n == 0 || n > bpf.MaxInsns || insnsAddr == 0 {
		return 0, unix.EINVAL
	}
	if !t.NoNewPrivs() && !t.Credentials().HasCapability(unix.CAP_SYS_ADMIN) {
		return 0, unix.EACCES
	}
	raw := make([]byte, n*bpf.InsnSize)
	if _, err := t.CopyIn(insnsAddr, raw); err != nil {
		return 0, unix.EFAULT
	}
	prog, err := bpf.Compile(bpf.DecodeInsns(raw))
	if err != nil {
		return 0, err
	}
	tid, err := t.AddSeccompFilter(prog, flags)
	return uintptr(tid), err
}
