// Package client is the sentry's side of the Cocoon file protocol
// (docs/fsgofer-protocol.md): typed calls that each make one round trip to
// the gofer over a SOCK_SEQPACKET socket, returning donated host FDs.
//
// The gofer is untrusted: every response is decoded with bounded lengths,
// must carry the op and tag of its request, names and targets are checked,
// and FDs that come unasked are closed. Errors the gofer reports come back
// as unix.Errno values, unwrapped; any other error (transport, protocol
// violation) is a Go error wrapping ErrConnection, after which the Client
// is broken and every call fails with it.
//
// Concurrency: a Client is safe for concurrent use, and up to MaxInFlight
// calls are in flight at once on its one socket, each with its own tag, so
// that a slow request does not hold up the others. There is no reader
// goroutine: a caller waiting for its reply receives for everyone (it is
// "the reader"), hands replies for other tags to their callers and, once
// its own has come, passes the reading on to a waiting caller. With one
// call in flight, the caller reads its own reply: no goroutine hand-off.
//
// Locking: mu guards the slots, the free tags and the reader role; it is
// never held across a system call. Each slot's fields are its caller's
// while it waits, except those marked as set under mu.
package client

import (
	"errors"
	"fmt"
	"sync"

	"github.com/cocoon-sandbox/cocoon/fsgofer/proto"
	"golang.org/x/sys/unix"
)

// ErrConnection is wrapped by every error that is not a gofer errno: the
// socket failed or closed, or the gofer broke the protocol.
var ErrConnection = errors.New("gofer connection failed")

// MaxInFlight is how many calls one Client has in flight at most; more
// wait for a slot.
const MaxInFlight = 64

// A tag is a slot's index in its low bits and, above them, how many times
// the slot was used: a late or repeated reply to an earlier call on the
// slot does not pass for the reply to the current one.
const (
	slotBits = 6 // MaxInFlight == 1 << slotBits
	slotMask = MaxInFlight - 1
)

// Client is one connection to a gofer.
type Client struct {
	// sock is the socket; it stays open until Close and no call in
	// flight.
	sock int

	mu sync.Mutex
	// The fields below are guarded by mu.
	broken error
	// slots are indexed by the low bits of a tag, made on first use.
	slots [MaxInFlight]*slot
	// free are the indexes of slots not in flight, used last-in first-out
	// so that few slots (and their 64 KiB buffers) are ever made.
	free []int
	// tagFree is signalled when a slot is freed or the client breaks.
	tagFree sync.Cond
	// inFlight counts busy slots; reading says one of them is receiving.
	inFlight int
	reading  bool
	// closing says Close was called; the last call out closes sock.
	closing bool

	// counts are the round trips made, by op; atomic, read without mu.
	counts counters
}

// slot is one call in flight: its tag, its buffers and its reply.
type slot struct {
	// tag is the tag of the slot's current call. Set under Client.mu.
	tag proto.Tag
	enc proto.Encoder
	dec proto.Decoder
	// buf receives a reply; the reader swaps buffers with the slot it
	// delivers to (all are MaxMessageSize). oob is the control buffer.
	buf, oob []byte

	// Set under Client.mu:
	// busy says the tag is in flight; waiting that the caller is blocked
	// on wake; done that the reply is in buf[:n] with fds.
	busy, waiting, done bool
	n                   int
	fds                 []int
	// wake (capacity 1) tells a waiting caller that its reply came, that
	// it should become the reader, or that the client broke.
	wake chan struct{}
}

// New returns a Client on the connected SOCK_SEQPACKET socket sockFD, which
// it takes ownership of (Close closes it).
func New(sockFD int) (*Client, error) {
	if err := unix.SetNonblock(sockFD, false); err != nil {
		return nil, fmt.Errorf("setting gofer socket blocking: %w", err)
	}
	c := &Client{sock: sockFD, free: make([]int, 0, MaxInFlight)}
	for i := MaxInFlight - 1; i >= 0; i-- {
		c.free = append(c.free, i)
	}
	c.tagFree.L = &c.mu
	return c, nil
}

// RoundTrips returns how many round trips the Client made so far, by op.
func (c *Client) RoundTrips() Counts { return c.counts.snapshot() }

// Close breaks the connection; the gofer then releases every FID. Calls in
// flight and later calls fail with ErrConnection. The socket is closed at
// once if no call is in flight, else (after shutdown(2) wakes the reader)
// when the last one returns.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return nil
	}
	c.closing = true
	if c.broken == nil {
		c.broken = fmt.Errorf("client closed: %w", ErrConnection)
	}
	c.wakeAllLocked()
	if c.inFlight > 0 {
		// Not in the sentry's seccomp allowlist: the sentry never closes
		// its gofer connection while using it.
		return unix.Shutdown(c.sock, unix.SHUT_RDWR)
	}
	return c.closeSockLocked()
}

func (c *Client) closeSockLocked() error {
	if c.sock < 0 {
		return nil
	}
	err := unix.Close(c.sock)
	c.sock = -1
	return err
}

// acquire waits for a free tag and returns its slot, busy.
func (c *Client) acquire() (*slot, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.free) == 0 && c.broken == nil {
		c.tagFree.Wait()
	}
	if c.broken != nil {
		return nil, c.broken
	}
	i := c.free[len(c.free)-1]
	c.free = c.free[:len(c.free)-1]
	s := c.slots[i]
	if s == nil {
		s = &slot{
			tag:  proto.Tag(i),
			buf:  make([]byte, proto.MaxMessageSize),
			oob:  make([]byte, proto.OOBSize),
			wake: make(chan struct{}, 1),
		}
		c.slots[i] = s
	}
	s.tag += 1 << slotBits // the next use; the index bits stay
	s.busy, s.done, s.n, s.fds = true, false, 0, nil
	c.inFlight++
	return s, nil
}

