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

// sigQueue is a set of pending signals with their siginfo: a standard
// signal is pending at most once, real-time ones queue.
type sigQueue struct {
	// set has the bit of every signal with an instance in queue.
	set   linux.SignalSet
	queue [linux.SIGRTMAX + 1][]linux.SignalInfo
}

// enqueue adds info and reports whether it did (a standard signal already
// pending is not queued twice).
func (q *sigQueue) enqueue(info *linux.SignalInfo) bool {
	sig := linux.Signal(info.Signo)
	if sig < linux.SIGRTMIN {
		if q.set&sig.Mask() != 0 {
			return false
		}
		q.queue[sig] = append(q.queue[sig][:0], *info)
	} else {
		q.queue[sig] = append(q.queue[sig], *info)
	}
	q.set |= sig.Mask()
	return true
}

// dequeue removes and returns the first instance of pending signal sig.
func (q *sigQueue) dequeue(sig linux.Signal) linux.SignalInfo {
	s := q.queue[sig]
	info := s[0]
	copy(s, s[1:])
	q.queue[sig] = s[:len(s)-1]
	if len(q.queue[sig]) == 0 {
		q.set &^= sig.Mask()
	}
	return info
}

// discard drops every instance of the signals in set and returns how many.
func (q *sigQueue) discard(set linux.SignalSet) int {
	n := 0
	for sig := linux.Signal(1); sig <= linux.SIGRTMAX; sig++ {
		if set&q.set&sig.Mask() != 0 {
			n += len(q.queue[sig])
			q.queue[sig] = q.queue[sig][:0]
			q.set &^= sig.Mask()
		}
	}
	return n
}

// ignoredLocked reports whether sig would be discarded on arrival.
// Preconditions: tg.sigMu is held.
func (tg *ThreadGroup) ignoredLocked(sig linux.Signal) bool {
	if sig == linux.SIGKILL || sig == linux.SIGSTOP {
		return false
	}
	a := tg.handlers.actions[sig]
	if a.Handler == linux.SIG_IGN {
		return true
	}
	if a.Handler == linux.SIG_DFL {
		act := linux.DefaultActionOf(sig)
		return act == linux.ActionIgnore || act == linux.ActionContinue
	}
	return false
}

// maxQueuedSignals bounds the real-time signals queued on one process
// (RLIMIT_SIGPENDING's role).
const maxQueuedSignals = 4096

// stopSignals are the signals whose default action stops the process.
const stopSignals = linux.SignalSet(1<<(linux.SIGSTOP-1) | 1<<(linux.SIGTSTP-1) | 1<<(linux.SIGTTIN-1) | 1<<(linux.SIGTTOU-1))

// SendSignal queues a process-directed signal (kill, sigqueue, SIGCHLD,
// SIGALRM, the container's signals): any thread of the process that does
// not block it takes it.
func (tg *ThreadGroup) SendSignal(info *linux.SignalInfo) error { return tg.send(nil, info) }

// SendSignal queues a thread-directed signal for the task (tgkill,
// SIGPIPE): only this thread takes it.
func (t *Task) SendSignal(info *linux.SignalInfo) error { return t.tg.send(t, info) }

// SendSignalNo is SendSignal for a kernel-generated signal.
func (t *Task) SendSignalNo(sig linux.Signal) {
	t.SendSignal(&linux.SignalInfo{Signo: int32(sig), Code: linux.SI_KERNEL})
}

// send queues info for thread target, or for the whole group if target is
// nil (Linux's send_signal_locked). Ignored signals are discarded;
// standard signals do not queue twice, real-time ones do. SIGCONT resumes
// a stopped group and discards pending stop signals; a stop signal
// discards a pending SIGCONT (signal(7)).
func (tg *ThreadGroup) send(target *Task, info *linux.SignalInfo) error {
	sig := linux.Signal(info.Signo)
	if !sig.Valid() {
		return nil
	}
	tg.sigMu.Lock()
	if tg.exiting {
		tg.sigMu.Unlock()
		return nil
	}
	resumed := false
	switch {
	case sig == linux.SIGCONT:
		tg.discardLocked(stopSignals)
		if tg.stopped {
			tg.stopped = false
			close(tg.continued)
			tg.continued = make(chan struct{})
			resumed = true
		}
	case stopSignals&sig.Mask() != 0:
		tg.discardLocked(linux.SIGCONT.Mask())
	}
	if tg.ignoredLocked(sig) && !tg.blockedLocked(target, sig) {
		tg.sigMu.Unlock()
		if resumed {
			tg.reportContinued()
		}
		return nil
	}
	if sig >= linux.SIGRTMIN && tg.queued >= maxQueuedSignals {
		tg.sigMu.Unlock()
		return unix.EAGAIN
	}
	q := &tg.pending
	if target != nil {
		q = &target.pending
	}
	if q.enqueue(info) {
		tg.queued++
	}
	tg.wakeLocked(target, sig)
	tg.sigMu.Unlock()
	tg.signalWaiters.Notify(signalfdEvents)
	if resumed {
		tg.reportContinued()
	}
	return nil
}

