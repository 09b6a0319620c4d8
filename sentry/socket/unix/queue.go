package unix

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/cocoon-sandbox/cocoon/abi/linux"
	"github.com/cocoon-sandbox/cocoon/sentry/vfs"
)

// This file is the data path: send(2) puts messages on the receiver's
// queue, charged to the sender; recv(2) takes them off and refunds the
// charge. A stream send appends to the last message when nothing but
// bytes separates them, so a stream of small writes costs one growing
// buffer, not a message each.

// Control is what travels beside the data: files (SCM_RIGHTS), one
// reference each, owned by whoever holds the Control, and credentials
// (SCM_CREDENTIALS).
type Control struct {
	Rights []*vfs.FileDescription
	Cred   *Cred
}

// Release drops the references on the files.
func (c *Control) Release() {
	for _, f := range c.Rights {
		f.DecRef()
	}
	c.Rights = nil
}

// message is one queued send.
type message struct {
	data []byte
	// charge is what sender.wmem holds for the message: its bytes left
	// plus msgOverhead.
	charge int64
	sender *Socket
	// from is the sender's name when sent ("" if unnamed).
	from   string
	rights []*vfs.FileDescription
	cred   *Cred
}

// SendOptions are the parts of a send beyond its bytes.
type SendOptions struct {
	// Flags are the MSG_* flags (MSG_DONTWAIT is what this package reads;
	// MSG_NOSIGNAL is the caller's: it raises SIGPIPE).
	Flags int
	// To is the destination name of a datagram, if HasTo.
	To    string
	HasTo bool
	// Control is sent with the first bytes; Send takes it over whatever
	// it returns.
	Control Control
	// Self is the sender's identity (thread-group ID, real user and
	// group IDs), attached when the receiver asks for credentials.
	Self Cred
	// InflightLimit bounds the files in flight in the namespace when
	// Control carries some (the sender's RLIMIT_NOFILE, as Linux's
	// too_many_unix_fds): ETOOMANYREFS past it. 0 means no limit.
	InflightLimit int64
}

// RecvResult is what one recv(2) took.
type RecvResult struct {
	// Data is the bytes received: for a stream socket a prefix of the
	// caller's buffer, for the others the whole message (read-only, may
	// be longer than asked for: the caller truncates and reports
	// MSG_TRUNC).
	Data []byte
	// From is the sender's name ("" if unnamed).
	From string
	// Control holds the files that came with the data (references the
	// caller owns) and, with SO_PASSCRED, the sender's credentials.
	Control Control
}

// refund gives back n bytes of the charge of a message sent by s, and
// wakes s's writers if that made it writable again (one wake per edge,
// as unix_write_space).
func (s *Socket) refund(n int64) {
	if n == 0 {
		return
	}
	after := s.wmem.Add(-n)
	buf := s.sndbuf.Load()
	if (after+n)*4 > buf && after*4 <= buf {
		s.Notify(spaceEvents)
	}
}

// dropMessages refunds and drops messages taken off owner's queue.
// Preconditions: no Socket.mu is held.
func dropMessages(owner *Socket, msgs []*message) {
	for _, m := range msgs {
		m.sender.refund(m.charge)
		owner.landed(m.rights)
		for _, f := range m.rights {
			f.DecRef()
		}
	}
}

// landed notes that files left s's queue (received or dropped).
func (s *Socket) landed(rights []*vfs.FileDescription) {
	if len(rights) > 0 {
		s.ns.inflight.Add(-int64(len(rights)))
		s.ns.gc.left(s, rights)
	}
}

// nonBlocking says whether a call with flags must not wait.
func (s *Socket) nonBlocking(flags int) bool {
	return flags&unix.MSG_DONTWAIT != 0 || s.nonBlock.Load()
}

// waiter registers a wait entry once and blocks on it; registering, then
// checking again, loses no wake-up. With a timeout (SO_RCVTIMEO,
// SO_SNDTIMEO) it gives up with EAGAIN at the deadline, and a signal
// then interrupts with EINTR, never a restart (Linux's sock_intr_errno).
type waiter struct {
	q *Socket
	e *vfs.WaitEntry
	// timeout is 0 for none, negative to give up at once.
	timeout  time.Duration
	deadline time.Time
	timer    *time.Timer
}

