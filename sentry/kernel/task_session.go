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
	tg := t.tg
	target := tg
	if pid != 0 && pid != tg.ID() {
		c := k.threadGroups[pid]
		if c == nil || c.parent != tg {
			return unix.ESRCH
		}
		if c.sid != tg.sid {
			return unix.EPERM
		}
		if c.execed {
			return unix.EACCES
		}
		target = c
	}
	if target.sid == target.ID() {
		// A session leader cannot change its group.
		return unix.EPERM
	}
	if pgid == 0 {
		pgid = target.ID()
	}
	if pgid != target.ID() {
		// The group must exist in the caller's session.
		found := false
		for _, o := range k.threadGroups {
			if o.pgid == pgid && o.sid == tg.sid && o.exitState == exitRunning {
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
	tg := t.tg
	id := tg.ID()
	for _, o := range k.threadGroups {
		if o.pgid == id && o.exitState == exitRunning {
			return 0, unix.EPERM
		}
	}
	tg.sid, tg.pgid = id, id
	return id, nil
}

// KillPID implements kill(2)'s target selection: pid > 0 one process, 0
// the caller's group, -1 everyone but init and the caller, < -1 group
// -pid. The signals are process-directed.
func (t *Task) KillPID(pid int32, sig linux.Signal) error {
	if sig != 0 && !sig.Valid() {
		return unix.EINVAL
	}
	k := t.k
	tg := t.tg
	k.mu.Lock()
	var targets []*ThreadGroup
	switch {
	case pid > 0:
		// A zombie can still be signalled (to no effect), as in Linux.
		if o := k.threadGroups[pid]; o != nil && o.exitState != exitDead {
			targets = append(targets, o)
		}
	case pid == -1:
		// Every process of the caller's container (its PID namespace)
		// but its init and the caller.
		for _, o := range k.threadGroups {
			if o != tg && o.containerID == tg.containerID && !o.isInitLocked() && o.exitState == exitRunning {
				targets = append(targets, o)
			}
		}
	default:
		pgid := -pid
		if pid == 0 {
			pgid = tg.pgid
		}
		for _, o := range k.threadGroups {
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
	info := &linux.SignalInfo{Signo: int32(sig), Code: linux.SI_USER, PID: tg.ID(), UID: t.Credentials().RUID}
	permitted := false
	for _, o := range targets {
		if !t.maySignal(o.Leader(), sig) {
			continue
		}
		permitted = true
		if sig != 0 && !o.unkillableInit(sig, false /* fromOutside */) {
			o.SendSignal(info)
		}
	}
	if !permitted {
		return unix.EPERM
	}
	return nil
}

// TGKill sends sig to thread tid of process tgid (tgkill), or of any
// process if tgid is 0 (tkill). The signal is thread-directed.
func (t *Task) TGKill(tgid, tid int32, sig linux.Signal) error {
	if sig != 0 && !sig.Valid() {
		return unix.EINVAL
	}
	return t.signalThread(tgid, tid, sig, &linux.SignalInfo{Signo: int32(sig), Code: linux.SI_TKILL, PID: t.tg.ID(), UID: t.Credentials().RUID})
}

// QueueSignal sends info, with the caller's PID and UID, to process tgid
// (rt_sigqueueinfo, tid 0) or to its thread tid (rt_tgsigqueueinfo), with
// kill(2)'s permission check.
func (t *Task) QueueSignal(tgid, tid int32, info linux.SignalInfo) error {
	sig := linux.Signal(info.Signo)
	if !sig.Valid() {
		return unix.EINVAL
	}
	info.PID, info.UID = t.tg.ID(), t.Credentials().RUID
	if tid != 0 {
		return t.signalThread(tgid, tid, sig, &info)
	}
	tg := t.k.threadGroupByID(tgid)
	if tg == nil {
		return unix.ESRCH
	}
	if !t.maySignal(tg.Leader(), sig) {
		return unix.EPERM
	}
	if !tg.unkillableInit(sig, false /* fromOutside */) {
		return tg.SendSignal(&info)
	}
	return nil
}

// signalThread sends info (signal sig, 0 to only check) to thread tid,
// which must belong to process tgid unless that is 0.
func (t *Task) signalThread(tgid, tid int32, sig linux.Signal, info *linux.SignalInfo) error {
	o := t.k.TaskByTID(tid)
	if o == nil || o.IsZombie() || tgid != 0 && o.tg.ID() != tgid {
		return unix.ESRCH
	}
	if !t.maySignal(o, sig) {
		return unix.EPERM
	}
	if sig != 0 && !o.tg.unkillableInit(sig, false /* fromOutside */) {
		return o.SendSignal(info)
	}
	return nil
}

// threadGroupByID returns the live or zombie process tgid, or nil.
func (k *Kernel) threadGroupByID(tgid int32) *ThreadGroup {
	k.mu.Lock()
	defer k.mu.Unlock()
	if tg := k.threadGroups[tgid]; tg != nil && tg.exitState != exitDead {
		return tg
	}
	return nil
}

// unkillableInit reports whether sig must be dropped because tg is the
// init of its container and does not handle it, as for the init of a PID
// namespace (pid_namespaces(7)): from inside the container only handled
// signals reach it; from outside (fromOutside), SIGKILL and SIGSTOP are
// forced and other signals also reach it only if handled or blocked.
func (tg *ThreadGroup) unkillableInit(sig linux.Signal, fromOutside bool) bool {
	tg.k.mu.Lock()
	isInit := tg.isInitLocked()
	tg.k.mu.Unlock()
	if !isInit {
		return false
	}
	if sig == linux.SIGKILL || sig == linux.SIGSTOP {
		return !fromOutside
	}
	tg.sigMu.Lock()
	defer tg.sigMu.Unlock()
	// A blocked signal is queued all the same (Linux's sig_ignored):
	// inits that wait with sigtimedwait or signalfd (tini, systemd) get it.
	return tg.handlers.actions[sig].Handler == linux.SIG_DFL && !tg.blockedLocked(nil, sig)
}

// maySignal reports whether t may send sig to o (kill(2)'s permission
// rule, Linux's check_kill_permission): a thread may signal its own
// process; with CAP_KILL anyone; otherwise its real or effective user ID
// must match the target's real or saved one; SIGCONT within a session is
// always allowed.
func (t *Task) maySignal(o *Task, sig linux.Signal) bool {
	if t.tg == o.tg {
		return true
	}
	c, oc := t.Credentials(), o.Credentials()
	if c.HasCapability(unix.CAP_KILL) {
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