// wakeLocked interrupts a thread that will take sig, just queued for
// target (nil: for the group), as Linux's complete_signal: SIGKILL wakes
// every thread; a process-directed signal the first thread that does not
// block it.
// Preconditions: tg.sigMu is held.
func (tg *ThreadGroup) wakeLocked(target *Task, sig linux.Signal) {
	switch {
	case sig == linux.SIGKILL:
		tg.interruptAllLocked()
	case target != nil:
		if target.mask&sig.Mask() == 0 {
			target.interrupt()
		}
	default:
		for _, t := range tg.tasks {
			if t.mask&sig.Mask() == 0 {
				t.interrupt()
				return
			}
		}
	}
}

// discardLocked drops every queued instance of the signals in set, for
// the group and each of its threads.
// Preconditions: tg.sigMu is held.
func (tg *ThreadGroup) discardLocked(set linux.SignalSet) {
	tg.queued -= tg.pending.discard(set)
	for _, t := range tg.tasks {
		tg.queued -= t.pending.discard(set)
	}
}

// forceSignal delivers a synchronous signal caused by the task's own
// execution: it cannot be blocked or ignored; if it is, the default action
// (death) applies, as Linux's force_sig_info does.
func (t *Task) forceSignal(info *linux.SignalInfo) {
	sig := linux.Signal(info.Signo)
	tg := t.tg
	tg.sigMu.Lock()
	a := &tg.handlers.actions[sig]
	if a.Handler == linux.SIG_IGN || t.mask&sig.Mask() != 0 {
		a.Handler = linux.SIG_DFL
		t.mask &^= sig.Mask()
	}
	if t.pending.enqueue(info) {
		tg.queued++
	}
	tg.sigMu.Unlock()
	tg.signalWaiters.Notify(signalfdEvents)
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

// pendingLocked returns the signals pending for the task: its own and its
// process's.
// Preconditions: tg.sigMu is held.
func (t *Task) pendingLocked() linux.SignalSet { return t.pending.set | t.tg.pending.set }

// hasDeliverable reports whether a signal is pending and unblocked.
func (t *Task) hasDeliverable() bool {
	t.tg.sigMu.Lock()
	defer t.tg.sigMu.Unlock()
	return t.tg.exiting || t.zapped.Load() || t.tg.stopped && !t.traced.Load() || t.ptraceInterrupt.Load() ||
		t.pendingLocked()&(^t.mask|linux.UnblockableSignals) != 0
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

// dequeueLocked removes and returns the lowest deliverable signal:
// SIGKILL first, then the lowest number; the thread's own instance before
// its process's.
// Preconditions: tg.sigMu is held.
func (t *Task) dequeueLocked() (linux.SignalInfo, bool) {
	ready := t.pendingLocked() &^ (t.mask &^ linux.UnblockableSignals)
	if ready == 0 {
		return linux.SignalInfo{}, false
	}
	sig := linux.SIGKILL
	if ready&sig.Mask() == 0 {
		for sig = 1; ready&sig.Mask() == 0; sig++ {
		}
	}
	return t.dequeueSignalLocked(sig), true
}

// dequeueSignalLocked removes the first queued instance of sig, pending
// for the task, and returns it.
// Preconditions: tg.sigMu is held; sig is in t.pendingLocked().
func (t *Task) dequeueSignalLocked(sig linux.Signal) linux.SignalInfo {
	t.tg.queued--
	var info linux.SignalInfo
	if t.pending.set&sig.Mask() != 0 {
		info = t.pending.dequeue(sig)
	} else {
		info = t.tg.pending.dequeue(sig)
	}
	if info.Code == linux.SI_TIMER {
		t.tg.timerDelivered(&info)
	}
	return info
}

// deliverSignals takes pending signals before the task returns to the
// application: runs default actions, builds handler frames, finishes or
// restarts an interrupted syscall. It returns true if the task must stop.
func (t *Task) deliverSignals() bool {
	for {
		t.tg.sigMu.Lock()
		if t.tg.exiting || t.zapped.Load() {
			t.tg.sigMu.Unlock()
			return true
		}
		if t.tg.stopped && !t.traced.Load() {
			// Another thread stopped the process: take part.
			t.tg.sigMu.Unlock()
			t.joinGroupStop()
			continue
		}
		if t.ptraceInterrupt.Load() {
			t.tg.sigMu.Unlock()
			t.ptraceInterruptStop()
			continue
		}
		info, ok := t.dequeueLocked()
		if !ok {
			if t.haveSavedMask {
				t.mask = t.savedMask
				t.haveSavedMask = false
			}
			t.tg.sigMu.Unlock()
			if t.restart != restartNone {
				// No handler ran: restart what was interrupted.
				t.restartSyscall()
				t.restart = restartNone
			}
			return false
		}
		sig := linux.Signal(info.Signo)
		if sig != linux.SIGKILL && t.traced.Load() {
			// The tracer sees the signal first, and may change it.
			t.tg.sigMu.Unlock()
			var deliver bool
			info, deliver = t.ptraceSignalStop(info)
			t.tg.sigMu.Lock()
			if !deliver {
				t.tg.sigMu.Unlock()
				continue
			}
			sig = linux.Signal(info.Signo)
			if t.mask&sig.Mask() != 0 {
				// Blocked now: it waits, as Linux requeues it.
				if t.pending.enqueue(&info) {
					t.tg.queued++
				}
				t.tg.sigMu.Unlock()
				continue
			}
		}
		act := t.tg.handlers.actions[sig]
		if sig == linux.SIGKILL || sig == linux.SIGSTOP {
			act = linux.SigAction{}
		}
		if act.Handler == linux.SIG_IGN {
			t.tg.sigMu.Unlock()
			continue
		}
		if act.Handler == linux.SIG_DFL {
			t.tg.sigMu.Unlock()
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
			t.tg.handlers.actions[sig].Handler = linux.SIG_DFL
		}
		alt := t.altStack
		t.tg.sigMu.Unlock()
		if err := t.pushSignalFrame(&info, &act, oldMask, alt); err != nil {
			// The frame could not be written: the process dies of SIGSEGV.
			t.Logf("signal %d: cannot write frame: %v", sig, err)
			t.exitGroup(linux.Killed(linux.SIGSEGV, true))
			return true
		}
		t.tg.sigMu.Lock()
		t.mask = newMask &^ linux.UnblockableSignals
		t.tg.sigMu.Unlock()
		// Another deliverable signal gets its frame on top of this one,
		// as Linux delivers before each return to user mode: the last
		// one taken runs first.
	}
}

// SigAction reads and/or replaces the action of sig (rt_sigaction).
func (t *Task) SigAction(sig linux.Signal, newAct *linux.SigAction) linux.SigAction {
	t.tg.sigMu.Lock()
	defer t.tg.sigMu.Unlock()
	old := t.tg.handlers.actions[sig]
	if newAct != nil {
		t.tg.handlers.actions[sig] = *newAct
		if t.tg.ignoredLocked(sig) {
			// Setting SIG_IGN (or a default-ignore SIG_DFL) discards the
			// pending signal.
			t.tg.discardLocked(sig.Mask())
		}
	}
	return old
}

// SignalMask returns the blocked set.
func (t *Task) SignalMask() linux.SignalSet {
	t.tg.sigMu.Lock()
	defer t.tg.sigMu.Unlock()
	return t.mask
}

// SetSignalMask replaces the blocked set (SIGKILL and SIGSTOP stay
// unblocked). A signal it unblocks is taken before the task returns to
// the application.
func (t *Task) SetSignalMask(m linux.SignalSet) {
	t.tg.sigMu.Lock()
	t.mask = m &^ linux.UnblockableSignals
	t.tg.sigMu.Unlock()
}

// SetSavedSignalMask installs m as the mask until the next signal handler
// runs, then restores the current one (sigsuspend, ppoll, pselect).
func (t *Task) SetSavedSignalMask(m linux.SignalSet) {
	t.tg.sigMu.Lock()
	t.savedMask = t.mask
	t.haveSavedMask = true
	t.mask = m &^ linux.UnblockableSignals
	t.tg.sigMu.Unlock()
}

// PendingSignals returns the signals pending for the task: its own and
// its process's (rt_sigpending).
func (t *Task) PendingSignals() linux.SignalSet {
	t.tg.sigMu.Lock()
	defer t.tg.sigMu.Unlock()
	return t.pendingLocked()
}

// PendingSignalSets returns the thread-directed and the process-directed
// pending signals apart (/proc's SigPnd and ShdPnd).
func (t *Task) PendingSignalSets() (thread, process linux.SignalSet) {
	t.tg.sigMu.Lock()
	defer t.tg.sigMu.Unlock()
	return t.pending.set, t.tg.pending.set
}

// SigAltStack reads and/or replaces the alternate signal stack.
func (t *Task) SigAltStack(sp, size uint64, flags int32, set bool) (oldSP, oldSize uint64, oldFlags int32, ok bool) {
	t.tg.sigMu.Lock()
	defer t.tg.sigMu.Unlock()
	cur := t.altStack
	onStack := cur.size != 0 && t.st.Regs.Rsp-cur.sp < cur.size
	oldSP, oldSize, oldFlags = cur.sp, cur.size, cur.flags
	if cur.size == 0 {
		oldFlags = linux.SS_DISABLE
	} else if onStack {
		oldFlags = linux.SS_ONSTACK
	}
	if set {
		if onStack {
			return oldSP, oldSize, oldFlags, false
		}
		if flags&linux.SS_DISABLE != 0 {
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
		t.tg.sigMu.Lock()
		if ready := t.pendingLocked() & set; ready != 0 {
			sig := linux.Signal(1)
			for ready&sig.Mask() == 0 {
				sig++
			}
			info := t.dequeueSignalLocked(sig)
			t.tg.sigMu.Unlock()
			return info, nil
		}
		old := t.mask
		t.mask &^= set
		t.tg.sigMu.Unlock()
		err := t.Block(deadline)
		t.tg.sigMu.Lock()
		t.mask = old
		woken := t.pendingLocked()&set != 0
		t.tg.sigMu.Unlock()
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
