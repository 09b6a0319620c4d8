package linux

import (
	"bytes"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/sentry/arch"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
)

// ARCH_* codes of arch_prctl(2).
const (
	archSetGS = 0x1001
	archSetFS = 0x1002
	archGetFS = 0x1003
	archGetGS = 0x1004
)

// ArchPrctl implements Linux syscall arch_prctl(2).
func ArchPrctl(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	regs := &t.State().Regs
	switch a[0] {
	case archSetFS:
		if a[1] >= linux.TaskSize {
			return 0, unix.EPERM
		}
		regs.Fs_base = uint64(a[1])
	case archSetGS:
		if a[1] >= linux.TaskSize {
			return 0, unix.EPERM
		}
		regs.Gs_base = uint64(a[1])
	case archGetFS, archGetGS:
		v := regs.Fs_base
		if a[0] == archGetGS {
			v = regs.Gs_base
		}
		var b [8]byte
		le.PutUint64(b[:], v)
		_, err := t.CopyOut(a[1], b[:])
		return 0, err
	default:
		return 0, unix.EINVAL
	}
	return 0, nil
}

// Prctl implements Linux syscall prctl(2) for the options programs use.
func Prctl(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	switch int(a[0]) {
	case unix.PR_SET_NAME:
		// The name is up to 16 bytes with its NUL: longer ones are cut.
		var b [16]byte
		n, err := t.CopyIn(a[1], b[:])
		if n == 0 && err != nil {
			return 0, err
		}
		name := b[:n]
		if i := bytes.IndexByte(name, 0); i >= 0 {
			name = name[:i]
		}
		t.SetName(string(name))
		return 0, nil
	case unix.PR_SET_PDEATHSIG:
		sig := linux.Signal(a[1])
		if sig != 0 && !sig.Valid() {
			return 0, unix.EINVAL
		}
		t.SetPdeathSignal(sig)
		return 0, nil
	case unix.PR_GET_PDEATHSIG:
		var b [4]byte
		le.PutUint32(b[:], uint32(t.PdeathSignal()))
		_, err := t.CopyOut(a[1], b[:])
		return 0, err
	case unix.PR_GET_NAME:
		var b [16]byte
		copy(b[:15], t.Name())
		_, err := t.CopyOut(a[1], b[:])
		return 0, err
	case unix.PR_SET_NO_NEW_PRIVS:
		if a[1] != 1 || a[2] != 0 || a[3] != 0 || a[4] != 0 {
			return 0, unix.EINVAL
		}
		t.SetNoNewPrivs()
		return 0, nil
	case unix.PR_GET_NO_NEW_PRIVS:
		if a[1] != 0 || a[2] != 0 || a[3] != 0 || a[4] != 0 {
			return 0, unix.EINVAL
		}
		if t.NoNewPrivs() {
			return 1, nil
		}
		return 0, nil
	case unix.PR_SET_SECCOMP:
		switch a[1] {
		case kernel.SeccompModeStrict:
			return seccomp(t, seccompSetModeStrict, 0, 0)
		case kernel.SeccompModeFilter:
			return seccomp(t, seccompSetModeFilter, 0, a[2])
		}
		return 0, unix.EINVAL
	case unix.PR_SET_DUMPABLE,
		unix.PR_SET_CHILD_SUBREAPER, unix.PR_SET_TIMERSLACK:
		return 0, nil
	case unix.PR_GET_DUMPABLE:
		return 1, nil
	case unix.PR_CAPBSET_READ:
		if cp := int(a[1]); cp < 0 || cp > unix.CAP_LAST_CAP {
			return 0, unix.EINVAL
		}
		if t.Credentials().BoundingCaps.Has(int(a[1])) {
			return 1, nil
		}
		return 0, nil
	case unix.PR_CAPBSET_DROP:
		return 0, t.DropBoundingCap(int(a[1]))
	case unix.PR_CAP_AMBIENT:
		if a[3] != 0 || a[4] != 0 {
			return 0, unix.EINVAL
		}
		return t.AmbientCap(int(a[1]), int(a[2]))
	case unix.PR_SET_KEEPCAPS:
		if a[1] > 1 {
			return 0, unix.EINVAL
		}
		return 0, t.SetKeepCaps(a[1] == 1)
	case unix.PR_GET_KEEPCAPS:
		if t.Credentials().KeepCaps {
			return 1, nil
		}
		return 0, nil
	case unix.PR_GET_CHILD_SUBREAPER:
		var b [4]byte
		_, err := t.CopyOut(a[1], b[:])
		return 0, err
	case unix.PR_GET_SECCOMP:
		return uintptr(t.SeccompMode()), nil
	}
	return 0, unix.EINVAL
}
