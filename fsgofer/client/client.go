// Package client is the sentry's side of the Cocoon file protocol
// (docs/fsgofer-protocol.md): typed calls that each make one round trip to
// the gofer over a SOCK_SEQPACKET socket, returning donated host FDs.
//
// The gofer is untrusted: every response is decoded with bounded lengths,
// must carry the op of its request, names and targets are checked, and FDs
// that come unasked are closed. Errors the gofer reports come back as
// unix.Errno values, unwrapped; any other error (transport, protocol
// violation) is a Go error wrapping ErrConnection, after which the Client
// is broken and every call fails with it.
//
// Locking: a Client is safe for concurrent use. mu serializes round trips
// on the one socket (one request in flight at a time); more channels would
// be more sockets, each with its own Client, handed out round-robin or per
// CPU by the caller.
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

// Client is one connection to a gofer.
type Client struct {
	mu sync.Mutex
	// The fields below are guarded by mu.
	sock   int
	broken error
	enc    proto.Encoder
	dec    proto.Decoder
	buf    []byte
	oob    []byte

	// counts are the round trips made, by op; atomic, read without mu.
	counts counters
}

// New returns a Client on the connected SOCK_SEQPACKET socket sockFD, which
// it takes ownership of (Close closes it).
func New(sockFD int) (*Client, error) {
	if err := unix.SetNonblock(sockFD, false); err != nil {
		return nil, fmt.Errorf("setting gofer socket blocking: %w", err)
	}
	return &Client{
		sock: sockFD,
		buf:  make([]byte, proto.MaxMessageSize),
		oob:  make([]byte, proto.OOBSize),
	}, nil
}

// RoundTrips returns how many round trips the Client made so far, by op.
func (c *Client) RoundTrips() Counts { return c.counts.snapshot() }

// Close closes the connection; the gofer then releases every FID. Calls
// after Close fail with ErrConnection.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sock < 0 {
		return nil
	}
	err := unix.Close(c.sock)
	c.sock = -1
	c.broken = fmt.Errorf("client closed: %w", ErrConnection)
	return err
}

// call makes one round trip. req appends the request's fields; resp reads
// the response's. If wantFD, a successful response must carry exactly one
// FD, which call returns (the caller owns it); otherwise fd is -1.
func (c *Client) call(op proto.Op, wantFD bool, req func(*proto.Encoder), resp func(*proto.Decoder)) (fd int, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.broken != nil {
		return -1, c.broken
	}
	c.enc.Reset(op)
	if req != nil {
		req(&c.enc)
	}
	if len(c.enc.Bytes()) > proto.MaxMessageSize {
		return -1, unix.ENAMETOOLONG
	}
	c.counts.add(op)
	if err := proto.Send(c.sock, c.enc.Bytes(), -1); err != nil {
		return -1, c.fail(op, fmt.Errorf("send: %w", err))
	}
	n, fds, err := proto.Recv(c.sock, c.buf, c.oob)
	if err != nil {
		return -1, c.fail(op, fmt.Errorf("receive: %w", err))
	}
	if n == 0 {
		return -1, c.fail(op, errors.New("gofer closed the connection"))
	}
	d := &c.dec
	d.Init(c.buf[:n])
	switch got := d.Op(); {
	case got == proto.OpError:
		errno := unix.Errno(d.U32())
		if d.Finish() != nil || errno == 0 || errno > 4095 || len(fds) != 0 {
			proto.CloseAll(fds)
			return -1, c.fail(op, errors.New("bad error response"))
		}
		return -1, errno
	case got != op:
		proto.CloseAll(fds)
		return -1, c.fail(op, fmt.Errorf("response to %v is %v", op, got))
	}
	if (wantFD && len(fds) != 1) || (!wantFD && len(fds) != 0) {
		proto.CloseAll(fds)
		return -1, c.fail(op, fmt.Errorf("response carries %d FDs", len(fds)))
	}
	if resp != nil {
		resp(d)
	}
	if d.Finish() != nil {
		proto.CloseAll(fds)
		return -1, c.fail(op, proto.ErrMalformed)
	}
	if wantFD {
		return fds[0], nil
	}
	return -1, nil
}

// fail marks the client broken. Preconditions: c.mu is held.
func (c *Client) fail(op proto.Op, err error) error {
	c.broken = fmt.Errorf("gofer %v: %w: %w", op, ErrConnection, err)
	return c.broken
}

// protoErr reports a response that decoded but made no sense; it breaks the
// client like a malformed one.
func (c *Client) protoErr(op proto.Op, what string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fail(op, errors.New(what))
}