// newWaiter returns a waiter on q's queue with a timeout in nanoseconds
// (0: none).
func newWaiter(q *Socket, timeout int64) waiter {
	return waiter{q: q, timeout: time.Duration(timeout)}
}

// wait blocks until the next notification of events, or registers first
// (returning at once, so that the caller checks again).
func (w *waiter) wait(ctx vfs.Context, events uint32) error {
	if w.e == nil {
		w.e = vfs.NewWaitEntry(events)
		w.q.EventRegister(w.e)
		if w.timeout > 0 {
			w.deadline = time.Now().Add(w.timeout)
			c := w.e.C
			w.timer = time.AfterFunc(w.timeout, func() {
				select {
				case c <- struct{}{}:
				default:
				}
			})
		}
		return nil
	}
	if w.timeout < 0 || w.timeout > 0 && !time.Now().Before(w.deadline) {
		return unix.EAGAIN
	}
	err := ctx.Block(w.e.C)
	if err == vfs.ErrInterrupted && w.timeout != 0 {
		return unix.EINTR
	}
	return err
}

func (w *waiter) done() {
	if w.e != nil {
		w.q.EventUnregister(w.e)
	}
	if w.timer != nil {
		w.timer.Stop()
	}
}

// Send implements send(2) of src, as Linux's unix_stream_sendmsg and
// unix_dgram_sendmsg: EPIPE once the socket or its peer has shut down
// (the caller raises SIGPIPE for stream sockets), EAGAIN or a short count
// when non-blocking and full, vfs.ErrInterrupted when a signal comes
// before any byte went.
func (s *Socket) Send(ctx vfs.Context, src []byte, o SendOptions) (int, error) {
	defer o.Control.Release()
	if o.Flags&unix.MSG_OOB != 0 {
		return 0, unix.EOPNOTSUPP
	}
	if len(o.Control.Rights) > 0 && s.ns.inflight.Load() > inflightTrigger {
		s.ns.collect()
	}
	if len(o.Control.Rights) > 0 && o.InflightLimit > 0 && s.ns.inflight.Load() > o.InflightLimit {
		return 0, unix.ETOOMANYREFS
	}
	if s.stype == unix.SOCK_STREAM {
		return s.sendStream(ctx, src, &o)
	}
	return s.sendMessage(ctx, src, &o)
}

func (s *Socket) sendStream(ctx vfs.Context, src []byte, o *SendOptions) (int, error) {
	w := newWaiter(s, s.sndTimeo.Load())
	defer w.done()
	done := 0
	for {
		s.mu.Lock()
		state, shut, peer := s.state, s.shutdown, s.peer
		s.mu.Unlock()
		if o.HasTo {
			if state == stateConnected {
				return 0, unix.EISCONN
			}
			return 0, unix.EOPNOTSUPP
		}
		if state != stateConnected {
			return 0, unix.ENOTCONN
		}
		if shut&shutSend != 0 {
			return partial(done, unix.EPIPE)
		}
		if done == len(src) {
			return done, nil
		}
		if room := s.sndbuf.Load() - s.wmem.Load(); room > 0 {
			n := min(len(src)-done, int(room))
			if err := peer.enqueue(s, src[done:done+n], o); err != nil {
				return partial(done, err)
			}
			done += n
			continue
		}
		if s.nonBlocking(o.Flags) {
			return partial(done, unix.EAGAIN)
		}
		if err := w.wait(ctx, spaceEvents); err != nil {
			return partial(done, err)
		}
	}
}

// partial is the outcome of a transfer stopped by err: the bytes moved if
// any, else err.
func partial(done int, err error) (int, error) {
	if done > 0 {
		return done, nil
	}
	return 0, err
}

