package kernel

import (
	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// signalHandlers is a process's table of signal actions.
type signalHandlers struct {
	actions [linux.SIGRTMAX + 1]linux.SigAction
}

func (h *signalHandlers) fork() *signalHandlers {
	c := *h
	return &c
}

// resetForExec resets caught signals to SIG_DFL; ignored ones stay ignored.
func (h *signalHandlers) resetForExec() {
	for i := range h.actions {
		a := &h.actions[i]
		if a.Handler != linux.SIG_IGN {
			*a = linux.SigAction{}
		} else {
			a.Flags, a.Restorer, a.Mask = 0, 0, 0
		}
	}
}

type altStack struct {
	sp    uint64
	flags int32
	size  uint64
}

// SS_ONSTACK and SS_DISABLE of sigaltstack(2).
const (
	ssOnStack = 1
	ssDisable = 2
)

// ignoredLocked reports whether sig would be discarded on arrival.
// Preconditions: t.sigMu is held.
func (t *Task) ignoredLocked(sig linux.Signal) bool {
	if sig == linux.SIGKILL || sig == linux.SIGSTOP {
		return false
	}
	a := t.handlers.actions[sig]
	if a.Handler == linux.SIG_IGN {
		return true
	}
	if a.Handler == linux.SIG_DFL {
		act := linux.DefaultActionOf(sig)
		return act == linux.ActionIgnore || act == linux.ActionContinue
	}
	return false
}

// maxQueuedSignals bounds the real-time signals queued on one task
// (RLIMIT_SIGPENDING's role).
const maxQueuedSignals = 4096

// stopSignals are the signals whose default action stops the process.
const stopSignals = linux.SignalSet(1<<(linux.SIGSTOP-1) | 1<<(linux.SIGTSTP-1) | 1<<(linux.SIGTTIN-1) | 1<<(linux.SIGTTOU-1))

// SendSignal queues a signal for the task (kill, tgkill, SIGCHLD, SIGPIPE).
// Ignored signals are discarded; standard signals do not queue twice,
// real-time ones do. SIGCONT resumes a stopped task and discards pending
// stop signals; a stop signal discards a pending SIGCONT (signal(7)).
func (t *Task) SendSignal(info *linux.SignalInfo) error {
	sig := linux.Signal(info.Signo)
	if !sig.Valid() {
		return nil
	}
	t.sigMu.Lock()
	if t.exiting {
		t.sigMu.Unlock()
		return nil
	}
	resumed := false
	switch {
	case sig == linux.SIGCONT:
		t.discardLocked(stopSignals)
		if t.stopped {
			t.stopped = false
			close(t.continued)
			t.continued = make(chan struct{})
			resumed = true
		}
	case stopSignals&sig.Mask() != 0:
		t.discardLocked(linux.SIGCONT.Mask())
	}
	if t.ignoredLocked(sig) {
		t.sigMu.Unlock()
		if resumed {
			t.reportContinued()
		}
		return nil
	}
	if sig < linux.SIGRTMIN {
		if t.pending&sig.Mask() == 0 {
			t.queue[sig] = append(t.queue[sig][:0], *info)
			t.queued++
		}
	} else {
		if t.queued >= maxQueuedSignals {
			t.sigMu.Unlock()
			return unix.EAGAIN
		}
		t.queue[sig] = append(t.queue[sig], *info)
		t.queued++
	}
	t.pending |= sig.Mask()
	deliverable := t.pending&^t.mask != 0 || sig == linux.SIGKILL
	t.sigMu.Unlock()
	if resumed {
		t.reportContinued()
	}
	if deliverable {
		t.interrupt()
	}
	return nil
}

// discardLocked drops every queued instance of the signals in set.
// Preconditions: t.sigMu is held.
func (t *Task) discardLocked(set linux.SignalSet) {
	for sig := linux.Signal(1); sig <= linux.SIGRTMAX; sig++ {
		if set&t.pending&sig.Mask() != 0 {
			t.queued -= len(t.queue[sig])
			t.queue[sig] = t.queue[sig][:0]
			t.pending &^= sig.Mask()
		}
	}
}

// SendSignalNo is SendSignal for a kernel-generated signal.
func (t *Task) SendSignalNo(sig linux.Signal) {
	t.SendSignal(&linux.SignalInfo{Signo: int32(sig), Code: linux.SI_KERNEL})
}

// forceSignal delivers a synchronous signal caused by the task's own
// execution: it cannot be blocked or ignored; if it is, the default action
// (death) applies, as Linux's force_sig_info does.
func (t *Task) forceSignal(info *linux.SignalInfo) {
	sig := linux.Signal(info.Signo)
	t.sigMu.Lock()
	a := &t.handlers.actions[sig]
	if a.Handler == linux.SIG_IGN || t.mask&sig.Mask() != 0 {
		a.Handler = linux.SIG_DFL
		t.mask &^= sig.Mask()
	}
	if t.pending&sig.Mask() == 0 {
		t.queue[sig] = append(t.queue[sig][:0], *info)
		t.queued++
		t.pending |= sig.Mask()
	}
	t.sigMu.Unlock()
}

// interrupt wakes the task from a blocking wait or out of application code.
func (t *Task) interrupt() {
	select {
	case t.interruptCh <- struct{}{}:
	default:
	}
	// A signal queued before the context exists is seen by the
	// deliverSignals that precedes the first Switch.
	if c := t.sharedCtx.Load(); c != nil {
		(*c).Interrupt()
	}
}

// hasDeliverable reports whether a signal is pending and unblocked.
func (t *Task) hasDeliverable() bool {
	t.sigMu.Lock()
	defer t.sigMu.Unlock()
	return t.exiting || t.pending&(^t.mask|linux.UnblockableSignals) != 0
}

// Block waits until ch is ready or the task has a signal to take
// (vfs.Context).
func (t *Task) Block(ch <-chan struct{}) error {
	if t.hasDeliverable() {
		return vfs.ErrInterrupted
	}
	t.runState.Store(stateSleeping)
	defer t.runState.Store(stateRunning)
	for {
		select {
		case <-ch:
			return nil
		case <-t.interruptCh:
			if t.hasDeliverable() {
				return vfs.ErrInterrupted
			}
		}
	}
}

// Interrupted returns the channel that receives when the task should stop
// blocking (vfs.Context). After receiving, call Block or check again: the
// token may be stale.
func (t *Task) Interrupted() <-chan struct{} { return t.interruptCh }

// dequeueLocked removes and returns the lowest deliverable signal.
// Preconditions: t.sigMu is held.
func (t *Task) dequeueLocked() (linux.SignalInfo, bool) {
	ready := t.pending &^ (t.mask &^ linux.UnblockableSignals)
	if ready == 0 {
		return linux.SignalInfo{}, false
	}
	// SIGKILL first, then the lowest number.
	sig := linux.SIGKILL
	if ready&sig.Mask() == 0 {
		for sig = 1; ready&sig.Mask() == 0; sig++ {
		}
	}
	return t.dequeueSignalLocked(sig), true
}

// dequeueSignalLocked removes the first queued instance of pending signal
// sig and returns it.
// Preconditions: t.sigMu is held; sig is pending.
func (t *Task) dequeueSignalLocked(sig linux.Signal) linux.SignalInfo {
	q := t.queue[sig]
	info := q[0]
	copy(q, q[1:])
	t.queue[sig] = q[:len(q)-1]
	t.queued--
	if len(t.queue[sig]) == 0 {
		t.pending &^= sig.Mask()
	}
	return info
}

// deliverSignals takes pending signals before the task returns to the
// application: runs default actions, builds handler frames, finishes or
// restarts an interrupted syscall. It returns true if the task must stop.
func (t *Task) deliverSignals() bool {
	for {
		t.sigMu.Lock()
		if t.exiting {
			t.sigMu.Unlock()
			return true
		}
		info, ok := t.dequeueLocked()
		if !ok {
			if t.haveSavedMask {
				t.mask = t.savedMask
				t.haveSavedMask = false
			}
			t.sigMu.Unlock()
			if t.restart != restartNone {
				// No handler ran: restart what was interrupted.
				t.restartSyscall()
				t.restart = restartNone
			}
			return false
		}
		sig := linux.Signal(info.Signo)
		act := t.handlers.actions[sig]
		if sig == linux.SIGKILL || sig == linux.SIGSTOP {
			act = linux.SigAction{}
		}
		if act.Handler == linux.SIG_IGN {
			t.sigMu.Unlock()
			continue
		}
		if act.Handler == linux.SIG_DFL {
			t.sigMu.Unlock()
			switch linux.DefaultActionOf(sig) {
			case linux.ActionIgnore, linux.ActionContinue:
				continue
			case linux.ActionStop:
				t.groupStop(sig)
				continue
			case linux.ActionCore:
				t.exitGroup(linux.Killed(sig, true))
			default:
				t.exitGroup(linux.Killed(sig, false))
			}
			return true
		}
		// A handler runs.
		switch t.restart {
		case restartSys:
			if act.Flags&linux.SA_RESTART != 0 {
				t.restartSyscall()
			}
		case restartAlways:
			t.restartSyscall()
		}
		t.restart = restartNone
		oldMask := t.mask
		if t.haveSavedMask {
			oldMask = t.savedMask
			t.haveSavedMask = false
		}
		newMask := t.mask | act.Mask
		if act.Flags&linux.SA_NODEFER == 0 {
			newMask |= sig.Mask()
		}
		if act.Flags&linux.SA_RESETHAND != 0 {
			// Only the handler is reset; the flags stay (as Linux does).
			t.handlers.actions[sig].Handler = linux.SIG_DFL
		}
		alt := t.altStack
		t.sigMu.Unlock()
		if err := t.pushSignalFrame(&info, &act, oldMask, alt); err != nil {
			// The frame could not be written: the process dies of SIGSEGV.
			t.Logf("signal %d: cannot write frame: %v", sig, err)
			t.exitGroup(linux.Killed(linux.SIGSEGV, true))
			return true
		}
		t.sigMu.Lock()
		t.mask = newMask &^ linux.UnblockableSignals
		t.sigMu.Unlock()
		return false
	}
}

// SigAction reads and/or replaces the action of sig (rt_sigaction).
func (t *Task) SigAction(sig linux.Signal, newAct *linux.SigAction) linux.SigAction {
	t.sigMu.Lock()
	defer t.sigMu.Unlock()
	old := t.handlers.actions[sig]
	if newAct != nil {
		t.handlers.actions[sig] = *newAct
		if t.ignoredLocked(sig) {
			// Setting SIG_IGN (or a default-ignore SIG_DFL) discards the
			// pending signal.
			t.discardLocked(sig.Mask())
		}
	}
	return old
}

// SignalMask returns the blocked set.
func (t *Task) SignalMask() linux.SignalSet {
	t.sigMu.Lock()
	defer t.sigMu.Unlock()
	return t.mask
}

// SetSignalMask replaces the blocked set (SIGKILL and SIGSTOP stay
// unblocked) and interrupts the task if that unblocks a pending signal.
func (t *Task) SetSignalMask(m linux.SignalSet) {
	t.sigMu.Lock()
	t.mask = m &^ linux.UnblockableSignals
	t.sigMu.Unlock()
}

// SetSavedSignalMask installs m as the mask until the next signal handler
// runs, then restores the current one (sigsuspend, ppoll, pselect).
func (t *Task) SetSavedSignalMask(m linux.SignalSet) {
	t.sigMu.Lock()
	t.savedMask = t.mask
	t.haveSavedMask = true
	t.mask = m &^ linux.UnblockableSignals
	t.sigMu.Unlock()
}

// PendingSignals returns the pending set.
func (t *Task) PendingSignals() linux.SignalSet {
	t.sigMu.Lock()
	defer t.sigMu.Unlock()
	return t.pending
}

// SigAltStack reads and/or replaces the alternate signal stack.
func (t *Task) SigAltStack(sp, size uint64, flags int32, set bool) (oldSP, oldSize uint64, oldFlags int32, ok bool) {
	t.sigMu.Lock()
	defer t.sigMu.Unlock()
	cur := t.altStack
	onStack := cur.size != 0 && t.st.Regs.Rsp-cur.sp < cur.size
	oldSP, oldSize, oldFlags = cur.sp, cur.size, cur.flags
	if cur.size == 0 {
		oldFlags = ssDisable
	} else if onStack {
		oldFlags = ssOnStack
	}
	if set {
		if onStack {
			return oldSP, oldSize, oldFlags, false
		}
		if flags&ssDisable != 0 {
			t.altStack = altStack{}
		} else {
			t.altStack = altStack{sp: sp, size: size, flags: flags}
		}
	}
	return oldSP, oldSize, oldFlags, true
}

// SigTimedWait waits for a signal of set to be pending and takes it without
// running its handler (rt_sigtimedwait). While waiting, the signals of set
// are unblocked so that their arrival wakes the task. A nil deadline waits
// forever; an expired one answers EAGAIN; another signal arriving answers
// EINTR.
func (t *Task) SigTimedWait(set linux.SignalSet, deadline <-chan struct{}) (linux.SignalInfo, error) {
	set &^= linux.UnblockableSignals
	for {
		t.sigMu.Lock()
		if ready := t.pending & set; ready != 0 {
			sig := linux.Signal(1)
			for ready&sig.Mask() == 0 {
				sig++
			}
			info := t.dequeueSignalLocked(sig)
			t.sigMu.Unlock()
			return info, nil
		}
		old := t.mask
		t.mask &^= set
		t.sigMu.Unlock()
		err := t.Block(deadline)
		t.sigMu.Lock()
		t.mask = old
		woken := t.pending&set != 0
		t.sigMu.Unlock()
		switch {
		case woken:
			continue
		case err == nil:
			return linux.SignalInfo{}, unix.EAGAIN
		default:
			return linux.SignalInfo{}, unix.EINTR
		}
	}
}
