package linux

import (
	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/arch"
	"github.com/cocoon-sandbox/cocoon/sentry/kernel"
)

// Sysinfo implements Linux syscall sysinfo(2).
func Sysinfo(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	var b [112]byte
	k := t.Kernel()
	uptime := int64(kernelUptime(k).Seconds())
	le.PutUint64(b[0:], uint64(uptime))
	var si unix.Sysinfo_t
	unix.Sysinfo(&si)
	le.PutUint64(b[32:], si.Totalram*uint64(si.Unit))
	le.PutUint64(b[40:], si.Freeram*uint64(si.Unit))
	le.PutUint16(b[80:], uint16(len(k.TIDs())))
	le.PutUint32(b[104:], 1)
	_, err := t.CopyOut(a[0], b[:])
	return 0, err
}