func (s *Socket) sendMessage(ctx vfs.Context, src []byte, o *SendOptions) (int, error) {
	s.mu.Lock()
	state, peer := s.state, s.peer
	s.mu.Unlock()
	target := peer
	switch {
	case s.stype == unix.SOCK_SEQPACKET:
		// unix_seqpacket_sendmsg ignores a destination.
		if state != stateConnected {
			return 0, unix.ENOTCONN
		}
	case o.HasTo:
		t, err := s.ns.lookup(o.To, s.stype)
		if err != nil {
			return 0, err
		}
		if err := s.autobindForCred(); err != nil {
			return 0, err
		}
		target = t
	case target == nil:
		return 0, unix.ENOTCONN
	}
	if int64(len(src)) > s.sndbuf.Load()-32 {
		return 0, unix.EMSGSIZE
	}
	w := newWaiter(s, s.sndTimeo.Load())
	defer w.done()
	for {
		s.mu.Lock()
		if err := s.err; err != 0 {
			s.err = 0
			s.mu.Unlock()
			return 0, err
		}
		shut := s.shutdown
		s.mu.Unlock()
		if shut&shutSend != 0 {
			return 0, unix.EPIPE
		}
		if s.wmem.Load() < s.sndbuf.Load() {
			err := target.enqueue(s, src, o)
			if err == nil {
				return len(src), nil
			}
			if err == unix.ECONNREFUSED && target == peer {
				s.disconnect(peer)
			}
			if err != unix.EAGAIN {
				return 0, err
			}
		}
		if s.nonBlocking(o.Flags) {
			return 0, unix.EAGAIN
		}
		if err := w.wait(ctx, spaceEvents); err != nil {
			return 0, err
		}
	}
}

// disconnect forgets a datagram socket's released default peer: its next
// send without a destination answers ENOTCONN (Linux's unix_dgram_sendmsg
// after SOCK_DEAD), and what it had queued is dropped.
func (s *Socket) disconnect(peer *Socket) {
	s.mu.Lock()
	if s.peer != peer {
		s.mu.Unlock()
		return
	}
	s.peer, s.state = nil, stateUnconnected
	s.mu.Unlock()
	s.dgramDisconnected(peer)
}

// dgramDisconnected is Linux's unix_dgram_disconnected: a datagram socket
// that lost or changed its peer drops its queue, and the old peer, if it
// is alive and connected back, sees ECONNRESET.
func (s *Socket) dgramDisconnected(old *Socket) {
	s.mu.Lock()
	msgs := s.recvq
	s.recvq, s.recvBytes = nil, 0
	blocked := s.blockedPeers
	s.blockedPeers = nil
	s.mu.Unlock()
	if len(msgs) == 0 {
		return
	}
	for p := range blocked {
		p.Notify(spaceEvents)
	}
	dropMessages(s, msgs)
	old.mu.Lock()
	reset := !old.released && old.peer == s
	if reset {
		old.err = unix.ECONNRESET
	}
	old.mu.Unlock()
	if reset {
		old.Notify(linux.POLLERR)
	}
}

// enqueue puts data from sender on r's queue: EPIPE if r is gone or shut
// for reading (ECONNREFUSED for a datagram), EAGAIN if a datagram queue
// is full for sender (which is then woken when it has room).
func (r *Socket) enqueue(sender *Socket, data []byte, o *SendOptions) error {
	cred := sendCred(sender, r, o.Control.Cred, o.Self)
	// Taken before r.mu: r may be sender itself.
	from := sender.boundName()
	r.mu.Lock()
	if r.released || r.shutdown&shutRcv != 0 {
		dgram := r.stype == unix.SOCK_DGRAM
		r.mu.Unlock()
		if dgram && r.released {
			return unix.ECONNREFUSED
		}
		return unix.EPIPE
	}
	if r.fullForLocked(sender, true /* wait */) {
		r.mu.Unlock()
		return unix.EAGAIN
	}
	rights := o.Control.Rights
	o.Control.Rights, o.Control.Cred = nil, nil
	if len(rights) > 0 {
		r.ns.inflight.Add(int64(len(rights)))
		r.ns.gc.queued(r, rights)
	}
	n := len(data)
	if r.stype == unix.SOCK_STREAM && len(r.recvq) > 0 && rights == nil {
		if last := r.recvq[len(r.recvq)-1]; last.sender == sender && last.rights == nil && sameCred(last.cred, cred) {
			last.data = append(last.data, data...)
			last.charge += int64(n)
			sender.wmem.Add(int64(n))
			r.recvBytes += n
			r.mu.Unlock()
			r.Notify(dataEvents)
			return nil
		}
	}
	m := &message{
		data:   append([]byte(nil), data...),
		charge: int64(n) + msgOverhead,
		sender: sender,
		from:   from,
		rights: rights,
		cred:   cred,
	}
	sender.wmem.Add(m.charge)
	r.recvq = append(r.recvq, m)
	r.recvBytes += n
	r.mu.Unlock()
	r.Notify(dataEvents)
	return nil
}

