package unix

import (
	"fmt"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// This file holds names and connections: bind, listen, connect and
// accept over a Namespace.

// Namespace maps bound names to their sockets: the abstract names
// (sun_path starting with a NUL byte) of one network namespace, the
// sandbox's. A name is freed when its socket is released.
type Namespace struct {
	mu    sync.Mutex
	names map[string]*Socket
	// nextAuto is the next autobind number to try.
	nextAuto uint32
}

// NewNamespace returns an empty namespace.
func NewNamespace() *Namespace { return &Namespace{names: make(map[string]*Socket)} }

// autobindNames is how many autobind names there are (five hex digits).
const autobindNames = 1 << 20

// bindLocked binds name to s, or an autobind name when name is "".
// Preconditions: ns.mu is held.
func (ns *Namespace) bindLocked(s *Socket, name string) (string, error) {
	if name != "" {
		if _, ok := ns.names[name]; ok {
			return "", unix.EADDRINUSE
		}
		ns.names[name] = s
		return name, nil
	}
	for range autobindNames {
		n := ns.nextAuto % autobindNames
		ns.nextAuto++
		name = fmt.Sprintf("\x00%05x", n)
		if _, ok := ns.names[name]; !ok {
			ns.names[name] = s
			return name, nil
		}
	}
	return "", unix.ENOSPC
}

// unbind frees name if s holds it.
func (ns *Namespace) unbind(name string, s *Socket) {
	ns.mu.Lock()
	if ns.names[name] == s {
		delete(ns.names, name)
	}
	ns.mu.Unlock()
}

// lookup returns the socket bound to name: ECONNREFUSED if none,
// EPROTOTYPE if it is of another type.
func (ns *Namespace) lookup(name string, stype int) (*Socket, error) {
	ns.mu.Lock()
	s := ns.names[name]
	ns.mu.Unlock()
	if s == nil {
		return nil, unix.ECONNREFUSED
	}
	if s.stype != stype {
		return nil, unix.EPROTOTYPE
	}
	return s, nil
}

// Bind implements bind(2) to name (sun_path's bytes; "" autobinds an
// abstract name): EINVAL if s already has a name, EADDRINUSE if the name
// is taken.
func (s *Socket) Bind(name string) error {
	s.ns.mu.Lock()
	defer s.ns.mu.Unlock()
	s.mu.Lock()
	bound := s.addr != "" || s.released
	s.mu.Unlock()
	if bound {
		return unix.EINVAL
	}
	got, err := s.ns.bindLocked(s, name)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.addr = got
	s.mu.Unlock()
	return nil
}

// Listen implements listen(2): only a bound stream or seqpacket socket
// that is not connected listens (EOPNOTSUPP, EINVAL); backlog is already
// capped by the caller (somaxconn). The listener's identity, cred, is
// what connecting sockets see as SO_PEERCRED.
func (s *Socket) Listen(backlog int, cred Cred) error {
	if !s.connectionOriented() {
		return unix.EOPNOTSUPP
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.addr == "" || s.state == stateConnected {
		return unix.EINVAL
	}
	s.state = stateListening
	s.backlog = backlog
	s.cred = cred
	// A larger backlog may let waiting connectors in.
	s.Notify(spaceEvents)
	return nil
}

// Connect implements connect(2) to name: a stream or seqpacket socket
// joins the listener's accept queue (waiting while it is full, EAGAIN if
// non-blocking), a datagram socket only takes name as its default
// destination. cred is the caller's identity, what the accepted socket
// sees as SO_PEERCRED.
func (s *Socket) Connect(ctx vfs.Context, name string, cred Cred, nonBlock bool) error {
	target, err := s.ns.lookup(name, s.stype)
	if err != nil {
		return err
	}
	if !s.connectionOriented() {
		s.mu.Lock()
		old := s.peer
		s.peer, s.state = target, stateConnected
		s.mu.Unlock()
		if old != nil && old != target {
			s.dgramDisconnected(old)
		}
		return nil
	}
	s.mu.Lock()
	state := s.state
	s.mu.Unlock()
	switch state {
	case stateConnected:
		return unix.EISCONN
	case stateListening:
		return unix.EINVAL
	}
	w := waiter{q: target}
	defer w.done()
	for {
		target.mu.Lock()
		if target.released || target.state != stateListening {
			target.mu.Unlock()
			return unix.ECONNREFUSED
		}
		if len(target.acceptq) <= target.backlog {
			server := New(s.ns, s.stype, target.cred)
			server.addr = target.addr
			server.sndbuf.Store(target.sndbuf.Load())
			server.rcvbuf.Store(target.rcvbuf.Load())
			server.passcred.Store(target.passcred.Load())
			listenerCred := target.cred
			target.acceptq = append(target.acceptq, server)
			// Connect both ends before the server end can be accepted.
			s.mu.Lock()
			if s.state != stateUnconnected {
				s.mu.Unlock()
				target.acceptq = target.acceptq[:len(target.acceptq)-1]
				target.mu.Unlock()
				return unix.EISCONN
			}
			s.peer, s.state, s.peerCred, s.hasPeerCred = server, stateConnected, listenerCred, true
			s.mu.Unlock()
			server.peer, server.state, server.peerCred, server.hasPeerCred = s, stateConnected, cred, true
			target.mu.Unlock()
			target.Notify(dataEvents)
			s.Notify(spaceEvents)
			return nil
		}
		target.mu.Unlock()
		if nonBlock {
			return unix.EAGAIN
		}
		if err := w.wait(ctx, spaceEvents); err != nil {
			return err
		}
	}
}

// Disconnect implements connect(2) to AF_UNSPEC: a datagram socket drops
// its default destination.
func (s *Socket) Disconnect() error {
	if s.connectionOriented() {
		return unix.EINVAL
	}
	s.mu.Lock()
	old := s.peer
	s.peer, s.state = nil, stateUnconnected
	s.mu.Unlock()
	if old != nil {
		s.dgramDisconnected(old)
	}
	return nil
}

// Accept implements accept(2): the oldest connection of a listener
// (EINVAL if s does not listen), waiting for one unless nonBlock.
func (s *Socket) Accept(ctx vfs.Context, nonBlock bool) (*Socket, error) {
	w := waiter{q: s}
	defer w.done()
	for {
		s.mu.Lock()
		if s.state != stateListening {
			s.mu.Unlock()
			return nil, unix.EINVAL
		}
		if len(s.acceptq) > 0 {
			c := s.acceptq[0]
			s.acceptq[0] = nil
			s.acceptq = s.acceptq[1:]
			s.mu.Unlock()
			// Room for a waiting connector.
			s.Notify(spaceEvents)
			return c, nil
		}
		s.mu.Unlock()
		if nonBlock {
			return nil, unix.EAGAIN
		}
		if err := w.wait(ctx, dataEvents); err != nil {
			return nil, err
		}
	}
}

// BoundName returns the socket's name for getsockname(2), "" if unnamed.
func (s *Socket) BoundName() string { return s.boundName() }

// PeerName returns the peer's name for getpeername(2): ENOTCONN without
// a peer.
func (s *Socket) PeerName() (string, error) {
	s.mu.Lock()
	peer := s.peer
	s.mu.Unlock()
	if peer == nil {
		return "", unix.ENOTCONN
	}
	return peer.boundName(), nil
}
