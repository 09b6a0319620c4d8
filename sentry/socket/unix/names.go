package unix

import (
	"fmt"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// This file holds names and connections: bind, listen, connect and
// accept over a Namespace.

// Namespace maps bound names to their sockets: the abstract names
// (sun_path starting with a NUL byte) of one network namespace, the
// sandbox's, and the socket inodes of path names. As on Linux, each
// socket type has its own abstract names (a stream and a datagram socket
// may share one), while a path belongs to one socket of any type. A name
// is freed when its socket is released.
type Namespace struct {
	// inflight counts the file references that sit in queues of this
	// namespace's sockets (SCM_RIGHTS not yet received).
	inflight atomic.Int64
	// gc collects the sockets in flight that nobody can receive.
	gc collector

	mu    sync.Mutex
	names map[nameKey]*Socket
	// nextAuto is the next autobind number to try.
	nextAuto uint32
}

// nameKey is where a name is held: an abstract name with its socket's
// type, or a path's inode key with stype 0.
type nameKey struct {
	stype int
	name  string
}

// keyFor returns the key of name for a socket of type stype.
func keyFor(name string, stype int) nameKey {
	if name != "" && name[0] != 0 {
		stype = 0
	}
	return nameKey{stype, name}
}

// NewNamespace returns an empty namespace.
func NewNamespace() *Namespace { return &Namespace{names: make(map[nameKey]*Socket)} }

// autobindNames is how many autobind names there are (five hex digits).
const autobindNames = 1 << 20

// bindLocked binds name to s, or an autobind name when name is "".
// Preconditions: ns.mu is held.
func (ns *Namespace) bindLocked(s *Socket, name string) (nameKey, error) {
	if name != "" {
		k := keyFor(name, s.stype)
		if _, ok := ns.names[k]; ok {
			return nameKey{}, unix.EADDRINUSE
		}
		ns.names[k] = s
		return k, nil
	}
	for range autobindNames {
		n := ns.nextAuto % autobindNames
		ns.nextAuto++
		k := keyFor(fmt.Sprintf("\x00%05x", n), s.stype)
		if _, ok := ns.names[k]; !ok {
			ns.names[k] = s
			return k, nil
		}
	}
	return nameKey{}, unix.ENOSPC
}

// unbind frees k if s holds it.
func (ns *Namespace) unbind(k nameKey, s *Socket) {
	ns.mu.Lock()
	if ns.names[k] == s {
		delete(ns.names, k)
	}
	ns.mu.Unlock()
}

// lookup returns the socket of type stype bound to name (an abstract
// name or a path's key): ECONNREFUSED if none, EPROTOTYPE if a path's
// socket is of another type.
func (ns *Namespace) lookup(name string, stype int) (*Socket, error) {
	ns.mu.Lock()
	s := ns.names[keyFor(name, stype)]
	ns.mu.Unlock()
	if s == nil {
		return nil, unix.ECONNREFUSED
	}
	if s.stype != stype {
		return nil, unix.EPROTOTYPE
	}
	return s, nil
}

// Bind implements bind(2) to an abstract name ("" autobinds one): EINVAL
// if s already has a name, EADDRINUSE if the name is taken.
func (s *Socket) Bind(name string) error { return s.bind(name, name) }

// BindKey binds s to a path name, display, whose socket inode the caller
// made and identifies by key (a string that never starts with a NUL
// byte, so it never meets an abstract name).
func (s *Socket) BindKey(key, display string) error { return s.bind(key, display) }

func (s *Socket) bind(key, display string) error {
	s.ns.mu.Lock()
	defer s.ns.mu.Unlock()
	if s.Bound() {
		return unix.EINVAL
	}
	got, err := s.ns.bindLocked(s, key)
	if err != nil {
		return err
	}
	if display == "" {
		display = got.name
	}
	s.mu.Lock()
	s.addr, s.key = display, got
	s.mu.Unlock()
	return nil
}

// autobindForCred gives an unnamed SO_PASSCRED socket a name before it
// connects or sends to a name, so that the receiver can tell who it is
// (Linux's unix_may_passcred checks in connect and sendmsg).
func (s *Socket) autobindForCred() error {
	if !s.passcred.Load() || s.Bound() {
		return nil
	}
	if err := s.Bind(""); err != nil && err != unix.EINVAL {
		return err
	}
	return nil
}

// Bound reports whether s has a name (or was released).
func (s *Socket) Bound() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr != "" || s.released
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

// Connect implements connect(2) to name (an abstract name or a path's
// key): a stream or seqpacket socket
// joins the listener's accept queue (waiting while it is full, EAGAIN if
// non-blocking), a datagram socket only takes name as its default
// destination. cred is the caller's identity, what the accepted socket
// sees as SO_PEERCRED.
func (s *Socket) Connect(ctx vfs.Context, name string, cred Cred, nonBlock bool) error {
	target, err := s.ns.lookup(name, s.stype)
	if err != nil {
		return err
	}
	if err := s.autobindForCred(); err != nil {
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
	w := newWaiter(target, s.sndTimeo.Load())
	defer w.done()
	for {
		if target == s {
			// Bound to the name it connects to: never a listener for
			// itself.
			s.mu.Lock()
			listening := s.state == stateListening
			s.mu.Unlock()
			if listening {
				return unix.EINVAL
			}
			return unix.ECONNREFUSED
		}
		lockTwo(target, s)
		if err := s.connectableLocked(); err != nil {
			unlockTwo(target, s)
			return err
		}
		if target.released || target.state != stateListening {
			unlockTwo(target, s)
			return unix.ECONNREFUSED
		}
		if len(target.acceptq) <= target.backlog {
			server := New(s.ns, s.stype, target.cred)
			server.addr = target.addr
			server.sndbuf.Store(target.sndbuf.Load())
			server.rcvbuf.Store(target.rcvbuf.Load())
			server.passcred.Store(target.passcred.Load())
			// Both ends are connected before the server end can be
			// accepted.
			server.peer, server.state, server.peerCred, server.hasPeerCred = s, stateConnected, cred, true
			s.peer, s.state, s.peerCred, s.hasPeerCred = server, stateConnected, target.cred, true
			target.acceptq = append(target.acceptq, server)
			unlockTwo(target, s)
			target.Notify(dataEvents)
			s.Notify(spaceEvents)
			return nil
		}
		unlockTwo(target, s)
		if nonBlock {
			return unix.EAGAIN
		}
		if err := w.wait(ctx, spaceEvents); err != nil {
			return err
		}
	}
}

// connectableLocked says whether s may connect: EISCONN if it is
// connected, EINVAL if it listens.
// Preconditions: s.mu is held.
func (s *Socket) connectableLocked() error {
	switch s.state {
	case stateConnected:
		return unix.EISCONN
	case stateListening:
		return unix.EINVAL
	}
	return nil
}

// lockTwo locks two different sockets in inode-number order, so that
// two connects that cross never deadlock.
func lockTwo(a, b *Socket) {
	if a.ino > b.ino {
		a, b = b, a
	}
	a.mu.Lock()
	b.mu.Lock()
}

// unlockTwo undoes lockTwo.
func unlockTwo(a, b *Socket) {
	a.mu.Unlock()
	b.mu.Unlock()
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
// (EINVAL if s does not listen, EOPNOTSUPP for a datagram socket),
// waiting for one unless nonBlock.
func (s *Socket) Accept(ctx vfs.Context, nonBlock bool) (*Socket, error) {
	if !s.connectionOriented() {
		return nil, unix.EOPNOTSUPP
	}
	w := newWaiter(s, s.rcvTimeo.Load())
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
