package linux

import (
	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/arch"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
)

// membarrier(2) commands.
const (
	membarrierQuery                         = 0
	membarrierGlobal                        = 1 << 0
	membarrierGlobalExpedited               = 1 << 1
	membarrierRegisterGlobalExpedited       = 1 << 2
	membarrierPrivateExpedited              = 1 << 3
	membarrierRegisterPrivateExpedited      = 1 << 4
	membarrierPrivateExpeditedSyncCore      = 1 << 5
	membarrierRegisterPrivateExpeditedSync  = 1 << 6
	membarrierGetRegistrations              = 1 << 9
	membarrierSupported                     = membarrierGlobal | membarrierGlobalExpedited | membarrierRegisterGlobalExpedited | membarrierPrivateExpedited | membarrierRegisterPrivateExpedited | membarrierPrivateExpeditedSyncCore | membarrierRegisterPrivateExpeditedSync | membarrierGetRegistrations
	membarrierRegistrationsPrivateExpedited = membarrierRegisterPrivateExpedited
)

// Membarrier implements Linux syscall membarrier(2). Application threads
// run as host threads of the stubs, so every barrier is the host's
// MEMBARRIER_CMD_GLOBAL, which makes every running thread of the host
// pass a full memory barrier (and a core-serialising kernel entry) before
// it returns: correct for every command, at the cost of an RCU grace
// period. The expedited commands need their registration first (EPERM),
// as in Linux; registrations are the process's and end at execve.
func Membarrier(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	cmd, flags := int(a[0]), int(a[1])
	if flags != 0 {
		return 0, unix.EINVAL
	}
	tg := t.ThreadGroup()
	switch cmd {
	case membarrierQuery:
		return membarrierSupported, nil
	case membarrierGetRegistrations:
		return uintptr(tg.MembarrierRegistrations()), nil
	case membarrierRegisterGlobalExpedited, membarrierRegisterPrivateExpedited, membarrierRegisterPrivateExpeditedSync:
		tg.RegisterMembarrier(uint32(cmd))
		return 0, nil
	case membarrierGlobalExpedited:
		// Only processes that registered are concerned: without any,
		// nothing to do, as Linux.
	case membarrierPrivateExpedited:
		if tg.MembarrierRegistrations()&membarrierRegisterPrivateExpedited == 0 {
			return 0, unix.EPERM
		}
	case membarrierPrivateExpeditedSyncCore:
		if tg.MembarrierRegistrations()&membarrierRegisterPrivateExpeditedSync == 0 {
			return 0, unix.EPERM
		}
	case membarrierGlobal:
	default:
		return 0, unix.EINVAL
	}
	if _, _, e := unix.Syscall(unix.SYS_MEMBARRIER, membarrierGlobal, 0, 0); e != 0 {
		return 0, e
	}
	return 0, nil
}
