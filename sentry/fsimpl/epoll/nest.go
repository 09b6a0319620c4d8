package epoll

import (
	"sync"

	"golang.org/x/sys/unix"
)

// maxNests is how many instances may sit above one another below the
// outermost (Linux's EP_MAX_NESTS): a chain of 5 instances is the deepest.
const maxNests = 4

// nestMu guards every instance's parents and children: the graph of
// epoll instances watching epoll instances. Only EPOLL_CTL_ADD of an
// epoll and removals of such items take it (Linux's epnested_mutex).
var nestMu sync.Mutex

// linkLocked records that ep watches inner, unless that would close a
// cycle or nest instances more than maxNests deep (ELOOP), as Linux's
// ep_loop_check.
// Preconditions: ep.mu is held.
func (ep *EventPoll) linkLocked(inner *EventPoll) error {
	nestMu.Lock()
	defer nestMu.Unlock()
	down, loops := inner.depthBelowLocked(ep, 0)
	if loops || down+1+ep.depthAboveLocked(0) > maxNests {
		return unix.ELOOP
	}
	if ep.children == nil {
		ep.children = make(map[*EventPoll]int)
	}
	if inner.parents == nil {
		inner.parents = make(map[*EventPoll]int)
	}
	ep.children[inner]++
	inner.parents[ep]++
	return nil
}

// unlinkLocked undoes one linkLocked.
// Preconditions: ep.mu is held.
func (ep *EventPoll) unlinkLocked(inner *EventPoll) {
	nestMu.Lock()
	defer nestMu.Unlock()
	dec(ep.children, inner)
	dec(inner.parents, ep)
}

func dec(m map[*EventPoll]int, k *EventPoll) {
	if m[k] > 1 {
		m[k]--
	} else {
		delete(m, k)
	}
}

// depthBelowLocked returns the longest chain of instances below ep, and
// whether target is among them. Deeper than maxNests it stops looking:
// the answer is too deep already.
// Preconditions: nestMu is held.
func (ep *EventPoll) depthBelowLocked(target *EventPoll, depth int) (int, bool) {
	if ep == target {
		return depth, true
	}
	best := depth
	if depth > maxNests {
		return best, false
	}
	for c := range ep.children {
		d, loops := c.depthBelowLocked(target, depth+1)
		if loops {
			return d, true
		}
		best = max(best, d)
	}
	return best, false
}

// depthAboveLocked returns the longest chain of instances above ep.
// Preconditions: nestMu is held.
func (ep *EventPoll) depthAboveLocked(depth int) int {
	best := depth
	if depth > maxNests {
		return best
	}
	for p := range ep.parents {
		best = max(best, p.depthAboveLocked(depth+1))
	}
	return best
}
