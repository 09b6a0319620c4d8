package proto

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// ErrTooBig is returned by Recv for a packet longer than the buffer; the
// packet has been consumed and any FDs with it closed.
var ErrTooBig = errors.New("message too big")

// OOBSize is the control-message buffer size to pass to Recv: room for a
// few more FDs than MaxFDsPerMessage, so that a peer sending extra FDs is
// seen (and the FDs closed) rather than silently truncated.
var OOBSize = unix.CmsgSpace(4 * 8)

// Send writes msg as one packet on the SOCK_SEQPACKET socket sock, with fd
// as SCM_RIGHTS if fd >= 0. fd stays open; the peer gets a duplicate.
func Send(sock int, msg []byte, fd int) error {
	var oob []byte
	if fd >= 0 {
		oob = unix.UnixRights(fd)
	}
	for {
		err := unix.Sendmsg(sock, msg, oob, nil, unix.MSG_NOSIGNAL)
		if err == unix.EINTR {
			continue
		}
		return err
	}
}

// Recv reads one packet into buf and any FDs that came with it (opened
// close-on-exec). n == 0 with a nil error means the peer closed the socket
// (the protocol never sends empty packets). On any error, all received FDs
// are already closed. The caller owns the returned FDs.
func Recv(sock int, buf, oob []byte) (n int, fds []int, err error) {
	for {
		var oobn, flags int
		n, oobn, flags, _, err = unix.Recvmsg(sock, buf, oob, unix.MSG_CMSG_CLOEXEC)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, nil, err
		}
		if oobn > 0 {
			fds = parseRights(oob[:oobn])
		}
		switch {
		case flags&unix.MSG_CTRUNC != 0:
			CloseAll(fds)
			return 0, nil, fmt.Errorf("control message truncated: %w", ErrMalformed)
		case flags&unix.MSG_TRUNC != 0:
			CloseAll(fds)
			return 0, nil, ErrTooBig
		}
		return n, fds, nil
	}
}

// parseRights returns every FD in the SCM_RIGHTS messages of oob.
func parseRights(oob []byte) []int {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil
	}
	var fds []int
	for i := range msgs {
		if msgs[i].Header.Level != unix.SOL_SOCKET || msgs[i].Header.Type != unix.SCM_RIGHTS {
			continue
		}
		got, err := unix.ParseUnixRights(&msgs[i])
		if err == nil {
			fds = append(fds, got...)
		}
	}
	return fds
}

// CloseAll closes every FD in fds.
func CloseAll(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}
