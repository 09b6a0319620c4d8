package control

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// Limits on the wire.
const (
	// MaxMessageSize bounds one packet, either way.
	// (A SEQPACKET packet must also fit the socket buffer, ~208 KiB by
	// default.)
	MaxMessageSize = 64 << 10
	// MaxFDs bounds the FDs passed beside one message.
	MaxFDs = 16
)

// conn is one SOCK_SEQPACKET connection. It is used by one goroutine at a
// time.
type conn struct {
	fd  int
	buf []byte
	oob []byte
}

func newConn(fd int) *conn {
	return &conn{
		fd:  fd,
		buf: make([]byte, MaxMessageSize+1),
		oob: make([]byte, unix.CmsgSpace(MaxFDs*4)),
	}
}

// send writes one message with fds beside it.
func (c *conn) send(msg []byte, fds []int) error {
	if len(msg) > MaxMessageSize {
		return fmt.Errorf("control message of %d bytes is over the limit of %d", len(msg), MaxMessageSize)
	}
	if len(fds) > MaxFDs {
		return fmt.Errorf("%d FDs in one control message, over the limit of %d", len(fds), MaxFDs)
	}
	var oob []byte
	if len(fds) > 0 {
		oob = unix.UnixRights(fds...)
	}
	for {
		err := unix.Sendmsg(c.fd, msg, oob, nil, unix.MSG_NOSIGNAL)
		if err == unix.EINTR {
			continue
		}
		return err
	}
}

// errClosed is returned by recv when the peer closed the connection.
var errClosed = fmt.Errorf("peer closed the connection")

// recv reads one message and the FDs that came with it (close-on-exec).
// The returned slice is valid until the next recv. A truncated message or
// malformed control data is an error; FDs received with it are closed.
func (c *conn) recv() ([]byte, []int, error) {
	for {
		n, oobn, flags, _, err := unix.Recvmsg(c.fd, c.buf, c.oob, unix.MSG_CMSG_CLOEXEC)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		fds, ferr := parseRights(c.oob[:oobn])
		switch {
		case ferr != nil:
			closeAll(fds)
			return nil, nil, ferr
		case flags&unix.MSG_CTRUNC != 0:
			closeAll(fds)
			return nil, nil, fmt.Errorf("control data truncated (more than %d FDs)", MaxFDs)
		case n == 0 && oobn == 0:
			return nil, nil, errClosed
		case n > MaxMessageSize || flags&unix.MSG_TRUNC != 0:
			closeAll(fds)
			return nil, nil, fmt.Errorf("control message over the limit of %d bytes", MaxMessageSize)
		}
		return c.buf[:n], fds, nil
	}
}

// parseRights returns the FDs of every SCM_RIGHTS message in oob.
func parseRights(oob []byte) ([]int, error) {
	if len(oob) == 0 {
		return nil, nil
	}
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, fmt.Errorf("parsing control data: %w", err)
	}
	var fds []int
	for i := range msgs {
		if msgs[i].Header.Level != unix.SOL_SOCKET || msgs[i].Header.Type != unix.SCM_RIGHTS {
			continue
		}
		got, err := unix.ParseUnixRights(&msgs[i])
		if err != nil {
			return fds, fmt.Errorf("parsing SCM_RIGHTS: %w", err)
		}
		fds = append(fds, got...)
	}
	return fds, nil
}

func closeAll(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}

func (c *conn) close() error { return unix.Close(c.fd) }
