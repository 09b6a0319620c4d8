// Package unix implements AF_UNIX sockets inside the sentry, as Linux's
// net/unix/af_unix.c: SOCK_STREAM, SOCK_DGRAM and SOCK_SEQPACKET sockets
// made in pairs (socketpair) or alone (socket) and then bound, listening,
// connected and accepted through an abstract namespace (Namespace). It
// owns each socket's receive queue, its send-buffer accounting, shutdown
// and close, passing of files (SCM_RIGHTS) and credentials
// (SCM_CREDENTIALS) with the data, socket options, and readiness for
// poll, select and epoll. Data never touches the host. The syscall layer
// (sentry/syscalls/linux/sys_socket*.go) decodes user memory: this
// package sees bytes, flags and file descriptions only.
//
// Data a socket sends sits in the receiver's queue and is charged to the
// sender (its wmem), bounded by the sender's SO_SNDBUF, as Linux charges
// an skb to the sending socket: a writer waits while its wmem is at or
// above SO_SNDBUF and is woken once the reader has drained it to a
// quarter (unix_writable). A datagram receiver that is not the sender's
// own peer also takes at most maxDgramQueue messages.
//
// Files in flight (sent, not yet received) hold a reference each.
// Sockets in flight that can never be received (a socket sent into its
// own queue, then closed) are collected as Linux's unix_gc does (gc.go),
// and the files in flight in a Namespace are capped by the sender's
// RLIMIT_NOFILE (ETOOMANYREFS), as Linux's too_many_unix_fds caps them
// per user.
//
// Locking: Socket.mu guards a socket's state, its receive queue and its
// accept queue. At most one Socket.mu is held at a time, but for
// connect, which holds the listener's and the connecting socket's, taken
// in inode-number order (lockTwo): an operation that changes two sockets
// (send, shutdown, close) takes them one after the other and rechecks (a
// peer found released answers EPIPE or ECONNREFUSED). Namespace.mu is taken without any Socket.mu held, or
// inside one only never (bind and listen release the socket's lock
// first). Wait queues (vfs.WaitQueue) are notified with Socket.mu held
// or not; their callbacks take no socket lock. File references carried
// by SCM_RIGHTS are dropped with no lock held, since dropping one may
// release another socket.
package unix

