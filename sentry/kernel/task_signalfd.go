package kernel

// This file is what signalfd(2) files (sentry/fsimpl/signalfd) need of
// the signal state: word of every signal queued, and taking a pending
// signal without running its handler.

import (
	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// signalfdEvents are what a queued signal notifies signalfd waiters of.
const signalfdEvents = linux.POLLIN | linux.POLLRDNORM

// signalWaiters is the queue of a thread group's signalfd waiters (Linux's
// sighand->signalfd_wqh): notified, after sigMu is released, whenever a
// signal is queued to the group or to one of its threads.
type signalWaiters struct{ vfs.WaitQueue }

// SignalWaiters returns the queue notified whenever a signal is queued to
// the group or to one of its threads; waiters then check PendingSignals.
func (tg *ThreadGroup) SignalWaiters() *vfs.WaitQueue { return &tg.signalWaiters.WaitQueue }

// DequeueSignal removes and returns a pending signal of mask, as Linux's
// dequeue_signal: the thread's own before its process's, the lowest
// number first. SIGKILL and SIGSTOP are never taken this way.
func (t *Task) DequeueSignal(mask linux.SignalSet) (linux.SignalInfo, bool) {
	mask &^= linux.UnblockableSignals
	tg := t.tg
	tg.sigMu.Lock()
	defer tg.sigMu.Unlock()
	q := &t.pending
	ready := q.set & mask
	if ready == 0 {
		q = &tg.pending
		ready = q.set & mask
	}
	if ready == 0 {
		return linux.SignalInfo{}, false
	}
	sig := linux.Signal(1)
	for ready&sig.Mask() == 0 {
		sig++
	}
	tg.queued--
	return q.dequeue(sig), true
}

// blockedLocked reports whether sig is blocked by target, or for a
// process-directed signal (target nil) by the group's leader, as Linux's
// sig_ignored: a blocked signal is queued even if ignored, since its
// action may change before it is unblocked and signalfd, sigwaitinfo
// and sigpending see it.
// Preconditions: tg.sigMu is held.
func (tg *ThreadGroup) blockedLocked(target *Task, sig linux.Signal) bool {
	if target == nil {
		target = tg.leader
	}
	return target.mask&sig.Mask() != 0
}