// boundName returns s's name, "" if unbound.
func (s *Socket) boundName() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

func sameCred(a, b *Cred) bool { return a == b || a != nil && b != nil && *a == *b }

// fullFor reports whether r's queue is full for a datagram from sender:
// more than maxDgramQueue messages and sender not r's peer. If wait, a
// full r wakes sender when it has room.
func (r *Socket) fullFor(sender *Socket, wait bool) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.fullForLocked(sender, wait)
}

// Preconditions: r.mu is held.
func (r *Socket) fullForLocked(sender *Socket, wait bool) bool {
	if r.stype != unix.SOCK_DGRAM || r.peer == sender || len(r.recvq) <= maxDgramQueue {
		return false
	}
	if wait {
		if r.blockedPeers == nil {
			r.blockedPeers = make(map[*Socket]struct{})
		}
		r.blockedPeers[sender] = struct{}{}
	}
	return true
}

// Recv implements recv(2) into dst (a stream socket's buffer; the other
// types return their message whole in RecvResult.Data): MSG_PEEK leaves
// the data queued (files come with new references), MSG_WAITALL waits
// for len(dst) bytes of a stream, MSG_DONTWAIT does not wait. At the end
// of the data it returns an empty result: after a shutdown or the peer's
// close. A pending error (ECONNRESET after the peer closed with data
// unread) is reported once, after the data.
func (s *Socket) Recv(ctx vfs.Context, dst []byte, flags int) (RecvResult, error) {
	if flags&unix.MSG_OOB != 0 {
		return RecvResult{}, unix.EOPNOTSUPP
	}
	w := newWaiter(s, s.rcvTimeo.Load())
	defer w.done()
	if s.stype == unix.SOCK_STREAM {
		return s.recvStream(ctx, dst, flags, &w)
	}
	for {
		s.mu.Lock()
		if s.stype == unix.SOCK_SEQPACKET && s.state != stateConnected {
			s.mu.Unlock()
			return RecvResult{}, unix.ENOTCONN
		}
		if len(s.recvq) > 0 {
			m := s.recvq[0]
			res := RecvResult{Data: m.data, From: m.from}
			if s.passcred.Load() {
				res.Control.Cred = credOrNobody(m.cred)
			}
			if flags&unix.MSG_PEEK != 0 {
				res.Control.Rights = dupRights(m.rights)
				s.mu.Unlock()
				return res, nil
			}
			res.Control.Rights = m.rights
			s.popLocked()
			s.mu.Unlock()
			m.sender.refund(m.charge)
			s.landed(m.rights)
			return res, nil
		}
		if err := s.takeErrLocked(); err != nil {
			s.mu.Unlock()
			return RecvResult{}, err
		}
		eof := s.shutdown&shutRcv != 0
		s.mu.Unlock()
		if eof {
			return RecvResult{}, nil
		}
		if s.nonBlocking(flags) {
			return RecvResult{}, unix.EAGAIN
		}
		if err := w.wait(ctx, dataEvents); err != nil {
			return RecvResult{}, err
		}
	}
}

// popLocked removes the head of the queue and wakes datagram senders
// waiting for room.
// Preconditions: s.mu is held; the queue is not empty.
func (s *Socket) popLocked() {
	m := s.recvq[0]
	s.recvq[0] = nil
	s.recvq = s.recvq[1:]
	if len(s.recvq) == 0 {
		s.recvq = nil
	}
	s.recvBytes -= len(m.data)
	if len(s.blockedPeers) > 0 && len(s.recvq) <= maxDgramQueue {
		for p := range s.blockedPeers {
			p.Notify(spaceEvents)
		}
		clear(s.blockedPeers)
	}
}

// takeErrLocked returns and clears the pending error.
// Preconditions: s.mu is held.
func (s *Socket) takeErrLocked() error {
	if s.err == 0 {
		return nil
	}
	err := s.err
	s.err = 0
	return err
}

// credOrNobody is what SCM_CREDENTIALS says of a message sent without
// credentials: no process, root's IDs (Linux's zeroed UNIXCB).
func credOrNobody(c *Cred) *Cred {
	if c != nil {
		return c
	}
	return &Cred{}
}

