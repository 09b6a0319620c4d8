package linux

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/arch"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
)

// Prlimit64 implements Linux syscall prlimit64(2).
func Prlimit64(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	pid, res, newAddr, oldAddr := int32(a[0]), int(a[1]), a[2], a[3]
	target, err := taskOrSelf(t, pid)
	if err != nil {
		return 0, err
	}
	return 0, rlimit(t, target, res, newAddr, oldAddr)
}

// Getrlimit implements Linux syscall getrlimit(2).
func Getrlimit(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, rlimit(t, t, int(a[0]), 0, a[1])
}

// Setrlimit implements Linux syscall setrlimit(2).
func Setrlimit(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, rlimit(t, t, int(a[0]), a[1], 0)
}

func rlimit(t, target *kernel.Task, res int, newAddr, oldAddr uintptr) error {
	var b [16]byte
	var newLim *kernel.RLimit
	if newAddr != 0 {
		if _, err := t.CopyIn(newAddr, b[:]); err != nil {
			return err
		}
		newLim = &kernel.RLimit{Cur: le.Uint64(b[0:]), Max: le.Uint64(b[8:])}
	}
	old, err := t.RlimitOf(target, res, newLim)
	if err != nil {
		return err
	}
	if oldAddr != 0 {
		le.PutUint64(b[0:], old.Cur)
		le.PutUint64(b[8:], old.Max)
		if _, err := t.CopyOut(oldAddr, b[:]); err != nil {
			return err
		}
	}
	return nil
}

// rusageSize is sizeof(struct rusage) on x86-64.
const rusageSize = 144

// getrusage(2) who values.
const (
	rusageSelf     = 0
	rusageChildren = -1
	rusageThread   = 1
)

// Getrusage implements Linux syscall getrusage(2): user time is the time
// the application ran (system time is not accounted yet).
func Getrusage(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	var utime time.Duration
	switch int32(a[0]) {
	case rusageSelf, rusageThread:
		utime = t.UserTime()
	case rusageChildren:
		utime = t.ChildrenUserTime()
	default:
		return 0, unix.EINVAL
	}
	var b [rusageSize]byte
	le.PutUint64(b[0:], uint64(utime/time.Second))
	le.PutUint64(b[8:], uint64(utime%time.Second/time.Microsecond))
	_, err := t.CopyOut(a[1], b[:])
	return 0, err
}
