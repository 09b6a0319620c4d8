package kernel

import (
	"github.com/cocoon-sandbox/cocoon/abi/linux"
)

// groupStop stops the task's process on a stop signal (SIGSTOP, SIGTSTP,
// SIGTTIN, SIGTTOU with SIG_DFL): the parent is told (wait with
// WUNTRACED, and SIGCHLD unless it asked for SA_NOCLDSTOP), and the task
// waits until SIGCONT or SIGKILL, as Linux's do_signal_stop. (With
// threads, each would take part in the group stop; there is one.)
func (t *Task) groupStop(sig linux.Signal) {
	tg := t.tg
	tg.sigMu.Lock()
	if tg.continued == nil {
		tg.continued = make(chan struct{})
	}
	tg.stopped = true
	cont := tg.continued
	tg.sigMu.Unlock()

	k := t.k
	k.mu.Lock()
	tg.stopReport, tg.contReport = sig, false
	parent := tg.parent
	if parent != nil {
		notify(parent.childEvent)
	}
	k.mu.Unlock()
	tg.notifyParentJobControl(parent, linux.CLD_STOPPED, int32(sig))

	t.runState.Store(stateStopped)
	defer t.runState.Store(stateRunning)
	for {
		select {
		case <-cont:
			return
		case <-t.interruptCh:
			tg.sigMu.Lock()
			killed := tg.exiting || t.pendingLocked()&linux.SIGKILL.Mask() != 0
			if killed {
				tg.stopped = false
			}
			tg.sigMu.Unlock()
			if killed {
				return
			}
		}
	}
}

// reportContinued tells the parent that SIGCONT resumed the process.
func (tg *ThreadGroup) reportContinued() {
	k := tg.k
	k.mu.Lock()
	tg.stopReport, tg.contReport = 0, true
	parent := tg.parent
	if parent != nil {
		notify(parent.childEvent)
	}
	k.mu.Unlock()
	tg.notifyParentJobControl(parent, linux.CLD_CONTINUED, int32(linux.SIGCONT))
}

// notifyParentJobControl sends the parent SIGCHLD for a stop or continue,
// unless its SIGCHLD action has SA_NOCLDSTOP.
func (tg *ThreadGroup) notifyParentJobControl(parent *ThreadGroup, code, status int32) {
	if parent == nil {
		return
	}
	parent.sigMu.Lock()
	noStop := parent.handlers.actions[linux.SIGCHLD].Flags&linux.SA_NOCLDSTOP != 0
	parent.sigMu.Unlock()
	if !noStop {
		parent.SendSignal(&linux.SignalInfo{Signo: int32(linux.SIGCHLD), Code: code, PID: tg.ID(), UID: tg.leader.Credentials().RUID, Status: status})
	}
}
