package kernel

import (
	"github.com/cocoon-sandbox/cocoon/abi/linux"
)

// groupStop stops the task's process on a stop signal (SIGSTOP, SIGTSTP,
// SIGTTIN, SIGTTOU with SIG_DFL), as Linux's do_signal_stop: every thread
// takes part (the others are interrupted and join in deliverSignals); once
// the last has stopped the parent is told (wait with WUNTRACED, and
// SIGCHLD unless it asked for SA_NOCLDSTOP); each waits until SIGCONT or
// SIGKILL.
func (t *Task) groupStop(sig linux.Signal) {
	tg := t.tg
	tg.sigMu.Lock()
	if !tg.stopped {
		if tg.continued == nil {
			tg.continued = make(chan struct{})
		}
		tg.stopped = true
		tg.stopCount = 0
		tg.stopSignal = sig
		for _, o := range tg.tasks {
			if o != t {
				o.interrupt()
			}
		}
	}
	tg.sigMu.Unlock()
	if t.traced.Load() {
		t.ptraceGroupStop(sig)
		return
	}
	t.joinGroupStop()
}

// joinGroupStop stops the task as part of its process's group stop, and
// returns when the stop ends (SIGCONT) or the task is killed.
func (t *Task) joinGroupStop() {
	tg := t.tg
	tg.sigMu.Lock()
	if !tg.stopped {
		tg.sigMu.Unlock()
		return
	}
	cont := tg.continued
	tg.stopCount++
	report := tg.stopCount == len(tg.tasks)
	sig := tg.stopSignal
	tg.sigMu.Unlock()
	if report {
		tg.reportStopped(sig)
	}

	t.runState.Store(stateStopped)
	defer t.runState.Store(stateRunning)
	for {
		select {
		case <-cont:
			return
		case <-t.interruptCh:
			tg.sigMu.Lock()
			killed := tg.exiting || t.zapped.Load() || t.pendingLocked()&linux.SIGKILL.Mask() != 0
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

// reportStopped tells the parent that the process stopped on sig.
func (tg *ThreadGroup) reportStopped(sig linux.Signal) {
	k := tg.k
	k.mu.Lock()
	tg.stopReport, tg.contReport = sig, false
	parent := tg.parent
	if parent != nil {
		parent.childEventLocked()
	}
	k.mu.Unlock()
	tg.notifyParentJobControl(parent, linux.CLD_STOPPED, int32(sig))
}

// reportContinued tells the parent that SIGCONT resumed the process.
func (tg *ThreadGroup) reportContinued() {
	k := tg.k
	k.mu.Lock()
	tg.stopReport, tg.contReport = 0, true
	parent := tg.parent
	if parent != nil {
		parent.childEventLocked()
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
		parent.SendSignal(&linux.SignalInfo{Signo: int32(linux.SIGCHLD), Code: code, PID: tg.ID(), UID: tg.Leader().Credentials().RUID, Status: status})
	}
}