// dupRights returns new references to files (a peek's copy).
func dupRights(fs []*vfs.FileDescription) []*vfs.FileDescription {
	if fs == nil {
		return nil
	}
	out := make([]*vfs.FileDescription, len(fs))
	for i, f := range fs {
		f.IncRef()
		out[i] = f
	}
	return out
}

// recvStream reads a byte stream, as unix_stream_read_generic: it never
// joins bytes sent with different credentials (when they are asked for)
// and stops after bytes that carried files.
func (s *Socket) recvStream(ctx vfs.Context, dst []byte, flags int, w *waiter) (RecvResult, error) {
	peek := flags&unix.MSG_PEEK != 0
	waitAll := flags&unix.MSG_WAITALL != 0
	var res RecvResult
	copied := 0
	for {
		s.mu.Lock()
		if s.state != stateConnected {
			s.mu.Unlock()
			return RecvResult{}, unix.EINVAL
		}
		if len(s.recvq) > 0 && (copied > 0 || len(dst) > 0) {
			n, stop := s.takeStreamLocked(dst[copied:], copied, peek, &res, copied == 0)
			s.mu.Unlock()
			copied += n
			if copied > 0 && (stop || copied == len(dst) || !waitAll) {
				res.Data = dst[:copied]
				return res, nil
			}
			if n > 0 {
				continue
			}
			s.mu.Lock()
		} else if len(s.recvq) > 0 {
			// A read of nothing with data queued returns 0 at once.
			s.mu.Unlock()
			return res, nil
		}
		if err := s.takeErrLocked(); err != nil {
			s.mu.Unlock()
			res.Data = dst[:copied]
			return res, partialErr(copied, err)
		}
		eof := s.shutdown&shutRcv != 0
		s.mu.Unlock()
		if eof {
			res.Data = dst[:copied]
			return res, nil
		}
		if s.nonBlocking(flags) {
			res.Data = dst[:copied]
			return res, partialErr(copied, unix.EAGAIN)
		}
		if err := w.wait(ctx, dataEvents); err != nil {
			res.Data = dst[:copied]
			return res, partialErr(copied, err)
		}
	}
}

// partialErr drops err when some bytes were received.
func partialErr(copied int, err error) error {
	if copied > 0 {
		return nil
	}
	return err
}

// takeStreamLocked copies queued bytes after the first skip into dst and,
// unless peek, consumes them. first says nothing was taken yet by this
// call (so the first message's credentials and files become the
// result's). It returns the bytes copied and whether a boundary (other
// credentials, or files) stops the read; senders get their charge back
// as their bytes go.
// Preconditions: s.mu is held.
func (s *Socket) takeStreamLocked(dst []byte, skip int, peek bool, res *RecvResult, first bool) (int, bool) {
	passcred := s.passcred.Load()
	n := 0
	i := 0
	if peek {
		// Skip what earlier rounds of this call peeked.
		for i < len(s.recvq) && skip >= len(s.recvq[i].data) {
			skip -= len(s.recvq[i].data)
			i++
		}
	} else {
		skip = 0
	}
	stop := false
	for i < len(s.recvq) && n < len(dst) {
		m := s.recvq[i]
		if first && n == 0 {
			res.From = m.from
			if passcred {
				res.Control.Cred = credOrNobody(m.cred)
			}
		} else if passcred && !sameCred(credOrNobody(m.cred), res.Control.Cred) {
			stop = true
			break
		}
		c := copy(dst[n:], m.data[skip:])
		n += c
		hadRights := m.rights != nil
		if hadRights && res.Control.Rights == nil {
			if peek {
				res.Control.Rights = dupRights(m.rights)
			} else {
				res.Control.Rights = m.rights
				s.landed(m.rights)
				m.rights = nil
			}
		}
		if peek {
			skip = 0
			i++
		} else if c == len(m.data) {
			m.sender.refund(m.charge)
			s.recvq[i] = nil
			i++
			s.recvBytes -= c
		} else {
			m.data = m.data[c:]
			m.charge -= int64(c)
			s.recvBytes -= c
			m.sender.refund(int64(c))
		}
		if hadRights {
			stop = true
			break
		}
	}
	if !peek {
		s.recvq = s.recvq[i:]
		if len(s.recvq) == 0 {
			s.recvq = nil
		}
	}
	return n, stop
}