import (
	"fmt"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// Buffer sizes, as Linux's defaults (net.core.wmem_default, wmem_max,
// SOCK_MIN_SNDBUF, SOCK_MIN_RCVBUF; Linux doubles what setsockopt asks
// for to leave room for its bookkeeping).
const (
	DefaultBufferSize = 212992
	MaxBufferSize     = 212992
	MinSendBuffer     = 4608
	MinRecvBuffer     = 2304
)

// maxDgramQueue is net.unix.max_dgram_qlen: a datagram socket's queue
// takes more than this many messages only from its own peer.
const maxDgramQueue = 10

// msgOverhead is charged to the sender per queued message on top of its
// bytes (Linux charges an skb's truesize), so that empty datagrams fill
// a buffer too.
const msgOverhead = 512

// Shutdown bits, as Linux's sk_shutdown.
const (
	shutRcv  = 1
	shutSend = 2
	shutBoth = shutRcv | shutSend
)

// Connection states.
const (
	// stateUnconnected: made by socket(2), or a datagram socket with no
	// peer (Linux's TCP_CLOSE).
	stateUnconnected = iota
	// stateListening: listen(2) was called (TCP_LISTEN).
	stateListening
	// stateConnected: one end of a connection, or a datagram socket
	// with a default peer (TCP_ESTABLISHED).
	stateConnected
)

// Cred is struct ucred: a process's ID and user and group IDs as seen by
// the receiver (SO_PEERCRED, SCM_CREDENTIALS).
type Cred struct {
	PID      int32
	UID, GID uint32
}

// Socket is one AF_UNIX socket, the FileImpl of its description.
type Socket struct {
	// WaitQueue holds the socket's poll, epoll and blocked waiters.
	vfs.WaitQueue

	// stype is SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET. Immutable.
	stype int
	// ino identifies the socket in fstat and /proc. Immutable.
	ino uint64
	// ns is where names are bound and looked up. Immutable.
	ns *Namespace

	// nonBlock mirrors the description's O_NONBLOCK.
	nonBlock atomic.Bool
	// wmem is what this socket's queued messages are charged, in bytes.
	wmem atomic.Int64
	// sndbuf and rcvbuf are SO_SNDBUF and SO_RCVBUF.
	sndbuf, rcvbuf atomic.Int64
	// passcred is SO_PASSCRED.
	passcred atomic.Bool
	// rcvTimeo and sndTimeo are SO_RCVTIMEO and SO_SNDTIMEO in
	// nanoseconds: 0 for none, negative to time out at once.
	rcvTimeo, sndTimeo atomic.Int64

	mu    sync.Mutex
	state int
	// peer is the other end of a connection, or a datagram socket's
	// default destination. It stays set after the peer is released
	// (stream sockets see shutBoth then; datagram sockets find out at
	// their next send).
	peer *Socket
	// shutdown holds shutRcv and shutSend.
	shutdown int
	// err is the pending SO_ERROR, taken by the next operation that
	// reports it.
	err unix.Errno
	// recvq is the receive queue: data, and the files and credentials
	// sent with it. recvBytes is the data in it.
	recvq     []*message
	recvBytes int
	// addr is the bound name as getsockname shows it (an abstract name
	// or a path), "" if none; key is where the namespace holds it (the
	// abstract name itself, or the identity of the socket's inode). A
	// server end of a connection shows its listener's name but holds
	// no key.
	addr string
	key  nameKey
	// peerCred is SO_PEERCRED: the peer's identity when the connection
	// was made.
	peerCred Cred
	// hasPeerCred says peerCred is set.
	hasPeerCred bool
	// cred is the identity of the socket's maker or listener, given to
	// the sockets that connect to it.
	cred Cred
	// backlog and acceptq are a listener's limit and its connections
	// not yet accepted (the server ends).
	backlog int
	acceptq []*Socket
	// blockedPeers are datagram senders that found this socket's queue
	// full and wait for room (Linux's peer_wait).
	blockedPeers map[*Socket]struct{}
	// linger is SO_LINGER's time in seconds, -1 when off (kept and
	// reported: a unix socket's close never waits).
	linger int64
	// recorded are the values of recordedOptions that were set.
	recorded map[int]int32
	// released is set when the last description of the socket closes.
	released bool
}

var (
	_ vfs.FileImpl            = (*Socket)(nil)
	_ vfs.Waitable            = (*Socket)(nil)
	_ vfs.FileStater          = (*Socket)(nil)
	_ vfs.FileNamer           = (*Socket)(nil)
	_ vfs.StatusFlagsObserver = (*Socket)(nil)
)

// nextIno numbers sockets for fstat and /proc/[pid]/fd names.
var nextIno atomic.Uint64

// ValidType reports whether stype (without SOCK_NONBLOCK and
// SOCK_CLOEXEC) is a type AF_UNIX has.
func ValidType(stype int) bool {
	return stype == unix.SOCK_STREAM || stype == unix.SOCK_DGRAM || stype == unix.SOCK_SEQPACKET
}

// New returns an unconnected socket of type stype whose names live in
// ns; cred is its maker's identity.
// Preconditions: ValidType(stype).
func New(ns *Namespace, stype int, cred Cred) *Socket {
	s := &Socket{stype: stype, ns: ns, cred: cred, linger: -1}
	s.ino = nextIno.Add(1)
	s.sndbuf.Store(DefaultBufferSize)
	s.rcvbuf.Store(DefaultBufferSize)
	return s
}

// NewPair returns two sockets connected to each other, as socketpair(2):
// each one's SO_PEERCRED is cred.
func NewPair(ns *Namespace, stype int, cred Cred) (*Socket, *Socket) {
	a, b := New(ns, stype, cred), New(ns, stype, cred)
	connectPair(a, b, cred, cred)
	return a, b
}

// connectPair joins a and b, neither visible to anyone else yet; aCred is
// what a sees of b, bCred what b sees of a.
func connectPair(a, b *Socket, aCred, bCred Cred) {
	a.mu.Lock()
	a.peer, a.state, a.peerCred, a.hasPeerCred = b, stateConnected, aCred, true
	a.mu.Unlock()
	b.mu.Lock()
	b.peer, b.state, b.peerCred, b.hasPeerCred = a, stateConnected, bCred, true
	b.mu.Unlock()
}

// Type returns SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET.
func (s *Socket) Type() int { return s.stype }

// connectionOriented says whether the type has connections (stream and
// seqpacket); datagram sockets only have default destinations.
func (s *Socket) connectionOriented() bool { return s.stype != unix.SOCK_DGRAM }

// Events a change of the socket notifies its waiters of.
const (
	dataEvents  = linux.POLLIN | linux.POLLRDNORM
	spaceEvents = linux.POLLOUT | linux.POLLWRNORM | linux.POLLWRBAND
	endEvents   = dataEvents | spaceEvents | linux.POLLRDHUP | linux.POLLERR | linux.POLLHUP
)

// writable is Linux's unix_writable: room once what is charged is at
// most a quarter of SO_SNDBUF.
func (s *Socket) writable() bool { return s.wmem.Load()*4 <= s.sndbuf.Load() }

// Readiness implements vfs.FileImpl, as Linux's unix_poll (stream) and
// unix_dgram_poll (datagram, seqpacket).
func (s *Socket) Readiness(mask uint32) uint32 {
	s.mu.Lock()
	var ev uint32
	if s.err != 0 {
		ev |= linux.POLLERR
	}
	if s.shutdown == shutBoth {
		ev |= linux.POLLHUP
	}
	if s.shutdown&shutRcv != 0 {
		ev |= linux.POLLRDHUP | dataEvents
	}
	if len(s.recvq) > 0 || len(s.acceptq) > 0 {
		ev |= dataEvents
	}
	if s.connectionOriented() && s.state == stateUnconnected {
		ev |= linux.POLLHUP
	}
	state, peer := s.state, s.peer
	s.mu.Unlock()
	if mask&spaceEvents != 0 && state != stateListening && s.writable() {
		if s.stype != unix.SOCK_DGRAM || peer == nil || !peer.fullFor(s, true /* wait */) {
			ev |= spaceEvents
		}
	}
	return ev & (mask | linux.POLLHUP | linux.POLLERR)
}

// SetStatusFlags implements vfs.StatusFlagsObserver (O_NONBLOCK).
func (s *Socket) SetStatusFlags(flags uint32) { s.nonBlock.Store(flags&unix.O_NONBLOCK != 0) }

// Seekable implements vfs.FileImpl: sockets are not.
func (*Socket) Seekable() bool { return false }

// Stat implements vfs.FileStater: an inode of sockfs, mode 0777 as Linux
// shows it.
func (s *Socket) Stat(vfs.Context) (vfs.Attr, error) {
	return vfs.Attr{Mode: uint32(vfs.TypeSocket) | 0o777, Ino: s.ino, Nlink: 1, Blksize: 4096}, nil
}

// Name implements vfs.FileNamer.
func (s *Socket) Name() string { return fmt.Sprintf("socket:[%d]", s.ino) }

// Read implements vfs.FileImpl.Read: recv(2) with no flags.
func (s *Socket) Read(ctx vfs.Context, dst []byte, _ int64) (int, error) {
	r, err := s.Recv(ctx, dst, 0)
	if err != nil {
		return 0, err
	}
	r.Control.Release()
	return copy(dst, r.Data), nil
}

// Write implements vfs.FileImpl.Write: send(2) with no flags; the
// caller raises SIGPIPE on EPIPE from a stream socket.
func (s *Socket) Write(ctx vfs.Context, src []byte, _ int64) (int, error) {
	return s.Send(ctx, src, SendOptions{})
}

// Release implements vfs.FileImpl: the last close. Queued messages are
// dropped (their senders' charge refunded, their files closed), a
// connected peer sees the connection end (and ECONNRESET if data was
// left unread), connections not yet accepted are reset, and the name is
// freed.
func (s *Socket) Release() { s.release(false) }

// release is Release; embryo says s is a connection that was never
// accepted, whose peer then sees ECONNRESET.
func (s *Socket) release(embryo bool) {
	s.mu.Lock()
	if s.released {
		s.mu.Unlock()
		return
	}
	s.released = true
	s.shutdown = shutBoth
	peer, key := s.peer, s.key
	msgs, pending := s.recvq, s.acceptq
	s.recvq, s.recvBytes, s.acceptq = nil, 0, nil
	blocked := s.blockedPeers
	s.blockedPeers = nil
	s.mu.Unlock()

	if key.name != "" {
		s.ns.unbind(key, s)
	}
	if peer != nil && s.connectionOriented() {
		peer.mu.Lock()
		if peer.peer == s {
			peer.shutdown = shutBoth
			if len(msgs) > 0 || embryo {
				peer.err = unix.ECONNRESET
			}
		}
		peer.mu.Unlock()
		peer.Notify(endEvents)
	}
	for p := range blocked {
		p.Notify(spaceEvents)
	}
	dropMessages(s, msgs)
	for _, c := range pending {
		c.release(true)
	}
	s.Notify(endEvents)
	// s may have been what kept a cycle of sockets in flight reachable.
	s.ns.collect()
}

// sendCred is the sender's identity to attach to a message for receiver
// r, or nil: a message carries credentials when the sender gave them or
// either end has SO_PASSCRED (Linux's maybe_add_creds).
func sendCred(s, r *Socket, given *Cred, self Cred) *Cred {
	if given != nil {
		return given
	}
	if s.passcred.Load() || r.passcred.Load() {
		c := self
		return &c
	}
	return nil
}
