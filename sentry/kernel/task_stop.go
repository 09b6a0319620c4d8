package kernel

import (
	"github.com/cocoon-sandbox/cocoon/abi/linux"
)

// groupStop stops the task on a stop signal (SIGSTOP, SIGTSTP, SIGTTIN,
// SIGTTOU with SIG_DFL): the parent is told (wait with WUNTRACED, and
// SIGCHLD unless it asked for SA_NOCLDSTOP), and the task waits until
// SIGCONT or SIGKILL, as Linux's do_signal_stop.
func (t *Task) groupStop(sig linux.Signal) {
	t.sigMu.Lock()
	if t.continued == nil {
		t.continued = make(chan struct{})
	}
	t.stopped = true
	cont := t.continued
	t.sigMu.Unlock()

	k := t.k
	k.mu.Lock()
	t.stopReport, t.contReport = sig, false
	parent := t.parent
	if parent != nil {
		notify(parent.childEvent)
	}
	k.mu.Unlock()
	t.notifyParentJobControl(parent, linux.CLD_STOPPED, int32(sig))

	t.runState.Store(stateStopped)
	defer t.runState.Store(stateRunning)
	for {
		select {
		case <-cont:
			return
		case <-t.interruptCh:
			t.sigMu.Lock()
			killed := t.exiting || t.pending&linux.SIGKILL.Mask() != 0
			if killed {
				t.stopped = false
			}
			t.sigMu.Unlock()
			if killed {
				return
			}
		}
	}
}

// reportContinued tells the parent that SIGCONT resumed the task.
func (t *Task) reportContinued() {
	k := t.k
	k.mu.Lock()
	t.stopReport, t.contReport = 0, true
	parent := t.parent
	if parent != nil {
		notify(parent.childEvent)
	}
	k.mu.Unlock()
	t.notifyParentJobControl(parent, linux.CLD_CONTINUED, int32(linux.SIGCONT))
}

// notifyParentJobControl sends the parent SIGCHLD for a stop or continue,
// unless its SIGCHLD action has SA_NOCLDSTOP.
func (t *Task) notifyParentJobControl(parent *Task, code, status int32) {
	if parent == nil {
		return
	}
	parent.sigMu.Lock()
	noStop := parent.handlers.actions[linux.SIGCHLD].Flags&linux.SA_NOCLDSTOP != 0
	parent.sigMu.Unlock()
	if !noStop {
		parent.SendSignal(&linux.SignalInfo{Signo: int32(linux.SIGCHLD), Code: code, PID: t.tid, UID: t.Credentials().RUID, Status: status})
	}
}