// release frees s's tag. FDs of a reply nobody took are closed.
func (c *Client) release(s *slot) {
	c.mu.Lock()
	defer c.mu.Unlock()
	proto.CloseAll(s.fds)
	s.fds = nil
	s.busy, s.done = false, false
	select {
	case <-s.wake: // a stale wake-up
	default:
	}
	c.free = append(c.free, int(s.tag&slotMask))
	c.inFlight--
	c.tagFree.Signal()
	if c.closing && c.inFlight == 0 {
		c.closeSockLocked()
	}
}

// wait returns once s's reply is in s.buf[:s.n], receiving for everyone
// while no one else does.
func (c *Client) wait(s *slot, op proto.Op) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for !s.done {
		if c.broken != nil {
			return c.broken
		}
		if c.reading {
			s.waiting = true
			c.mu.Unlock()
			<-s.wake
			c.mu.Lock()
			s.waiting = false
			continue
		}
		c.reading = true
		c.mu.Unlock()
		n, fds, err := proto.Recv(c.sock, s.buf, s.oob)
		c.mu.Lock()
		c.reading = false
		if err := c.deliverLocked(s, n, fds, err); err != nil {
			return c.failLocked(op, err)
		}
	}
	// Pass the reading on to a caller still waiting for its reply.
	if !c.reading && c.inFlight > 1 {
		for _, t := range c.slots {
			if t != nil && t.waiting && !t.done {
				signal(t.wake)
				break
			}
		}
	}
	return nil
}

// deliverLocked hands the packet just received into reader.buf to the
// slot its tag names. Preconditions: c.mu is held.
func (c *Client) deliverLocked(reader *slot, n int, fds []int, err error) error {
	switch {
	case err != nil:
		return fmt.Errorf("receive: %w", err)
	case n == 0:
		return errors.New("gofer closed the connection")
	}
	tag, ok := proto.PeekTag(reader.buf[:n])
	var t *slot
	if ok {
		t = c.slots[tag&slotMask]
	}
	if t == nil || t.tag != tag || !t.busy || t.done {
		proto.CloseAll(fds)
		return fmt.Errorf("response with tag %d, not in flight", tag)
	}
	t.n, t.fds, t.done = n, fds, true
	if t != reader {
		reader.buf, t.buf = t.buf, reader.buf
		signal(t.wake)
	}
	return nil
}

// call makes one round trip. req appends the request's fields; resp reads
// the response's. If wantFD, a successful response must carry exactly one
// FD, which call returns (the caller owns it); otherwise fd is -1.
func (c *Client) call(op proto.Op, wantFD bool, req func(*proto.Encoder), resp func(*proto.Decoder)) (fd int, err error) {
	s, err := c.acquire()
	if err != nil {
		return -1, err
	}
	defer c.release(s)
	s.enc.Reset(op, s.tag)
	if req != nil {
		req(&s.enc)
	}
	if len(s.enc.Bytes()) > proto.MaxMessageSize {
		return -1, unix.ENAMETOOLONG
	}
	c.counts.add(op)
	if err := proto.Send(c.sock, s.enc.Bytes(), -1); err != nil {
		return -1, c.fail(op, fmt.Errorf("send: %w", err))
	}
	if err := c.wait(s, op); err != nil {
		return -1, err
	}
	d := &s.dec
	d.Init(s.buf[:s.n])
	switch got, _ := d.Header(); {
	case got == proto.OpError:
		errno := unix.Errno(d.U32())
		if d.Finish() != nil || errno == 0 || errno > 4095 || len(s.fds) != 0 {
			return -1, c.fail(op, errors.New("bad error response"))
		}
		return -1, errno
	case got != op:
		return -1, c.fail(op, fmt.Errorf("response to %v is %v", op, got))
	}
	if (wantFD && len(s.fds) != 1) || (!wantFD && len(s.fds) != 0) {
		return -1, c.fail(op, fmt.Errorf("response carries %d FDs", len(s.fds)))
	}
	if resp != nil {
		resp(d)
	}
	if d.Finish() != nil {
		return -1, c.fail(op, proto.ErrMalformed)
	}
	if wantFD {
		fd, s.fds = s.fds[0], nil // the caller's now
		return fd, nil
	}
	return -1, nil
}

// fail marks the client broken and returns why.
func (c *Client) fail(op proto.Op, err error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.failLocked(op, err)
}

// failLocked is fail with c.mu held: the first failure wins, and every
// waiting caller is woken to see it.
func (c *Client) failLocked(op proto.Op, err error) error {
	if c.broken == nil {
		c.broken = fmt.Errorf("gofer %v: %w: %w", op, ErrConnection, err)
	}
	c.wakeAllLocked()
	return c.broken
}

// wakeAllLocked wakes every waiting caller and tag waiter.
// Preconditions: c.mu is held.
func (c *Client) wakeAllLocked() {
	for _, t := range c.slots {
		if t != nil && t.waiting {
			signal(t.wake)
		}
	}
	c.tagFree.Broadcast()
}

// protoErr reports a response that decoded but made no sense; it breaks the
// client like a malformed one.
func (c *Client) protoErr(op proto.Op, what string) error {
	return c.fail(op, errors.New(what))
}

// signal wakes the owner of ch unless a wake-up is already pending.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
