package unix

import (
	"sync"
	"sync/atomic"

	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// This file collects sockets that nothing but socket queues can reach, as
// Linux's unix_gc: a socket sent into its own queue (or a cycle of
// sockets sent into each other's) and then closed everywhere else keeps
// itself, and what its queue holds, alive for ever. The collector keeps
// the graph of socket descriptions in flight: which queue holds which,
// and how many times each is held. A socket whose description has no
// references but those is a candidate; a candidate reachable from the
// queue of a socket that is not a candidate (one a task can still read)
// is alive; the other candidates are garbage, and dropping their queues
// breaks the cycle, which releases them.
//
// Locking: collector.mu is taken inside Socket.mu (a queue records what
// it gained or lost under its own lock) and never the other way: the
// search holds collector.mu only, and the queues are dropped after it,
// each under its own socket's lock.

// inflightTrigger is how many files in flight make a send run the
// collector (Linux's UNIX_INFLIGHT_TRIGGER_GC); a socket's release runs
// it whenever sockets are in flight.
const inflightTrigger = 16000

// collector is a Namespace's in-flight socket graph.
type collector struct {
	mu sync.Mutex
	// inflight counts the queued references to each socket description.
	inflight map[*vfs.FileDescription]int
	// holds counts, for each socket, the socket descriptions in its
	// queue.
	holds map[*Socket]map[*vfs.FileDescription]int

	// running is set while a collection runs; again asks it for another
	// round (a release during a collection).
	running, again atomic.Bool
	// sockets is len(inflight), read without mu.
	sockets atomic.Int64
}

// socketOf returns the socket a description is, or nil.
func socketOf(f *vfs.FileDescription) *Socket {
	s, _ := f.Impl().(*Socket)
	return s
}

// hasSockets reports whether any of rights is a socket.
func hasSockets(rights []*vfs.FileDescription) bool {
	for _, f := range rights {
		if socketOf(f) != nil {
			return true
		}
	}
	return false
}

// queued records that owner's queue took rights.
// Preconditions: owner.mu is held.
func (c *collector) queued(owner *Socket, rights []*vfs.FileDescription) {
	if !hasSockets(rights) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.inflight == nil {
		c.inflight = make(map[*vfs.FileDescription]int)
		c.holds = make(map[*Socket]map[*vfs.FileDescription]int)
	}
	h := c.holds[owner]
	if h == nil {
		h = make(map[*vfs.FileDescription]int)
		c.holds[owner] = h
	}
	for _, f := range rights {
		if socketOf(f) != nil {
			c.inflight[f]++
			h[f]++
		}
	}
	c.sockets.Store(int64(len(c.inflight)))
}

// left records that rights left owner's queue (received or dropped).
// Preconditions: owner.mu is held, or the rights were detached from
// owner's queue under it.
func (c *collector) left(owner *Socket, rights []*vfs.FileDescription) {
	if !hasSockets(rights) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	h := c.holds[owner]
	for _, f := range rights {
		if socketOf(f) == nil {
			continue
		}
		if c.inflight[f]--; c.inflight[f] <= 0 {
			delete(c.inflight, f)
		}
		if h[f]--; h[f] <= 0 {
			delete(h, f)
		}
	}
	if len(h) == 0 {
		delete(c.holds, owner)
	}
	c.sockets.Store(int64(len(c.inflight)))
}

// garbage returns the sockets that only unreachable queues reference.
func (c *collector) garbage() []*Socket {
	c.mu.Lock()
	defer c.mu.Unlock()
	cand := make(map[*Socket]bool)
	for f, n := range c.inflight {
		if f.Refs() == int64(n) {
			cand[socketOf(f)] = true
		}
	}
	if len(cand) == 0 {
		return nil
	}
	alive := make(map[*Socket]bool)
	var work []*Socket
	mark := func(h map[*vfs.FileDescription]int) {
		for f := range h {
			if s := socketOf(f); cand[s] && !alive[s] {
				alive[s] = true
				work = append(work, s)
			}
		}
	}
	for owner, h := range c.holds {
		if !cand[owner] {
			mark(h)
		}
	}
	for len(work) > 0 {
		s := work[len(work)-1]
		work = work[:len(work)-1]
		mark(c.holds[s])
	}
	var out []*Socket
	for s := range cand {
		if !alive[s] {
			out = append(out, s)
		}
	}
	return out
}

// collect drops the queues of the garbage sockets, which releases them.
func (ns *Namespace) collect() {
	c := &ns.gc
	if c.sockets.Load() == 0 {
		return
	}
	if !c.running.CompareAndSwap(false, true) {
		c.again.Store(true)
		return
	}
	defer c.running.Store(false)
	for {
		c.again.Store(false)
		for _, s := range c.garbage() {
			s.purge()
		}
		if !c.again.Load() {
			return
		}
	}
}

// purge drops everything s holds: its queue and its connections not yet
// accepted. Nobody can read them: s is garbage.
func (s *Socket) purge() {
	s.mu.Lock()
	msgs, pending := s.recvq, s.acceptq
	s.recvq, s.recvBytes, s.acceptq = nil, 0, nil
	s.mu.Unlock()
	dropMessages(s, msgs)
	for _, p := range pending {
		p.release(true)
	}
}
