package kernel

import (
	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
)

// SetClearChildTID records the set_tid_address address.
func (t *Task) SetClearChildTID(addr uintptr) { t.clearChildTID = addr }

// SetPGID implements setpgid(2): pid 0 means the caller, pgid 0 means pid.
func (t *Task) SetPGID(pid, pgid int32) error {
	if pgid < 0 {
		return unix.EINVAL
	}
	k := t.k
	k.mu.Lock()
	defer k.mu.Unlock()
	target := t
	if pid != 0 && pid != t.tid {
		c := k.tasks[pid]
		if c == nil || c.parent != t {
			return unix.ESRCH
		}
		if c.sid != t.sid {
			return unix.EPERM
		}
		if c.execed {
			return unix.EACCES
		}
		target = c
	}
	if target.sid == target.tid {
		// A session leader cannot change its group.
		return unix.EPERM
	}
	if pgid == 0 {
		pgid = target.tid
	}
	if pgid != target.tid {
		// The group must exist in the caller's session.
		found := false
		for _, o := range k.tasks {
			if o.pgid == pgid && o.sid == t.sid && o.exitState == exitRunning {
				found = true
				break
			}
		}
		if !found {
			return unix.EPERM
		}
	}
	target.pgid = pgid
	return nil
}

// SetSID implements setsid(2).
func (t *Task) SetSID() (int32, error) {
	k := t.k
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, o := range k.tasks {
		if o.pgid == t.tid && o.exitState == exitRunning {
			return 0, unix.EPERM
		}
	}
	t.sid, t.pgid = t.tid, t.tid
	return t.tid, nil
}

// Kill implements kill(2)'s target selection: pid > 0 one process, 0 the
// caller's group, -1 everyone but init and the caller, < -1 group -pid.
func (t *Task) KillPID(pid int32, sig linux.Signal) error {
	if sig != 0 && !sig.Valid() {
		return unix.EINVAL
	}
	k := t.k
	k.mu.Lock()
	var targets []*Task
	switch {
	case pid > 0:
		// A zombie can still be signalled (to no effect), as in Linux.
		if o := k.tasks[pid]; o != nil && o.exitState != exitDead {
			targets = append(targets, o)
		}
	case pid == -1:
		// Every process of the caller's container (its PID namespace)
		// but its init and the caller.
		for _, o := range k.tasks {
			if o != t && o.containerID == t.containerID && !o.isInitLocked() && o.exitState == exitRunning {
				targets = append(targets, o)
			}
		}
	default:
		pgid := -pid
		if pid == 0 {
			pgid = t.pgid
		}
		for _, o := range k.tasks {
			if o.pgid == pgid && o.exitState == exitRunning {
				targets = append(targets, o)
			}
		}
	}
	k.mu.Unlock()
	if len(targets) == 0 {
		if pid == -1 {
			return nil
		}
		return unix.ESRCH
	}
	permitted := targets[:0]
	for _, o := range targets {
		if t.maySignal(o, sig) {
			permitted = append(permitted, o)
		}
	}
	if len(permitted) == 0 {
		return unix.EPERM
	}
	if sig == 0 {
		return nil
	}
	for _, o := range permitted {
		if o.unkillableInit(sig, false /* fromOutside */) {
			continue
		}
		o.SendSignal(&linux.SignalInfo{Signo: int32(sig), Code: linux.SI_USER, PID: t.tid, UID: t.Credentials().RUID})
	}
	return nil
}

// TKill sends sig to the task with tid (tkill, tgkill).
func (t *Task) TKill(tid int32, sig linux.Signal) error {
	if sig != 0 && !sig.Valid() {
		return unix.EINVAL
	}
	o := t.k.TaskByTID(tid)
	if o == nil || o.IsZombie() {
		return unix.ESRCH
	}
	if !t.maySignal(o, sig) {
		return unix.EPERM
	}
	if sig != 0 && !o.unkillableInit(sig, false /* fromOutside */) {
		o.SendSignal(&linux.SignalInfo{Signo: int32(sig), Code: linux.SI_TKILL, PID: t.tid, UID: t.Credentials().RUID})
	}
	return nil
}

// unkillableInit reports whether sig must be dropped because t is the init
// of its container and does not handle it, as for the init of a PID
// namespace (pid_namespaces(7)): from inside the container only handled
// signals reach it; from outside (fromOutside), SIGKILL and SIGSTOP are
// forced and other signals also reach it only if handled.
func (t *Task) unkillableInit(sig linux.Signal, fromOutside bool) bool {
	t.k.mu.Lock()
	isInit := t.isInitLocked()
	t.k.mu.Unlock()
	if !isInit {
		return false
	}
	if sig == linux.SIGKILL || sig == linux.SIGSTOP {
		return !fromOutside
	}
	t.sigMu.Lock()
	defer t.sigMu.Unlock()
	return t.handlers.actions[sig].Handler == linux.SIG_DFL
}

// maySignal reports whether t may send sig to o (kill(2)'s permission
// rule, Linux's check_kill_permission): with CAP_KILL it may signal
// anyone; otherwise its real or effective user ID must match the target's
// real or saved one; SIGCONT within a session is always allowed.
func (t *Task) maySignal(o *Task, sig linux.Signal) bool {
	c, oc := t.Credentials(), o.Credentials()
	if t == o || c.HasCapability(unix.CAP_KILL) {
		return true
	}
	if c.EUID == oc.SUID || c.EUID == oc.RUID || c.RUID == oc.SUID || c.RUID == oc.RUID {
		return true
	}
	if sig == linux.SIGCONT {
		_, sid := t.ProcessGroup()
		_, osid := o.ProcessGroup()
		return sid == osid
	}
	return false
}
