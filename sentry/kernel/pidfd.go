package kernel

import (
	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// PIDFD is the file of a pidfd (pidfd_open(2), CLONE_PIDFD): it names a
// process for pidfd_send_signal, pidfd_getfd and waitid(P_PIDFD), and is
// readable (POLLIN) once that process has exited.
type PIDFD struct {
	vfs.FileDefaults
	tg *ThreadGroup
}

// NewPIDFD returns a pidfd description for tg, with flags (O_NONBLOCK)
// and O_RDWR as Linux gives it.
func NewPIDFD(tg *ThreadGroup, flags uint32) *vfs.FileDescription {
	return vfs.NewFileDescription(&PIDFD{tg: tg}, unix.O_RDWR|flags, nil)
}

// ThreadGroup returns the process the pidfd names.
func (p *PIDFD) ThreadGroup() *ThreadGroup { return p.tg }

// Read implements vfs.FileImpl: a pidfd has no data.
func (p *PIDFD) Read(vfs.Context, []byte, int64) (int, error) { return 0, unix.EINVAL }

// Write implements vfs.FileImpl.
func (p *PIDFD) Write(vfs.Context, []byte, int64) (int, error) { return 0, unix.EINVAL }

// Seekable implements vfs.FileImpl.
func (p *PIDFD) Seekable() bool { return false }

// Name implements vfs.FileNamer.
func (p *PIDFD) Name() string { return "anon_inode:[pidfd]" }

// Readiness implements vfs.FileImpl: readable once the process exited,
// and POLLHUP too once it was reaped, as Linux 6.x.
func (p *PIDFD) Readiness(mask uint32) uint32 {
	k := p.tg.k
	k.mu.Lock()
	state := p.tg.exitState
	k.mu.Unlock()
	var r uint32
	switch state {
	case exitZombie:
		r = linux.POLLIN | linux.POLLRDNORM
	case exitDead:
		r = linux.POLLIN | linux.POLLRDNORM | linux.POLLHUP
	}
	return r & mask
}

// EventRegister implements vfs.Waitable.
func (p *PIDFD) EventRegister(e *vfs.WaitEntry) { p.tg.exitWaiters.EventRegister(e) }

// EventUnregister implements vfs.Waitable.
func (p *PIDFD) EventUnregister(e *vfs.WaitEntry) { p.tg.exitWaiters.EventUnregister(e) }

// PIDFDOpen returns a pidfd for process pid (pidfd_open): ESRCH if there
// is none (or it was reaped), EINVAL if pid names a thread that is not a
// leader.
func (t *Task) PIDFDOpen(pid int32, flags uint32) (*vfs.FileDescription, error) {
	tg := t.k.threadGroupByID(pid)
	if tg == nil {
		if o := t.k.TaskByTID(pid); o != nil {
			return nil, unix.EINVAL
		}
		return nil, unix.ESRCH
	}
	t.k.mu.Lock()
	dead := tg.exitState == exitDead
	t.k.mu.Unlock()
	if dead {
		return nil, unix.ESRCH
	}
	return NewPIDFD(tg, flags), nil
}

// PIDFDSendSignal sends sig to the process of a pidfd (pidfd_send_signal)
// with kill(2)'s permission check: info, if not nil, is the siginfo the
// caller gave (its code must be negative unless it signals itself).
func (t *Task) PIDFDSendSignal(tg *ThreadGroup, sig linux.Signal, info *linux.SignalInfo) error {
	if sig != 0 && !sig.Valid() {
		return unix.EINVAL
	}
	t.k.mu.Lock()
	alive := tg.exitState == exitRunning
	t.k.mu.Unlock()
	if !alive {
		return unix.ESRCH
	}
	if !t.maySignal(tg.Leader(), sig) {
		return unix.EPERM
	}
	if info == nil {
		info = &linux.SignalInfo{Signo: int32(sig), Code: linux.SI_USER, PID: t.tg.ID(), UID: t.Credentials().RUID}
	} else {
		if info.Signo != int32(sig) {
			return unix.EINVAL
		}
		if (info.Code >= 0 || info.Code == linux.SI_TKILL) && tg != t.tg {
			return unix.EPERM
		}
	}
	if sig == 0 || tg.unkillableInit(sig, false /* fromOutside */) {
		return nil
	}
	return tg.SendSignal(info)
}

// PIDFDGetFD duplicates descriptor fd of the process of a pidfd
// (pidfd_getfd): it needs the right to ptrace that process (same real
// user and group as its IDs, or CAP_SYS_PTRACE): EPERM otherwise, ESRCH
// if it exited, EBADF if it has no such descriptor.
func (t *Task) PIDFDGetFD(tg *ThreadGroup, fd int32) (*vfs.FileDescription, error) {
	leader := tg.Leader()
	if leader.IsZombie() {
		return nil, unix.ESRCH
	}
	c, tc := t.Credentials(), leader.Credentials()
	if !c.HasCapability(unix.CAP_SYS_PTRACE) &&
		(c.RUID != tc.RUID || c.RUID != tc.EUID || c.RUID != tc.SUID || c.RGID != tc.RGID || c.RGID != tc.EGID || c.RGID != tc.SGID) {
		return nil, unix.EPERM
	}
	table := leader.FDTable()
	if table == nil {
		return nil, unix.ESRCH
	}
	return table.Get(fd)
}
