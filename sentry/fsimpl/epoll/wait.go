package epoll

import (
	"sync/atomic"
	"time"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// ReadEvents fills dst with the events of ready items and returns how
// many (ep_send_events): level-triggered items stay listed, so the next
// call asks their files again; edge-triggered ones wait for their file's
// next notification; one-shot ones are disarmed until EPOLL_CTL_MOD.
// Items found not ready leave the list. If ready items remain, another
// waiter is woken (ep_done_scan).
func (ep *EventPoll) ReadEvents(dst []Event) int {
	if len(dst) == 0 {
		return 0
	}
	ep.mu.Lock()
	defer ep.mu.Unlock()
	ep.readyMu.Lock()
	list := ep.ready
	ep.ready = ep.spare[:0]
	ep.spare = nil
	for _, it := range list {
		it.onReadyList = false
	}
	ep.readyMu.Unlock()

	n := 0
	for i, it := range list {
		if n == len(dst) {
			// No room: the rest stay listed, in order, ahead of what
			// callbacks listed meanwhile.
			ep.requeue(list[i:])
			break
		}
		if it.removed {
			continue
		}
		r := it.readiness()
		if r == 0 {
			continue
		}
		dst[n] = Event{Events: r, Data: it.data}
		n++
		events := it.events.Load()
		switch {
		case events&linux.EPOLLONESHOT != 0:
			it.events.Store(events & privateBits)
		case events&linux.EPOLLET == 0:
			ep.addReady(it)
		}
	}
	clear(list)
	ep.readyMu.Lock()
	ep.spare = list[:0]
	more := len(ep.ready) > 0
	ep.readyMu.Unlock()
	if more && n > 0 {
		ep.Notify(linux.POLLIN | linux.POLLRDNORM)
	}
	return n
}

// requeue puts items back at the head of the ready list.
func (ep *EventPoll) requeue(items []*item) {
	ep.readyMu.Lock()
	defer ep.readyMu.Unlock()
	var back []*item
	for _, it := range items {
		if !it.removed && !it.onReadyList {
			it.onReadyList = true
			back = append(back, it)
		}
	}
	ep.ready = append(back, ep.ready...)
}

// Wait implements epoll_wait(2): it waits until an item is ready, the
// timeout passes (negative: never; 0: just look) or ctx is interrupted
// (vfs.ErrInterrupted), then fills dst.
func (ep *EventPoll) Wait(ctx vfs.Context, dst []Event, timeout time.Duration) (int, error) {
	if n := ep.ReadEvents(dst); n > 0 || timeout == 0 {
		return n, nil
	}
	// One waiter is woken per event, as Linux queues epoll_wait callers
	// exclusively. Register, then look again so no wake-up is lost.
	w := vfs.NewWaitEntry(linux.POLLIN)
	w.Exclusive = true
	var timedOut atomic.Bool
	if timeout > 0 {
		timer := time.AfterFunc(timeout, func() {
			timedOut.Store(true)
			w.Notify(linux.POLLIN)
		})
		defer timer.Stop()
	}
	for {
		ep.EventRegister(w)
		if !ep.hasReady() {
			if timedOut.Load() {
				ep.EventUnregister(w)
				return 0, nil
			}
			if err := ctx.Block(w.C); err != nil {
				ep.EventUnregister(w)
				return 0, err
			}
		}
		// Unregistered first, so that waking another waiter for what
		// this harvest leaves does not come back to this one.
		ep.EventUnregister(w)
		if n := ep.ReadEvents(dst); n > 0 {
			return n, nil
		}
	}
}

// hasReady reports whether any item is listed as maybe ready.
func (ep *EventPoll) hasReady() bool {
	ep.readyMu.Lock()
	defer ep.readyMu.Unlock()
	return len(ep.ready) > 0
}
